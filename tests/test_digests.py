"""The daily digest's rules on the domain functions, with a real SQLite file, a frozen clock and
a real SMTP server (aiosmtpd on 127.0.0.1): off by default, nothing sent without news, once a
day at most, what access hides left out, nothing for a disabled account, one mail however many
processes run, and a refused mail tried again without doubling. The settings page and a
digest followed through a live server are in test_digests_web.py."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest

from photoarchive.accounts import users
from photoarchive.accounts.mail import Mailer
from photoarchive.library import (
    access,
    album_members,
    album_photos,
    albums,
    comments,
    digests,
    likes,
    notifications,
)
from photoarchive.services import Services
from photoarchive.settings import Settings, parse_smtp_url
from tests.mailbox import LINK, Mailbox, body, smtp_server
from tests.support import FrozenClock, free_socket, make_settings, services, sqlite_only
from tests.test_notifications import person, photo_of

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

HANG = 60  # seconds: a stuck scenario fails instead of stalling the run
DAY = digests.INTERVAL_SECONDS
Body = Callable[[Services], Awaitable[None]]


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
    )


@asynccontextmanager
async def process(settings: Settings, smtp_url: str | None = None) -> AsyncIterator[Services]:
    """What one app process has: its own connections to the archive's file, its own mailer."""
    mail = Mailer(parse_smtp_url(smtp_url) if smtp_url else settings.smtp)
    async with services(settings, mail=mail) as svc:
        yield svc


def scenario(settings: Settings, body: Body) -> None:
    async def run() -> None:
        async with process(settings) as svc:
            await asyncio.wait_for(body(svc), HANG)

    asyncio.run(run())


async def captioned_photo(svc: Services, owner: users.User, caption: str = "") -> int:
    photo_id = await photo_of(svc, owner)
    await svc.db.execute("UPDATE photos SET caption = ? WHERE id = ?", (caption, photo_id))
    return photo_id


def only_mail(mailbox: Mailbox) -> EmailMessage:
    (message,) = mailbox.left()
    return message


