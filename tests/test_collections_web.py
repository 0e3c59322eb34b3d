"""Favorites and the archive over HTTP: toggling a favorite (API and the photo page's form),
favorites private to their person, a favorite of a photo made private to its holder gone from
their list; archiving takes a photo out of the feed, batches and profiles for everyone and
keeps it in albums and share links; /archive is its owner's; PATCH archived is the owner's."""

from __future__ import annotations

import httpx
import pytest

from tests.support import (
    LiveServer,
    api_login,
    browser,
    form_post,
    uploaded,
)
from tests.test_private_photos import CAMERAS, archive, ids_in

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

__all__ = ["CAMERAS", "archive"]  # the fixture: admin, owner and other on a public archive


def favorite_ids(client: httpx.Client) -> list[int]:
    answer = client.get("/api/v1/favorites")
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def test_favorites_are_toggled_and_private_to_their_person(archive: LiveServer) -> None:
    owner, other = api_login(archive, "owner"), api_login(archive, "other")
    first, second = (uploaded(owner, path) for path in CAMERAS[:2])
    for _ in range(2):  # idempotent
        marked = other.put(f"/api/v1/photos/{first}/favorite")
        assert marked.status_code == 200 and marked.json() == {"favorite": True}
    assert other.put(f"/api/v1/photos/{second}/favorite").json() == {"favorite": True}
    assert favorite_ids(other) == [second, first]  # newest favorite first
    assert other.get(f"/api/v1/photos/{first}").json()["favorite"] is True
    # Nobody else sees or counts another's favorites.
    assert favorite_ids(owner) == []
    assert owner.get(f"/api/v1/photos/{first}").json()["favorite"] is False
    assert archive.client().get(f"/api/v1/photos/{first}").json()["favorite"] is False
    page = browser(archive, "owner").get(f"/photos/{first}").text
    assert 'aria-pressed="true"' not in page.split('id="favorite-')[1]
    assert "<strong data-count" not in browser(archive, "owner").get("/favorites").text
    for _ in range(2):
        unmarked = other.delete(f"/api/v1/photos/{second}/favorite")
        assert unmarked.status_code == 200 and unmarked.json() == {"favorite": False}
    assert favorite_ids(other) == [first]
    # A photo made private to them leaves their list, and cannot be marked.
    assert owner.patch(f"/api/v1/photos/{first}", json={"visibility": "private"}).is_success
    assert favorite_ids(other) == []
    assert other.put(f"/api/v1/photos/{first}/favorite").status_code == 404
    assert ids_in(browser(archive, "other").get("/favorites").text, "grid-") == set()
    assert owner.patch(f"/api/v1/photos/{first}", json={"visibility": "family"}).is_success
    assert favorite_ids(other) == [first]


def test_the_photo_page_favorite_form_works_with_and_without_htmx(archive: LiveServer) -> None:
    photo_id = uploaded(api_login(archive, "owner"), CAMERAS[0])
    page = browser(archive, "other")
    done = form_post(page, f"/photos/{photo_id}/favorite", {"favorite": "1"})
    assert done.status_code == 303
    assert ids_in(page.get("/favorites").text, "grid-") == {photo_id}
    html = page.get(f"/photos/{photo_id}?from=favorites").text
    assert f'id="favorite-button-{photo_id}"' in html and 'aria-pressed="true"' in html
    swapped = form_post(
        page, f"/photos/{photo_id}/favorite", {"favorite": "0"}, headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200
    assert f'id="favorite-button-{photo_id}"' in swapped.text
    assert 'aria-pressed="false"' in swapped.text and "<html" not in swapped.text
    assert ids_in(page.get("/favorites").text, "grid-") == set()


def test_archived_photos_leave_feed_and_profile_but_stay_in_albums_and_links(
    archive: LiveServer,
) -> None:
    owner = api_login(archive, "owner")
    kept, hidden = (uploaded(owner, path) for path in CAMERAS[:2])
    album = owner.post("/api/v1/albums", json={"title": "Trip"}).json()["id"]
    assert owner.post(f"/api/v1/albums/{album}/photos", json={"photo_ids": [hidden]}).is_success
    link = owner.post("/api/v1/shares", json={"photo_ids": [hidden]})
    assert link.status_code == 201, link.text

    other = api_login(archive, "other")
    assert other.patch(f"/api/v1/photos/{hidden}", json={"archived": True}).status_code == 403
    made = owner.patch(f"/api/v1/photos/{hidden}", json={"archived": True})
    assert made.status_code == 200 and made.json()["archived"] is True
    assert "archived" not in other.get(f"/api/v1/photos/{hidden}").json()

    readers = {
        "owner": browser(archive, "owner"),
        "other": browser(archive, "other"),
        "guest": archive.client(),
    }
    for who, page in readers.items():
        assert ids_in(page.get("/").text, "photo-") == {kept}, who
        assert ids_in(page.get("/u/owner").text, "grid-") == {kept}, who
        assert 'data-count="photos">1<' in page.get("/u/owner").text, who
        assert page.get(f"/photos/{hidden}").status_code == 200, who
    for api in (owner, other):
        assert [p["id"] for p in api.get("/api/v1/photos").json()["items"]] == [kept]
        assert api.get("/api/v1/users/owner").json()["counts"]["photos"] == 1
    in_album = owner.get(f"/api/v1/albums/{album}/photos").json()["items"]
    assert [p["id"] for p in in_album] == [hidden]
    shared = archive.client().get(httpx.URL(link.json()["url"]).path)
    assert shared.status_code == 200 and f"/media/{hidden}/" in shared.text

    assert ids_in(readers["owner"].get("/archive").text, "grid-") == {hidden}
    assert ids_in(readers["other"].get("/archive").text, "grid-") == set()
    assert readers["guest"].get("/archive", follow_redirects=False).status_code == 303

    restored = form_post(readers["owner"], f"/photos/{hidden}/archive", {"archived": "0"})
    assert restored.status_code == 303
    assert ids_in(readers["other"].get("/").text, "photo-") == {kept, hidden}
    assert ids_in(readers["owner"].get("/archive").text, "grid-") == set()


def test_patching_archived_on_a_photo_one_may_not_see_is_404(archive: LiveServer) -> None:
    owner, other = api_login(archive, "owner"), api_login(archive, "other")
    photo_id = uploaded(owner, CAMERAS[0])
    assert owner.patch(f"/api/v1/photos/{photo_id}", json={"visibility": "private"}).is_success
    assert other.patch(f"/api/v1/photos/{photo_id}", json={"archived": True}).status_code == 404
    assert archive.client().get(f"/api/v1/photos/{photo_id}").status_code == 404
    assert owner.get(f"/api/v1/photos/{photo_id}").json()["archived"] is False
