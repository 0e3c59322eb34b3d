"""Previous, next and back as links over HTTP: the photo page works without scripts, the modal
steps in place, and the list a photo was opened from decides its neighbours. The rule itself
is tested on the domain function in test_neighbours.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from photoarchive.library.search_query import Q_MAX
from tests.support import PHOTOS, LiveServer, parse, sign_up, upload

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
MODAL = {"HX-Request": "true", "HX-Target": "modal"}


def _nav(html: str) -> dict[str, dict[str, str | None]]:
    """The page's previous/next links by direction."""
    return {str(a["data-nav"]): a for a in parse(html).find_all("a") if a.get("data-nav")}


def _back(html: str) -> str | None:
    found = [a for a in parse(html).find_all("a") if (a.get("class") or "") == "muted-link"]
    links = [a["href"] for a in found if (a.get("href") or "").startswith(("/#", "/u/", "/?"))]
    return links[0] if links else None


def _seed(server: LiveServer) -> tuple[list[int], list[int]]:
    """alice and bob take turns uploading: (alice's ids, bob's ids), oldest first."""
    alice, bob = sign_up(server, "alice"), sign_up(server, "bob")
    mine: list[int] = []
    theirs: list[int] = []
    for n, path in enumerate(CAMERAS[:5]):
        client, ids = (alice, mine) if n % 2 == 0 else (bob, theirs)
        ids.append(upload(client, path).json()["items"][0]["id"])
    return mine, theirs


def test_feed_cards_open_the_photo_in_the_feeds_order(server: LiveServer) -> None:
    alice_ids, bob_ids = _seed(server)
    everyone = sorted(alice_ids + bob_ids, reverse=True)
    bob = server.clients[1]
    feed = parse(bob.get("/").text)
    openers = [a for a in feed.find_all("a", class_="card-image")]
    assert [a["href"] for a in openers] == [f"/photos/{i}?from=feed" for i in everyone]
    assert all(a["hx-target"] == "#modal" and a["hx-push-url"] == "true" for a in openers)

    middle = everyone[2]
    page = bob.get(f"/photos/{middle}?from=feed")
    assert page.status_code == 200
    nav = _nav(page.text)
    assert nav["prev"]["href"] == f"/photos/{everyone[1]}?from=feed"
    assert nav["next"]["href"] == f"/photos/{everyone[3]}?from=feed"
    assert nav["prev"]["aria-label"] == "Previous photo"
    assert nav["next"]["aria-label"] == "Next photo"
    # Plain links on the page (no htmx attributes): they work without scripts.
    assert "hx-replace-url" not in nav["next"]
    assert _back(page.text) == f"/#photo-{middle}"
    # The neighbours' pictures are fetched ahead.
    prefetched = [str(link["href"]) for link in parse(page.text).find_all("link", rel="prefetch")]
    assert len(prefetched) == 2 and all(
        f"/media/{i}/preview" in " ".join(prefetched) for i in everyone[1:4:2]
    )

    # At the ends there is no link past it.
    assert set(_nav(bob.get(f"/photos/{everyone[0]}?from=feed").text)) == {"next"}
    assert set(_nav(bob.get(f"/photos/{everyone[-1]}?from=feed").text)) == {"prev"}


def test_a_profile_keeps_to_its_owners_photos(server: LiveServer) -> None:
    alice_ids, bob_ids = _seed(server)
    bob = server.clients[1]
    grid = parse(bob.get("/u/alice").text)
    openers = [a for a in grid.find_all("a") if "data-opens-modal" in a]
    assert [a["href"] for a in openers] == [
        f"/photos/{i}?from=user:alice" for i in reversed(alice_ids)
    ]

    middle = alice_ids[1]
    nav = _nav(bob.get(f"/photos/{middle}?from=user:alice").text)
    assert nav["prev"]["href"] == f"/photos/{alice_ids[2]}?from=user:alice"
    assert nav["next"]["href"] == f"/photos/{alice_ids[0]}?from=user:alice"
    assert _back(bob.get(f"/photos/{middle}?from=user:alice").text) == f"/u/alice#grid-{middle}"
    # bob's photo opened under alice's list has no neighbours there (nor a way back to it).
    stray = bob.get(f"/photos/{bob_ids[0]}?from=user:alice")
    assert stray.status_code == 200 and _nav(stray.text) == {} and _back(stray.text) is None