def test_off_by_default(settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock) -> None:
    async def body_(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        await comments.add(svc, bob, await photo_of(svc, alice), "lovely")
        frozen_clock.advance(2 * DAY)
        assert not await digests.is_on(svc.db, alice.id)
        assert await digests.send_due(svc) == 0

    scenario(settings, body_)
    assert mailbox.left() == []


def test_nothing_new_sends_nothing(
    settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    async def body_(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        photo_id = await photo_of(svc, alice)
        await comments.add(svc, bob, photo_id, "before it was turned on")
        await digests.set_on(svc, alice, True)
        assert await digests.is_on(svc.db, alice.id)
        assert await digests.send_due(svc) == 0  # what came before is the page's, not a mail's
        await comments.add(svc, bob, photo_id, "read in the app before the digest")
        await notifications.mark_read(svc, alice)
        await comments.add(svc, alice, photo_id, "her own")
        frozen_clock.advance(2 * DAY)
        assert await digests.send_due(svc) == 0

    scenario(settings, body_)
    assert mailbox.left() == []


def test_a_digest_names_who_and_which_photo_once_a_day_at_most(
    settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    async def body_(svc: Services) -> None:
        alice, bob, carol = [await person(svc, n) for n in ("alice", "bob", "carol")]
        harbour = await captioned_photo(svc, alice, "Harbour at\ndawn")
        plain = await captioned_photo(svc, alice)
        await digests.set_on(svc, alice, True)
        await comments.add(svc, bob, harbour, "lovely light")
        await likes.set_like(svc, carol, harbour, True)
        await comments.add(svc, carol, plain, "who is this?")
        assert await digests.send_due(svc) == 1
        first = only_mail(mailbox)
        assert parseaddr(first["To"])[1] == "alice@example.org"
        assert first["Subject"].startswith("2 new comments and 1 like on your photos")
        text = body(first)
        assert "2 new comments and 1 like on your photos since earlier today:" in text
        assert "bob commented on “Harbour at dawn”: “lovely light”" in text
        assert "carol liked “Harbour at dawn”" in text
        assert "carol commented on a photo: “who is this?”" in text
        assert text.index("lovely light") < text.index("liked") < text.index("who is this")
        assert LINK.findall(text) == [
            *(f"https://photos.example.org/photos/{p}" for p in (harbour, harbour, plain)),
            "https://photos.example.org/notifications",
            "https://photos.example.org/settings",
        ]

        # More news the same day waits for the day to be over.
        await comments.add(svc, bob, plain, "a second thought")
        assert await digests.send_due(svc) == 0
        frozen_clock.advance(DAY - 60)
        assert await digests.send_due(svc) == 0
        assert mailbox.left() == []
        frozen_clock.advance(60)
        assert await digests.send_due(svc) == 1
        second = body(only_mail(mailbox))
        assert "1 new comment on your photos since yesterday:" in second
        assert "a second thought" in second and "lovely light" not in second
        # Told once: nothing more without more news, however long.
        frozen_clock.advance(3 * DAY)
        assert await digests.send_due(svc) == 0

    scenario(settings, body_)
    assert mailbox.left() == []


def test_a_time_zone_the_server_no_longer_knows_reads_as_utc_and_stops_no_one(
    settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    """A zone saved before an update of the server's tz database took it away: that person's
    summary is read in UTC, and the summaries of those after them still go out."""

    async def body_(svc: Services) -> None:
        alice, bob, carol = [await person(svc, n) for n in ("alice", "bob", "carol")]
        for owner in (alice, bob):
            photo = await captioned_photo(svc, owner, "Harbour")
            await digests.set_on(svc, owner, True)
            await comments.add(svc, carol, photo, "lovely")
        await svc.db.execute(
            "INSERT INTO user_preferences (user_id, time_zone) VALUES (?, ?)",
            (alice.id, "Mars/Olympus"),
        )
        assert await digests.send_due(svc) == 2
        told = sorted(parseaddr(m["To"])[1] for m in mailbox.left())
        assert told == ["alice@example.org", "bob@example.org"]

    scenario(settings, body_)


def test_being_added_to_an_album_is_news_of_its_own(
    settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    async def body_(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        await digests.set_on(svc, bob, True)
        summer = await albums.create(svc, alice, "Summer   at\nthe lake")
        await album_members.set_member(svc, alice, summer.id, "bob", "viewer")
        assert await digests.send_due(svc) == 1
        first = only_mail(mailbox)
        assert first["Subject"].startswith("1 new album shared with you (")
        text = body(first)
        assert "1 new album shared with you since earlier today:" in text
        assert "alice added you to the album “Summer at the lake”" in text
        assert LINK.findall(text)[0] == f"https://photos.example.org/albums/{summer.id}"

        # With news of their photos the same day: both, in one line.
        frozen_clock.advance(DAY)
        await comments.add(svc, alice, await photo_of(svc, bob), "nice")
        winter = await albums.create(svc, alice, "Winter")
        await album_members.set_member(svc, alice, winter.id, "bob", "contributor")
        assert await digests.send_due(svc) == 1
        text = body(only_mail(mailbox))
        assert (
            "1 new comment on your photos and 1 new album shared with you since yesterday:"
        ) in text
        assert "alice added you to the album “Winter”" in text and "Summer" not in text

    scenario(settings, body_)
    assert mailbox.left() == []


def test_photos_added_to_an_album_are_counted_in_the_digest(
    settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    async def body_(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        summer = await albums.create(svc, alice, "Summer")
        await album_members.set_member(svc, alice, summer.id, "bob", "viewer")
        await notifications.mark_read(svc, bob)
        await digests.set_on(svc, bob, True)
        frozen_clock.advance(60)
        added = [await photo_of(svc, alice) for _ in range(3)]
        await album_photos.add(svc, await albums.find(svc.db, summer.id, alice), alice, added)
        assert await digests.send_due(svc) == 1
        first = only_mail(mailbox)
        assert first["Subject"].startswith("New photos in 1 album (")
        text = body(first)
        assert "New photos in 1 album since earlier today:" in text
        assert "alice added 3 photos to the album “Summer”" in text
        assert LINK.findall(text)[0] == f"https://photos.example.org/albums/{summer.id}"

        # All three kinds of news in one line.
        frozen_clock.advance(DAY)
        await comments.add(svc, alice, await photo_of(svc, bob), "nice")
        winter = await albums.create(svc, alice, "Winter")
        await album_members.set_member(svc, alice, winter.id, "bob", "viewer")
        frozen_clock.advance(60)
        one = await photo_of(svc, alice)
        await album_photos.add(svc, await albums.find(svc.db, winter.id, alice), alice, [one])
        assert await digests.send_due(svc) == 1
        text = body(only_mail(mailbox))
        assert (
            "1 new comment on your photos, 1 new album shared with you and new photos in 1"
            " album since yesterday:"
        ) in " ".join(text.split())
        assert "alice added 1 photo to the album “Winter”" in text

    scenario(settings, body_)
    assert mailbox.left() == []


def test_a_comment_on_a_photo_access_hides_is_left_out(
    settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A photo its owner may no longer see (trashed, once that exists: an owner always sees
    their private photos) is decided by library/access.py alone: here the decision is made to
    hide one photo, after the comments on it were made."""

    async def body_(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        shown = await captioned_photo(svc, alice, "shown")
        hidden = await captioned_photo(svc, alice, "hidden")
        decide = access.decide

        def hiding(
            viewer: access.Viewer, photo: access.Owned, *, places_shared: bool = False
        ) -> access.Access:
            return (
                access.NONE
                if getattr(photo, "id", 0) == hidden
                else decide(viewer, photo, places_shared=places_shared)
            )

        await digests.set_on(svc, alice, True)
        await comments.add(svc, bob, hidden, "on the hidden one")
        monkeypatch.setattr(access, "decide", hiding)
        assert await digests.send_due(svc) == 0
        monkeypatch.setattr(access, "decide", decide)
        await comments.add(svc, bob, shown, "on the shown one")
        monkeypatch.setattr(access, "decide", hiding)
        assert await digests.send_due(svc) == 1

    scenario(settings, body_)
    text = body(only_mail(mailbox))
    assert "on the shown one" in text and "1 new comment on your photos" in text
    assert "hidden" not in text


@pytest.mark.parametrize("public_view", [False, True])
def test_a_disabled_account_gets_nothing(
    settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock, public_view: bool
) -> None:
    """Even where guests may look at photos (a disabled account acts as a guest)."""

    async def body_(svc: Services) -> None:
        admin, bob, carol = [await person(svc, n) for n in ("admin", "bob", "carol")]
        await digests.set_on(svc, bob, True)
        await comments.add(svc, carol, await photo_of(svc, bob), "nice")
        await users.set_disabled(svc.db, admin, "bob", True)
        assert await digests.send_due(svc) == 0
        assert mailbox.left() == []
        # The same news, once the account is enabled again: so it was the account that counted.
        await users.set_disabled(svc.db, admin, "bob", False)
        assert await digests.send_due(svc) == 1

    scenario(dataclasses.replace(settings, public_view=public_view), body_)
    assert parseaddr(only_mail(mailbox)["To"])[1] == "bob@example.org"


def test_two_processes_at_once_send_one_mail(
    settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    async def run() -> None:
        async with process(settings) as one, process(settings) as two:
            alice, bob = await person(one, "alice"), await person(one, "bob")
            await digests.set_on(one, alice, True)
            await comments.add(one, bob, await photo_of(one, alice), "lovely")
            # Both find the digest due before either claims it.
            (due_one,), (due_two,) = await digests.due(one), await digests.due(two)
            sent = await asyncio.gather(
                digests.send_one(one, due_one), digests.send_one(two, due_two)
            )
            assert sorted(sent) == [False, True]
            # And whole passes at the same moment, a day later.
            frozen_clock.advance(DAY)
            await comments.add(two, bob, await photo_of(two, alice), "another")
            passes = await asyncio.gather(digests.send_due(one), digests.send_due(two))
            assert sum(passes) == 1

    asyncio.run(asyncio.wait_for(run(), HANG))
    first, second = mailbox.left()
    assert "lovely" in body(first) and "another" in body(second)
    assert "lovely" not in body(second)


def test_a_refused_mail_is_tried_again_later_and_sent_once(
    settings: Settings,
    mailbox: Mailbox,
    frozen_clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    closed = free_socket()  # a port nothing listens on
    nowhere = f"smtp://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()

    async def run() -> None:
        async with process(settings, nowhere) as down, process(settings) as up:
            alice, bob = await person(up, "alice"), await person(up, "bob")
            await digests.set_on(up, alice, True)
            await comments.add(up, bob, await photo_of(up, alice), "lovely")
            with caplog.at_level(logging.WARNING, logger="photoarchive.digests"):
                assert await digests.send_due(down) == 0
            assert any("not sent" in r.getMessage() for r in caplog.records)
            frozen_clock.advance(digests.WAKE_SECONDS)
            assert await digests.send_due(up) == 1
            assert await digests.send_due(up) == 0
            assert await digests.send_due(down) == 0  # nothing left to send

    asyncio.run(asyncio.wait_for(run(), HANG))
    assert "lovely" in body(only_mail(mailbox))


def test_turning_it_on_twice_keeps_what_was_covered(
    settings: Settings, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    async def body_(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        await digests.set_on(svc, alice, True)
        await comments.add(svc, bob, await photo_of(svc, alice), "lovely")
        await digests.set_on(svc, alice, True)  # the form saved again: the news stays news
        assert await digests.send_due(svc) == 1
        await digests.set_on(svc, alice, False)
        assert not await digests.is_on(svc.db, alice.id)
        await comments.add(svc, bob, await photo_of(svc, alice), "while it was off")
        frozen_clock.advance(DAY)
        assert await digests.send_due(svc) == 0

    scenario(settings, body_)
    assert "lovely" in body(only_mail(mailbox))


@sqlite_only  # rewinds PRAGMA user_version; PostgreSQL's migrations are applied once each
def test_the_migration_runs_again_on_a_rewound_archive(settings: Settings) -> None:

    async def turn_on(svc: Services) -> None:
        await digests.set_on(svc, await person(svc, "alice"), True)

    scenario(settings, turn_on)
    with sqlite3.connect(settings.database_path) as conn:
        conn.execute("PRAGMA user_version = 11")

    async def reopen(svc: Services) -> None:
        assert await svc.db.schema_version() >= 12
        assert await digests.is_on(svc.db, (await users.by_username(svc.db, "alice")).id)

    scenario(settings, reopen)
