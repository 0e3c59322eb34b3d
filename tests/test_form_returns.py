"""Where a plain form (no scripts) on a photo leaves a person: back on the page it was posted
from, as the browser names it in Referer (a page of this site only), at the photo there; a
photo's own page comes back as it was opened, from the same list. Without a Referer, or with
another site's, the photo's page."""

from __future__ import annotations

import httpx
import pytest

from tests.support import PHOTOS, LiveServer, form_post, sign_up, uploaded

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def _family(server: LiveServer) -> tuple[httpx.Client, int]:
    alice = sign_up(server, "alice")
    photo_id = uploaded(alice, PHOTOS / "cameras" / "Canon_40D.jpg")
    return sign_up(server, "bob"), photo_id


def _post(
    client: httpx.Client, server: LiveServer, url: str, data: dict[str, str], came_from: str
) -> str:
    answer = form_post(client, url, data, headers={"Referer": server.url + came_from})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def test_like_and_comment_from_the_feed_return_to_the_photo_in_the_feed(
    server: LiveServer,
) -> None:
    bob, photo_id = _family(server)
    like = _post(bob, server, f"/photos/{photo_id}/like", {"liked": "1"}, "/?cursor=99")
    assert like == f"/?cursor=99#photo-{photo_id}"
    said = _post(bob, server, f"/photos/{photo_id}/comments", {"text": "Lovely"}, "/")
    assert said == f"/#comments-{photo_id}"
    star = _post(bob, server, f"/photos/{photo_id}/favorite", {"favorite": "1"}, "/")
    assert star == f"/#photo-{photo_id}"
    page = bob.get(f"/photos/{photo_id}").text
    assert "Lovely" in page and "1 like" in page


def test_a_photo_page_comes_back_opened_from_the_same_list(server: LiveServer) -> None:
    bob, photo_id = _family(server)
    opened = f"/photos/{photo_id}?from=user:alice"
    assert _post(bob, server, f"/photos/{photo_id}/like", {"liked": "1"}, opened) == opened
    said = _post(bob, server, f"/photos/{photo_id}/comments", {"text": "Hi"}, opened)
    assert said == opened
    with server.db() as conn:
        comment_id = conn.execute("SELECT id FROM comments").fetchone()[0]
    assert _post(bob, server, f"/comments/{comment_id}/delete", {}, opened) == opened
    # The notice of a photo just moved to the trash is not said again.
    shown = f"/photos/{photo_id}?from=feed&trashed=12"
    like = _post(bob, server, f"/photos/{photo_id}/like", {"liked": "0"}, shown)
    assert like == f"/photos/{photo_id}?from=feed"


def test_the_owner_forms_return_to_the_photo_opened_from_its_list(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    photo_id = uploaded(alice, PHOTOS / "cameras" / "Canon_40D.jpg")
    opened = f"/photos/{photo_id}?from=feed"
    for url, data, back in (
        (f"/photos/{photo_id}/caption", {"caption": "Grandma at the lake"}, opened),
        # Who sees it: back at its form, which says it is saved.
        (
            f"/photos/{photo_id}/visibility",
            {"visibility": "private"},
            f"{opened}&saved=visibility#visibility-{photo_id}",
        ),
        (f"/photos/{photo_id}/archive", {"archived": "1"}, opened),
    ):
        assert _post(alice, server, url, data, opened) == back
    page = alice.get(opened)
    assert page.status_code == 200 and "Grandma at the lake" in page.text


@pytest.mark.parametrize(
    "referer",
    [
        None,
        "https://elsewhere.example/",
        "https://elsewhere.example/photos/1?from=feed",
        "{url}/login?next=/",
        "{url}//elsewhere.example/",
        "javascript:alert(1)",
        "not a url",
    ],
)
def test_without_a_page_of_this_site_the_photo_page(
    server: LiveServer, referer: str | None
) -> None:
    bob, photo_id = _family(server)
    headers = {} if referer is None else {"Referer": referer.format(url=server.url)}
    answer = form_post(bob, f"/photos/{photo_id}/like", {"liked": "1"}, headers=headers)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/photos/{photo_id}"