def test_the_modal_steps_in_place_and_unknown_lists_show_the_photo_alone(
    server: LiveServer,
) -> None:
    alice_ids, bob_ids = _seed(server)
    everyone = sorted(alice_ids + bob_ids, reverse=True)
    bob = server.clients[1]
    modal = bob.get(f"/photos/{everyone[1]}?from=feed", headers=MODAL)
    assert "<html" not in modal.text
    nav = _nav(modal.text)
    for step, target in (("prev", everyone[0]), ("next", everyone[2])):
        link = nav[step]
        assert link["href"] == f"/photos/{target}?from=feed"
        assert link["hx-target"] == "#modal" and link["hx-replace-url"] == "true"
    for key in ("", "album:3", "user:nobody", "user:a%20b", "x" * 60):
        response = bob.get(f"/photos/{everyone[1]}?from={key}")
        assert response.status_code == 200 and _nav(response.text) == {}
    assert _nav(bob.get(f"/photos/{everyone[1]}").text) == {}


def test_the_way_back_starts_the_list_at_a_photo_past_its_first_page(
    server: LiveServer, tmp_path: Path
) -> None:
    from tests.test_feed import _seed_rows

    alice = sign_up(server, "alice")
    first = upload(alice, CAMERAS[0]).json()["items"][0]["id"]
    _seed_rows(server, "alice", 30, first)
    back = _back(alice.get(f"/photos/{first}?from=feed").text)
    assert back == f"/?cursor={first + 1}#photo-{first}"
    listed = parse(alice.get(back.split("#")[0]).text)
    assert listed.find_all("article", id=f"photo-{first}")


def test_search_results_and_the_timeline_open_photos_that_walk_them(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    ids = [
        upload(alice, path, caption=f"Tom & Jerry {'beach' if n != 2 else 'hill'}").json()["items"][
            0
        ]["id"]
        for n, path in enumerate(CAMERAS[:4])
    ]
    q = "beach & tom"  # words that must be quoted in an address
    results = parse(alice.get("/search", params={"q": q}).text)
    openers = _openers(results)
    found = [int(str(href).split("?")[0].rsplit("/", 1)[1]) for href in openers]
    assert sorted(found) == sorted(i for n, i in enumerate(ids) if n != 2)
    assert all(href.endswith("?from=search:beach%20%26%20tom") for href in openers)
    middle = found[1]
    page = alice.get(openers[1])
    nav = _nav(page.text)
    assert nav["prev"]["href"] == f"/photos/{found[0]}?from=search:beach%20%26%20tom"
    assert nav["next"]["href"] == f"/photos/{found[2]}?from=search:beach%20%26%20tom"
    back = [a["href"] for a in parse(page.text).find_all("a", **{"class": "muted-link"})]
    assert f"/search?q=beach%20%26%20tom#grid-{middle}" in back
    # The timeline holds all four, in its own order; its grid's links walk it.
    timeline = parse(alice.get("/timeline").text)
    order = [int(href.split("?")[0].rsplit("/", 1)[1]) for href in _openers(timeline)]
    assert sorted(order) == sorted(ids)
    nav = _nav(alice.get(f"/photos/{order[0]}?from=timeline").text)
    assert "prev" not in nav and nav["next"]["href"] == f"/photos/{order[1]}?from=timeline"
    # The longest words a search may be still name the list; longer is refused by name.
    long_key = "search:" + "a" * Q_MAX
    assert alice.get(f"/photos/{order[0]}", params={"from": long_key}).status_code == 200
    too_long = alice.get(f"/photos/{order[0]}", params={"from": long_key + "a"})
    assert too_long.status_code == 400


def _openers(page: Any) -> list[str]:
    """The links of a grid that open its photos."""
    return [str(a["href"]) for a in page.find_all("a") if "data-opens-modal" in a]
