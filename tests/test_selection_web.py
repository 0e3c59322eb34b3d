"""The selection bar of every photo grid, as the pages render it: only for a signed-in viewer,
hidden until the script opens it (the page works as before without it), with the actions that
fit the grid, the viewer's albums to add to, and Download as a plain form carrying the CSRF
field. The bar's ids limit is the API's."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from photoarchive.library import bulk
from tests.support import LiveServer, Page, csrf, live_server, make_settings, parse, sign_up
from tests.test_bulk_api import jpeg

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def select_script(page: Page) -> list[dict[str, str | None]]:
    return [
        s
        for s in page.find_all("script")
        if (s.get("src") or "").startswith("/static/js/select.js?v=")
    ]


def bar_of(client: httpx.Client, url: str) -> tuple[Page, list[str]]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    page = parse(response.text)
    labels = [b.get("data-bulk") or "" for b in page.find_all("button") if b.get("data-bulk")]
    return page, labels


def photo(client: httpx.Client) -> int:
    sent = client.post(
        "/api/v1/photos",
        files=[("file", ("p.jpg", jpeg()))],
        headers={"x-csrftoken": csrf(client)},
    )
    assert sent.status_code == 201, sent.text
    return int(sent.json()["items"][0]["id"])


def test_each_grid_offers_what_fits_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", public_view=True)
    with live_server(settings) as server:
        alice, bob = sign_up(server, "alice"), sign_up(server, "bob")
        photo(alice)
        photo(bob)
        made = alice.post(
            "/api/v1/albums", json={"title": "Trip <3"}, headers={"x-csrftoken": csrf(alice)}
        )
        album = made.json()["id"]

        page, actions = bar_of(alice, "/u/alice")
        assert actions == [
            "favorite",
            "unfavorite",
            "archive",
            "set_visibility",
            "set_visibility",
            "trash",
            "add_to_album",
        ]
        (bar,) = page.find_all("div", class_="select-bar")
        assert "hidden" in bar and bar["data-drops"] == "archive trash"
        assert bar["data-max"] == str(bulk.IDS_MAX)
        (toggle,) = page.find_all("button", id="grid-items-select")
        assert "hidden" in toggle  # the script shows it; without it, nothing
        assert select_script(page)
        assert [o["value"] for o in page.find_all("option") if o.get("value")] == [str(album)]
        assert "Trip <3" in page.text  # the title escaped, read back as text
        (form,) = page.find_all("form", action="/downloads")
        assert form["method"] == "post"
        assert page.find_all("input", name="_csrf_token")

        assert bar_of(alice, "/u/bob")[1] == ["favorite", "unfavorite"]
        assert bar_of(alice, f"/albums/{album}")[1][:4] == [
            "favorite",
            "unfavorite",
            "archive",
            "unarchive",
        ]
        page, actions = bar_of(alice, "/favorites")
        assert actions[0] == "unfavorite"
        assert page.find_all("div", class_="select-bar")[0]["data-drops"] == "unfavorite trash"
        page, actions = bar_of(alice, "/archive")
        assert "unarchive" in actions and "archive" not in actions
        assert page.find_all("div", class_="select-bar")[0]["data-drops"] == "unarchive trash"

        together = alice.post(
            "/api/v1/photos",
            files=[("file", ("a.jpg", jpeg())), ("file", ("b.jpg", jpeg()))],
            headers={"x-csrftoken": csrf(alice)},
        )
        assert together.status_code == 201, together.text
        with server.db() as conn:
            batch_id = conn.execute("SELECT MAX(id) FROM photo_batches").fetchone()[0]
        page, actions = bar_of(alice, f"/batches/{batch_id}")
        assert "archive" in actions
        assert page.find_all("div", class_="select-bar")[0]["data-drops"] == "archive trash"
        assert bar_of(bob, f"/batches/{batch_id}")[1] == ["favorite", "unfavorite"]

        # The trash offers Restore alone, and nothing to download.
        assert (
            alice.delete(
                f"/api/v1/photos/{photo(alice)}", headers={"x-csrftoken": csrf(alice)}
            ).status_code
            == 204
        )
        page, actions = bar_of(alice, "/trash")
        assert actions == ["restore"] and not page.find_all("form", action="/downloads")
        assert page.find_all("div", class_="select-bar")[0]["data-drops"] == "restore"

        guest = server.client()
        page, actions = bar_of(guest, "/u/alice")
        assert actions == [] and not page.find_all("div", class_="select-bar")
        assert not select_script(page)
        assert page.find_all("li", class_="grid-item")  # the grid itself is as it was


def test_more_photos_scrolled_in_carry_no_second_bar(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    for _ in range(2):
        photo(alice)
    more = alice.get("/u/alice", params={"cursor": "999999"}, headers={"hx-request": "true"})
    assert more.status_code == 200
    page = parse(more.text)
    assert len(page.find_all("li", class_="grid-item")) == 2
    assert not page.find_all("div", class_="select-bar")
