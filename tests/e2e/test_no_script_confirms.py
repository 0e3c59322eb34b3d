"""Acts that cannot be undone, with scripts off: each asks on a page of its own (which a
script's dialog asks otherwise), Cancel leads back with nothing done, the page's button does it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PHONE, Server, photo_files, sign_in

pytestmark = pytest.mark.usefixtures("engine")


def uploaded(api: Any, name: str) -> int:
    path = photo_files(name)[0]
    answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    assert answer.status_code == 201, answer.text
    return int(answer.json()["items"][0]["id"])


def asked(page: Any, question: str) -> None:
    assert page.locator("h1").inner_text() == question
    assert page.title().startswith(question)


def test_the_trash_asks_before_deleting_for_good(server: Server, new_context: Any) -> None:
    api = server.api("alice")
    ids = [uploaded(api, name) for name in ("cameras/Canon_40D.jpg", "cameras/Nikon_D70.jpg")]
    for photo in ids:
        assert api.delete(f"/api/v1/photos/{photo}").status_code == 204
    page = new_context(PHONE, java_script_enabled=False).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/trash")

    page.locator(f"#trash-{ids[0]} button.danger").click()
    asked(page, "Delete this photo for good?")
    page.click("#confirm-cancel")
    page.wait_for_url(f"{server.url}/trash")
    assert page.locator(".trash-item").count() == 2

    page.locator(f"#trash-{ids[0]} button.danger").click()
    page.click("#confirm-act")
    page.wait_for_url(f"{server.url}/trash?notice=deleted")
    assert page.locator(".trash-item").count() == 1
    assert api.get(f"/api/v1/photos/{ids[0]}").status_code == 404

    page.get_by_role("button", name="Empty trash").click()
    asked(page, "Empty the trash?")
    assert page.locator(".trash-item").count() == 0  # a page of its own, not the trash
    assert len(api.get("/api/v1/trash").json()["items"]) == 1
    page.click("#confirm-act")
    page.wait_for_url(f"{server.url}/trash?notice=emptied")
    assert api.get("/api/v1/trash").json()["items"] == []


def test_an_album_asks_before_a_member_goes_and_before_it_is_deleted(
    server: Server, new_context: Any
) -> None:
    alice, bob = server.api("alice"), server.api("bob")
    album = alice.post("/api/v1/albums", json={"title": "Summer"}).json()["id"]
    joined = alice.put(f"/api/v1/albums/{album}/members/bob", json={"role": "contributor"})
    assert joined.status_code == 200, joined.text
    page = new_context(PHONE, java_script_enabled=False).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/albums/{album}")

    page.get_by_role("button", name="Remove bob").click()
    asked(page, "Remove bob from this album?")
    page.click("#confirm-cancel")
    page.wait_for_url(f"{server.url}/albums/{album}#members")
    assert bob.get(f"/api/v1/albums/{album}").status_code == 200
    page.get_by_role("button", name="Remove bob").click()
    page.click("#confirm-act")
    page.wait_for_url(f"{server.url}/albums/{album}#members")
    assert bob.get(f"/api/v1/albums/{album}").status_code == 404

    page.locator("details.album-settings summary").click()
    page.get_by_role("button", name="Delete album (the photos stay)").click()
    asked(page, "Delete this album?")
    assert alice.get(f"/api/v1/albums/{album}").status_code == 200
    page.click("#confirm-act")
    page.wait_for_url(f"{server.url}/albums")
    assert alice.get(f"/api/v1/albums/{album}").status_code == 404


def test_without_a_trash_deleting_a_photo_asks_first(server: Server, new_context: Any) -> None:
    server.stop()
    server.env["PHOTOARCHIVE_TRASH_DAYS"] = "0"
    server.start()
    api = server.api("alice")
    older = uploaded(api, "cameras/Canon_40D.jpg")
    newer = uploaded(api, "cameras/Nikon_D70.jpg")
    page = new_context(PHONE, java_script_enabled=False).new_page()
    sign_in(page, server.url, "alice")
    # Opened by its address (no list around it), then one opened from the feed, whose Cancel
    # keeps the way through the feed (Previous, Next).
    for opened_at, then in (
        (f"/photos/{older}", f"/u/alice?trashed={older}"),
        (f"/photos/{newer}?from=feed", f"/?trashed={newer}"),
    ):
        page.goto(f"{server.url}{opened_at}")
        page.get_by_role("button", name="Delete photo").click()
        asked(page, "Delete this photo for good?")
        page.click("#confirm-cancel")
        page.wait_for_url(f"{server.url}{opened_at}")
        page.get_by_role("button", name="Delete photo").click()
        page.click("#confirm-act")
        page.wait_for_url(f"{server.url}{then}")
    assert [api.get(f"/api/v1/photos/{p}").status_code for p in (older, newer)] == [404, 404]
