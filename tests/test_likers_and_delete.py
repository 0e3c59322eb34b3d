"""Who liked a photo is named on its page; deleting a photo leads back to where it was opened."""

from __future__ import annotations

import pytest

from tests.support import PHOTOS, LiveServer, form_post, parse, sign_up, upload

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))


def test_the_photo_page_names_who_liked_it(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    pid = upload(alice, CAMERAS[0]).json()["items"][0]["id"]
    page = parse(alice.get(f"/photos/{pid}").text)
    assert not page.find_all("p", id=f"liked-by-{pid}")  # nobody yet: no line at all
    for name in ("bob", "carol"):
        friend = sign_up(server, name)
        assert form_post(friend, f"/photos/{pid}/like", {"liked": "1"}).status_code == 303
    page = parse(alice.get(f"/photos/{pid}").text)
    assert page.find_all("p", id=f"liked-by-{pid}")
    links = {a.get("href") for a in page.find_all("a", **{"class": "owner"})}
    assert {"/u/bob", "/u/carol"} <= links
    assert "Liked by" in page.text


def test_deleting_goes_back_to_the_list_at_the_photo_that_takes_its_place(
    server: LiveServer,
) -> None:
    alice = sign_up(server, "alice")
    ids = [upload(alice, path).json()["items"][0]["id"] for path in CAMERAS[:3]]
    oldest, middle, newest = ids
    page = parse(alice.get(f"/photos/{middle}?from=feed").text)
    nexts = [i.get("value") for i in page.find_all("input", name="next")]
    assert nexts == [f"/#photo-{oldest}"]
    gone = form_post(alice, f"/photos/{middle}/delete", {"next": nexts[0]})
    assert (
        gone.status_code == 303 and gone.headers["location"] == f"/?trashed={middle}#photo-{oldest}"
    )
    # From a profile, back to the profile's grid.
    page = parse(alice.get(f"/photos/{newest}?from=user:alice").text)
    target = next(i.get("value") for i in page.find_all("input", name="next"))
    assert target == f"/u/alice#grid-{oldest}"
    # Only a path on this site is followed; without one, one's own profile.
    evil = form_post(alice, f"/photos/{newest}/delete", {"next": "https://example.org/"})
    assert evil.headers["location"] == f"/?trashed={newest}"
    last = form_post(alice, f"/photos/{oldest}/delete")
    assert last.headers["location"] == f"/u/alice?trashed={oldest}"
