""" "The page this came from" is one rule: an error page's way back and a plain form's return
read the same Referer the same way (web/render.py `referring_page`)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import PHOTOS, LiveServer, form_post, parse, sign_up, uploaded

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

# Referer (with {url}: the server's own address, {public}: the archive's public address) and
# the page it names, or None for no page of this site.
REFERERS = [
    ("{url}/u/alice?cursor=7", "/u/alice?cursor=7"),
    ("{public}/u/alice", "/u/alice"),  # behind a proxy that sends its own Host
    ("{url}/u/alice?from=feed&trashed=4", "/u/alice?from=feed"),
    # What a redirect said once is not said again on the way back.
    ("{url}/albums/3?saved=share", "/albums/3"),
    ("{url}/albums/3?removed=2&kept=1&cursor=9", "/albums/3?cursor=9"),
    ("ftp://{host}/u/alice", None),
    ("https://elsewhere.example/u/alice", None),
    ("{url}//elsewhere.example/u/alice", None),
    ("/u/alice", None),
]


def error_page_way_back(client: httpx.Client, referer: str) -> str | None:
    refused = form_post(client, "/albums", {"title": ""}, headers={"Referer": referer})
    assert refused.status_code == 422
    backs = [a["href"] for a in parse(refused.text).find_all("a") if "data-go-back" in a]
    assert len(backs) <= 1
    return backs[0] if backs else None


def form_return(client: httpx.Client, photo_id: int, referer: str) -> str | None:
    liked = form_post(
        client, f"/photos/{photo_id}/like", {"liked": "1"}, headers={"Referer": referer}
    )
    assert liked.status_code == 303
    target = liked.headers["location"].split("#", 1)[0]
    return None if target == f"/photos/{photo_id}" else target  # the fallback: no page


@pytest.mark.parametrize(("referer", "page"), REFERERS, ids=[r for r, _ in REFERERS])
def test_error_pages_and_forms_go_back_to_the_same_page(
    server: LiveServer, referer: str, page: str | None
) -> None:
    alice = sign_up(server, "alice")
    photo_id = uploaded(alice, PHOTOS / "cameras" / "Canon_40D.jpg")
    sent = referer.format(
        url=server.url,
        public=server.settings.public_url.rstrip("/"),
        host=urlsplit(server.url).netloc,
    )
    assert error_page_way_back(alice, sent) == page
    assert form_return(alice, photo_id, sent) == page
