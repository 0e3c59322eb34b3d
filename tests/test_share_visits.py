"""A share link's view count: one view per visit (its first page, as a page or through the API),
never for its further pages, its media, or the fetchers chat apps send to preview a pasted link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from photoarchive.library import share_holders
from tests.support import PHOTOS, LiveServer, api_login, archive_of, uploaded

ON_BOTH_ENGINES = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
# What each chat app's preview fetcher sends, as they announce themselves.
PREVIEW_FETCHERS = {
    "Slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Slack images": "Slack-ImgProxy (+https://api.slack.com/robots)",
    "WhatsApp": "WhatsApp/2.23.20.0 A",
    "Telegram": "TelegramBot (like TwitterBot)",
    "Discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "iMessage": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko)"
        " Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0"
    ),
    "Facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "X": "Twitterbot/1.0",
    "LinkedIn": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Teams and Skype": "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5",
    "Mastodon": "http.rb/5.1.1 (Mastodon/4.2.0; +https://social.example/)",
}
PEOPLE = {
    "Firefox": FIREFOX,
    "Chrome": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/126.0.0.0 Safari/537.36"
    ),
    "Safari on an iPhone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
    ),
    "no header": "",
}


@pytest.mark.parametrize("agent", PREVIEW_FETCHERS.values(), ids=PREVIEW_FETCHERS.keys())
def test_chat_preview_fetchers_are_known(agent: str) -> None:
    assert share_holders.is_preview_fetcher(agent)


@pytest.mark.parametrize("agent", PEOPLE.values(), ids=PEOPLE.keys())
def test_browsers_are_people(agent: str) -> None:
    assert not share_holders.is_preview_fetcher(agent)


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("owner",)) as server:
        yield server


def views(owner: httpx.Client, share_id: object) -> int:
    (listed,) = [item for item in owner.get("/api/v1/shares").json()["items"]]
    assert listed["id"] == share_id
    return int(listed["view_count"])


@ON_BOTH_ENGINES
def test_a_visit_is_one_view_whatever_it_then_opens(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    ids = [uploaded(owner, path) for path in CAMERAS[:3]]
    made = owner.post("/api/v1/shares", json={"photo_ids": ids})
    assert made.status_code == 201, made.text
    token, share_id = made.json()["token"], made.json()["id"]
    guest = archive.client(headers={"user-agent": FIREFOX})

    # A HEAD (a link checker's, a mail scanner's) shows nobody anything.
    assert guest.head(f"/s/{token}").status_code == 200
    assert guest.head(f"/api/v1/s/{token}").status_code == 200
    assert views(owner, share_id) == 0
    assert guest.get(f"/s/{token}").status_code == 200
    assert views(owner, share_id) == 1
    # Its further pages ("More photos") and its media belong to the same visit.
    assert guest.get(f"/s/{token}", params={"cursor": "1"}).status_code == 200
    assert guest.get(f"/s/{token}/media/{ids[0]}/thumbnail").status_code == 200
    assert guest.get(f"/s/{token}/media/{ids[0]}/preview").status_code == 200
    assert views(owner, share_id) == 1

    # Through the API too: its first page is a visit, the pages after it are not.
    first = guest.get(f"/api/v1/s/{token}", params={"limit": 1}).json()
    cursor = first["next_cursor"]
    while cursor:
        cursor = guest.get(f"/api/v1/s/{token}", params={"limit": 1, "cursor": cursor}).json()[
            "next_cursor"
        ]
    assert views(owner, share_id) == 2


@ON_BOTH_ENGINES
def test_a_chat_apps_preview_is_not_a_view(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    photo_id = uploaded(owner, CAMERAS[0])
    made = owner.post("/api/v1/shares", json={"photo_ids": [photo_id]}).json()
    for agent in PREVIEW_FETCHERS.values():
        fetcher = archive.client(headers={"user-agent": agent})
        page = fetcher.get(f"/s/{made['token']}")
        assert page.status_code == 200 and 'property="og:title"' in page.text
        assert fetcher.get(f"/s/{made['token']}/media/{photo_id}/thumbnail").status_code == 200
        assert fetcher.get(f"/api/v1/s/{made['token']}").status_code == 200
    assert views(owner, made["id"]) == 0
    # The person who then opens the link is counted.
    assert archive.client(headers={"user-agent": FIREFOX}).get(f"/s/{made['token']}").is_success
    assert views(owner, made["id"]) == 1
