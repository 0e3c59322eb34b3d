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
    (line,) = page.find_all("p", id=f"liked-by-{pid}")
    assert "hidden" in line and "Liked by" not in page.text  # nobody yet: nothing said
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


def test_a_like_on_the_photos_page_puts_who_liked_it_right(server: LiveServer) -> None:
    """htmx swaps the like form; its answer also brings the "Liked by" line, which is outside
    the form (and not on a card, whose form does not ask for it)."""
    alice = sign_up(server, "alice")
    pid = upload(alice, CAMERAS[0]).json()["items"][0]["id"]
    bob = sign_up(server, "bob")
    page = parse(bob.get(f"/photos/{pid}").text)
    (likers,) = page.find_all("input", name="likers")
    assert likers["value"] == "1"

    def like(liked: str, **fields: str) -> str:
        answer = form_post(
            bob, f"/photos/{pid}/like", {"liked": liked, **fields}, headers={"HX-Request": "true"}
        )
        assert answer.status_code == 200, answer.text
        return answer.text

    liked = parse(like("1", likers="1"))
    (line,) = liked.find_all("p", id=f"liked-by-{pid}")
    assert line["hx-swap-oob"] == "true" and "hidden" not in line
    assert "Liked by bob" in liked.text
    unliked = parse(like("0", likers="1"))
    (line,) = unliked.find_all("p", id=f"liked-by-{pid}")
    assert "hidden" in line and "Liked by" not in unliked.text
    assert not parse(like("1")).find_all("p", id=f"liked-by-{pid}")  # a card's form
