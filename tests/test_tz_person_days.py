"""A person's own time zone (/settings) decides their "today" and "yesterday": the memories
they are shown (API and feed) and the period their daily digest names. Someone whose setting
is automatic (only their browser knows their zone) gets the archive's zone. Both engines."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from photoarchive.accounts import time_zones
from photoarchive.accounts.mail import Mailer
from photoarchive.library import comments, digests
from photoarchive.services import Services
from photoarchive.settings import Settings, parse_smtp_url
from tests.mailbox import Mailbox, body, smtp_server
from tests.support import (
    PHOTOS,
    FrozenClock,
    LiveServer,
    api_login,
    archive_of,
    browser,
    form_post,
    make_settings,
    services,
    uploaded,
)
from tests.test_notifications import person, photo_of

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

ARCHIVE_ZONE = "America/New_York"  # west of UTC
TOKYO = "Asia/Tokyo"  # east of it
CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))


@pytest.fixture
def archive(tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[LiveServer]:
    # 4 July 2026, 01:00 UTC: 3 July (21:00) in New York, 4 July (10:00) in Tokyo.
    frozen_clock.moment = datetime(2026, 7, 4, 1, 0, tzinfo=UTC).timestamp()
    with archive_of(tmp_path / "data", ("alice", "bob"), timezone=ARCHIVE_ZONE) as server:
        yield server


def remembered(server: LiveServer, name: str) -> list[int]:
    answer = api_login(server, name).get("/api/v1/memories")
    assert answer.status_code == 200, answer.text
    return [photo["id"] for memory in answer.json()["items"] for photo in memory["photos"]]


def test_memories_are_of_the_viewers_own_today(archive: LiveServer) -> None:
    alice = api_login(archive, "alice")
    fourth, third = uploaded(alice, CAMERAS[0]), uploaded(alice, CAMERAS[1])
    with archive.db() as conn:
        for photo_id, stamp in ((fourth, "2021-07-04T12:00:00"), (third, "2021-07-03T12:00:00")):
            conn.execute("UPDATE photos SET taken_at = ? WHERE id = ?", (stamp, photo_id))
    # Both automatic: the archive's 3 July.
    assert remembered(archive, "alice") == [third]
    assert remembered(archive, "bob") == [third]

    settings_form = browser(archive, "alice")
    saved = form_post(settings_form, "/settings/time-zone", {"time_zone": TOKYO})
    assert saved.status_code in (200, 303), saved.text
    assert remembered(archive, "alice") == [fourth]  # her 4 July
    assert remembered(archive, "bob") == [third]  # his setting is still automatic


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def settings(tmp_path: Path, mailbox: Mailbox) -> Settings:
    return make_settings(
        tmp_path / "data",
        smtp=parse_smtp_url(mailbox.url),
        mail_from="photos@example.org",
        public_url="https://photos.example.org",
        timezone=ARCHIVE_ZONE,
    )


def test_a_digest_names_its_period_by_the_persons_calendar(
    settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    # Friday 3 July 2026, 14:30 UTC: 23:30 in Tokyo, 10:30 in New York.
    frozen_clock.moment = datetime(2026, 7, 3, 14, 30, tzinfo=UTC).timestamp()

    async def scenario(svc: Services) -> dict[str, str]:
        ann, ben, cat = [await person(svc, name) for name in ("ann", "ben", "cat")]
        await time_zones.set_time_zone(svc.db, ann, TOKYO)  # ben's stays automatic
        photos = {ann.username: await photo_of(svc, ann), ben.username: await photo_of(svc, ben)}
        for owner in (ann, ben):
            await digests.set_on(svc, owner, True)
            await comments.add(svc, cat, photos[owner.username], "first")
        assert await digests.send_due(svc) == 2
        first = {message["To"]: body(message) for message in mailbox.left()}
        assert all("since earlier today:" in text for text in first.values()), first
        # 25 hours on: 00:30 on Sunday 5 July in Tokyo, 11:30 on Saturday 4 July in New York.
        frozen_clock.advance(25 * 3600)
        for owner in (ann, ben):
            await comments.add(svc, cat, photos[owner.username], "second")
        assert await digests.send_due(svc) == 2
        return {message["To"]: body(message) for message in mailbox.left()}

    async def run() -> dict[str, str]:
        async with services(settings, mail=Mailer(settings.smtp)) as svc:
            return await asyncio.wait_for(scenario(svc), 60)

    second = asyncio.run(run())
    assert len(second) == 2
    (ann_text,) = [text for to, text in second.items() if "ann@" in to]
    (ben_text,) = [text for to, text in second.items() if "ben@" in to]
    assert "1 new comment on your photos since Friday 3 July:" in ann_text
    assert "1 new comment on your photos since yesterday:" in ben_text
