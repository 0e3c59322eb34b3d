"""When a session ends, decided by the domain functions alone: no server, a real SQLite file."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from photoarchive.accounts import sessions, users
from photoarchive.accounts.passwords import Passwords
from photoarchive.db import Database, build_database
from photoarchive.errors import Invalid, NotFound
from photoarchive.library import media_lookup
from photoarchive.services import DecodeSlots, Services
from photoarchive.storage.local import LocalBlobStore
from tests.support import PASSWORD, FrozenClock, make_settings

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

IDLE, MAX = 7 * 86400.0, 30 * 86400.0

Scenario = Callable[[Database, users.User, users.User], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    async def main() -> None:
        db = build_database(make_settings(tmp_path))
        await db.open()
        try:
            passwords = Passwords(1024, 1)
            alice = await users.create(
                db, passwords, username="alice", email="a@example.org", password=PASSWORD
            )
            bob = await users.create(
                db, passwords, username="bob", email="b@example.org", password=PASSWORD
            )
            await scenario(db, alice, bob)
        finally:
            await db.close()

    asyncio.run(main())


async def live(db: Database, token: str, kind: str = "cookie") -> sessions.Session | None:
    return await sessions.resolve(db, token, kind, IDLE, MAX)


def test_a_session_ends_after_its_idle_time_and_is_deleted(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    async def scenario(db: Database, alice: users.User, _bob: users.User) -> None:
        token = await sessions.create(db, alice.id, "cookie")
        frozen_clock.advance(IDLE - 1)
        assert (await live(db, token)) is not None  # used just in time: idle clock restarts
        frozen_clock.advance(IDLE - 1)
        assert (await live(db, token)) is not None
        frozen_clock.advance(IDLE + 1)
        assert await live(db, token) is None
        assert await db.fetchval("SELECT COUNT(*) FROM sessions") == 0

    run(tmp_path, scenario)


def test_a_session_in_daily_use_still_ends_at_its_maximum_age(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    async def scenario(db: Database, alice: users.User, _bob: users.User) -> None:
        token = await sessions.create(db, alice.id, "cookie")
        for _day in range(29):
            frozen_clock.advance(86400)
            assert await live(db, token) is not None
        frozen_clock.advance(86400 + 1)
        assert await live(db, token) is None

    run(tmp_path, scenario)


def test_reads_touch_last_seen_at_most_once_a_minute(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    async def scenario(db: Database, alice: users.User, _bob: users.User) -> None:
        token = await sessions.create(db, alice.id, "cookie")
        created = frozen_clock.moment
        frozen_clock.advance(sessions.TOUCH_INTERVAL)
        await live(db, token)
        assert await db.fetchval("SELECT last_seen_at FROM sessions") == created
        frozen_clock.advance(1)
        await live(db, token)
        assert await db.fetchval("SELECT last_seen_at FROM sessions") == frozen_clock.moment

    run(tmp_path, scenario)


def test_a_disabled_person_a_wrong_kind_or_a_forged_token_has_no_session(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    async def scenario(db: Database, alice: users.User, _bob: users.User) -> None:
        token = await sessions.create(db, alice.id, "cookie")
        assert await live(db, token, kind="bearer") is None
        assert await live(db, token + "x") is None
        assert await live(db, "x" * 201) is None
        assert await live(db, "") is None
        await db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (alice.id,))
        assert await live(db, token) is None

    run(tmp_path, scenario)


def test_a_person_ends_only_their_own_sessions(tmp_path: Path, frozen_clock: FrozenClock) -> None:
    async def scenario(db: Database, alice: users.User, bob: users.User) -> None:
        mine = await sessions.create(db, alice.id, "cookie")
        phone = await sessions.create(db, alice.id, "bearer")
        theirs = await sessions.create(db, bob.id, "cookie")
        bobs = await live(db, theirs)
        assert bobs is not None
        with pytest.raises(NotFound):
            await sessions.end_for_user(db, alice.id, bobs.id)
        assert await live(db, theirs) is not None
        current = await live(db, mine)
        assert current is not None
        await sessions.end_all_for_user(db, alice.id, except_id=current.id)
        assert await live(db, mine) is not None
        assert await live(db, phone, kind="bearer") is None
        assert await live(db, theirs) is not None

    run(tmp_path, scenario)


def test_the_media_lookup_reads_the_viewer_from_the_session_not_the_photo(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    """Session and photo come back from one joined query whose halves share column names
    (id, username, created_at): bob must stay bob whatever the photo's id and owner are."""

    async def scenario(db: Database, alice: users.User, bob: users.User) -> None:
        for _ in range(3):  # photo ids 1..3: one equal to alice's id, one to bob's
            await db.execute(
                "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
                " preview_width, created_at) VALUES (?, ?, 1, 'image/jpeg', 1, 1, 1, '')",
                (alice.id, secrets.token_hex(32)),
            )
        token = await sessions.create(db, bob.id, "cookie")
        svc = Services(
            settings=make_settings(tmp_path / "data"),
            db=db,
            store=LocalBlobStore(tmp_path / "blobs", tmp_path / "tmp"),
            passwords=Passwords(1024, 1),
            image_slots=DecodeSlots(1),
        )
        for photo_id in (1, 2, 3):
            session, photo = await media_lookup.find_with_session(svc, photo_id, token, "cookie")
            assert session is not None and photo is not None
            assert (session.user.id, session.user.username) == (bob.id, "bob")
            assert (photo.id, photo.owner_id, photo.owner) == (photo_id, alice.id, "alice")
        nobody, photo = await media_lookup.find_with_session(svc, 2, "", "cookie")
        assert nobody is None and photo is not None and photo.owner == "alice"

    run(tmp_path, scenario)


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        ("carol@example.org", True),
        ("o'neil+photos@example.ie", True),
        ("jürgen@bücher.de", True),
        ("a,b@example.org", False),
        ("group:b@example.org", False),
        ("a(comment)@example.org", False),
        ("a\\b@example.org", False),
        ("a[b]@example.org", False),
        ("a\x7f@example.org", False),
        # Shown otherwise than it is, in the notice to the old address and everywhere after.
        ("evil\u202egro.elpmaxe@example.org", False),
        ("a\u200bb@example.org", False),
        ("a\u00adb@example.org", False),  # a soft hyphen, unseen
    ],
)
def test_an_email_is_one_plain_address(address: str, kept: bool) -> None:
    if kept:
        assert users.check_email(f" {address} ") == address
    else:
        with pytest.raises(Invalid, match="valid email"):
            users.check_email(address)
