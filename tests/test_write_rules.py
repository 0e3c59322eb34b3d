"""Rules that need one writer at a time, each said with a named lock, tested under concurrency
on the domain functions with a real SQLite file. The moments are controlled with events: a
store that stops inside a call until the test lets it go, a database that tells when a lock is
asked for. Nothing waits for time to pass (timeouts only turn a hang into a failure)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from photoarchive.accounts import throttle, users
from photoarchive.accounts.users import User
from photoarchive.db import Database, PostgresDatabase
from photoarchive.errors import NotAuthenticated, TooManyRequests, Unavailable
from photoarchive.library import blobs, captions, ingest, trash
from photoarchive.library.ingest import IncomingFile
from photoarchive.services import Services
from photoarchive.settings import Settings
from photoarchive.storage import BlobInfo
from photoarchive.storage.local import LocalBlobStore
from tests.processes import distinct_jpeg
from tests.support import make_settings, services

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

HANG = 60  # seconds before a stuck scenario fails instead of stalling the run


class Pause:
    """One stop inside a call: `reached` is set when the call gets there, and the call goes on
    once `go` is set."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.go = asyncio.Event()

    async def stop(self) -> None:
        self.reached.set()
        await self.go.wait()


class ControlledStore(LocalBlobStore):
    """The real local store, with a stop the test can place before a stat's answer or inside
    a delete of a key."""

    def __init__(self, root: Path, tmp: Path) -> None:
        super().__init__(root, tmp)
        self.after_stat: dict[str, Pause] = {}
        self.in_delete: dict[str, Pause] = {}
        self.in_put: dict[str, Pause] = {}

    async def put_file(self, key: str, path: Path) -> None:
        if key in self.in_put:
            await self.in_put.pop(key).stop()
        await super().put_file(key, path)

    async def stat(self, key: str) -> BlobInfo | None:
        info = await super().stat(key)
        if key in self.after_stat:
            await self.after_stat.pop(key).stop()
        return info

    async def delete(self, key: str) -> None:
        if key in self.in_delete:
            await self.in_delete.pop(key).stop()
        await super().delete(key)


class WatchedDatabase:
    """The real database, telling the test each time a named lock is asked for."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.asked: dict[str, int] = {}
        self.asked_again = asyncio.Event()  # a name asked for while already asked for once
        self.before_lock: dict[str, Pause] = {}  # a stop before a lock is asked of the server
        self.refused: set[str] = set()  # locks that cannot be had

    def lock(self, name: str) -> AbstractAsyncContextManager[None]:
        self.asked[name] = self.asked.get(name, 0) + 1
        if self.asked[name] > 1:
            self.asked_again.set()
        held = super().lock(name)  # type: ignore[misc]
        pause = self.before_lock.pop(name, None)
        refused = name in self.refused
        if pause is None and not refused:
            return held

        @asynccontextmanager
        async def paused() -> AsyncIterator[None]:
            if pause is not None:
                await pause.stop()
            if refused:  # as a pool every connection of which stayed in use
                raise Unavailable("busy", retry_after=2)
            async with held:
                yield

        return paused()

    def done_with(self, name: str) -> None:
        self.asked.pop(name, None)
        self.asked_again.clear()


class WatchedSQLite(WatchedDatabase, Database):
    pass


class WatchedPostgres(WatchedDatabase, PostgresDatabase):
    pass


def scenario(settings: Settings, body: Callable[[Services], Coroutine[Any, Any, None]]) -> None:
    async def run() -> None:
        db = (
            WatchedPostgres(settings.database_url)
            if settings.database_url
            else WatchedSQLite(settings.database_path)
        )
        store = ControlledStore(settings.blob_dir, settings.tmp_dir)
        async with services(settings, db=db, store=store, image_slots=2) as svc:
            await asyncio.wait_for(body(svc), HANG)

    asyncio.run(run())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", login_max_failures=3, trash_days=0)


_names = itertools.count()


async def person(svc: Services) -> User:
    name = f"person{next(_names)}"
    return await users.insert(
        svc.db,
        username=name,
        email=f"{name}@example.org",
        password_hash=None,
        registration="open",
    )


def incoming(settings: Settings, data: bytes) -> IncomingFile:
    settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    path = settings.tmp_dir / f"upload-{next(_names)}"
    path.write_bytes(data)
    return IncomingFile(path, "photo.jpg", hashlib.sha256(data).hexdigest(), len(data))


async def files_present(svc: Services, digest: str) -> list[bool]:
    return [await svc.store.stat(key) is not None for key in blobs.keys(digest)]


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_an_upload_reusing_files_keeps_them_from_a_deletion_of_the_last_other_photo(
    settings: Settings,
) -> None:
    """Bob's upload finds Alice's files of the same bytes and will reuse them; Alice deletes
    her photo meanwhile. Her deletion must not remove the files Bob's photo is about to use."""

    async def body(svc: Services) -> None:
        assert isinstance(svc.store, ControlledStore) and isinstance(svc.db, WatchedDatabase)
        alice, bob = await person(svc), await person(svc)
        data = distinct_jpeg()
        digest = digest_of(data)
        first, _ = await ingest.add(svc, alice, incoming(settings, data), "")
        svc.db.done_with(blobs.lock_name(digest))

        found = svc.store.after_stat[blobs.keys(digest)[0]] = Pause()
        upload = asyncio.create_task(ingest.add(svc, bob, incoming(settings, data), ""))
        await found.reached.wait()  # Bob's upload has seen the original is stored already
        deletion = asyncio.create_task(trash.move(svc, alice, first.id))
        await svc.db.asked_again.wait()  # Alice's row is gone; her deletion wants the files
        found.go.set()
        (photo, duplicate), _ = await asyncio.gather(upload, deletion)

        assert not duplicate
        assert await files_present(svc, photo.sha256) == [True, True, True]

    scenario(settings, body)


def test_an_upload_waits_for_a_deletion_of_the_same_files_and_stores_them_again(
    settings: Settings,
) -> None:
    """Alice's deletion is removing the files when Bob uploads the same bytes: his upload must
    not find them stored, reuse them, and lose them to the deletion under way."""

    async def body(svc: Services) -> None:
        assert isinstance(svc.store, ControlledStore) and isinstance(svc.db, WatchedDatabase)
        alice, bob = await person(svc), await person(svc)
        data = distinct_jpeg()
        digest = digest_of(data)
        first, _ = await ingest.add(svc, alice, incoming(settings, data), "")
        svc.db.done_with(blobs.lock_name(digest))

        removing = svc.store.in_delete[blobs.keys(digest)[-1]] = Pause()  # the last file
        deletion = asyncio.create_task(trash.move(svc, alice, first.id))
        await removing.reached.wait()  # original and thumbnail gone, preview going
        upload = asyncio.create_task(ingest.add(svc, bob, incoming(settings, data), ""))
        await svc.db.asked_again.wait()
        removing.go.set()
        _, (photo, _duplicate) = await asyncio.gather(deletion, upload)

        assert await files_present(svc, photo.sha256) == [True, True, True]

    scenario(settings, body)


def test_a_new_photo_is_stored_before_its_bytes_lock_is_asked_for(settings: Settings) -> None:
    """A new photo's original goes to the store with no lock held: on PostgreSQL a lock keeps
    a connection of the locks' pool, and ten slow S3 uploads held them all. Meanwhile another
    holder of the same lock (a deletion of those bytes) gets it at once."""

    async def body(svc: Services) -> None:
        assert isinstance(svc.store, ControlledStore) and isinstance(svc.db, WatchedDatabase)
        alice = await person(svc)
        data = distinct_jpeg()
        digest = digest_of(data)
        going = svc.store.in_put[blobs.keys(digest)[0]] = Pause()
        upload = asyncio.create_task(ingest.add(svc, alice, incoming(settings, data), ""))
        await going.reached.wait()
        asked = svc.db.asked.get(blobs.lock_name(digest), 0)
        try:
            if not asked:  # else the upload holds it, until `going`
                async with svc.db.lock(blobs.lock_name(digest)):
                    pass
        finally:
            going.go.set()
            photo, duplicate = await upload  # not left running once the database is closed
        assert asked == 0
        assert not duplicate
        assert await files_present(svc, photo.sha256) == [True, True, True]
        assert svc.db.asked[blobs.lock_name(digest)] == 2  # the test's, then the upload's

    scenario(settings, body)


def test_files_stored_ahead_and_deleted_before_the_lock_are_stored_again(
    settings: Settings,
) -> None:
    """A new photo's files are stored before its lock is taken; a deletion of those bytes
    (another upload of them failing, a purge) may take them in between. The upload looks
    again under the lock and stores what is missing: no photo is saved without its files."""

    async def body(svc: Services) -> None:
        assert isinstance(svc.store, ControlledStore) and isinstance(svc.db, WatchedDatabase)
        alice = await person(svc)
        data = distinct_jpeg()
        digest = digest_of(data)
        stored = svc.db.before_lock[blobs.lock_name(digest)] = Pause()
        upload = asyncio.create_task(ingest.add(svc, alice, incoming(settings, data), ""))
        await stored.reached.wait()
        try:
            ahead = await files_present(svc, digest)
            await blobs.discard_unreferenced(svc.db, svc.store, digest)  # no photo has them yet
            gone = await files_present(svc, digest)
        finally:
            stored.go.set()
            photo, _ = await upload  # not left running once the database is closed
        assert ahead == [True, True, True]
        assert gone == [False, False, False]
        assert await files_present(svc, photo.sha256) == [True, True, True]
        assert await svc.store.get_bytes(blobs.keys(digest)[0]) == data

    scenario(settings, body)


def test_files_stored_ahead_of_a_lock_not_had_are_cleaned_up_or_logged(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The lock refused after a new photo's files were stored (its pool busy, the server
    away): no row is written, the clean-up asks for the lock again, and, refused again, the
    files are logged for `verify --repair`; once it is had, they go. No temp file of the
    upload (nor the second name of its file) is left."""

    async def body(svc: Services) -> None:
        assert isinstance(svc.db, WatchedDatabase)
        alice = await person(svc)
        data = distinct_jpeg()
        digest = digest_of(data)
        svc.db.refused.add(blobs.lock_name(digest))
        with pytest.raises(Unavailable):
            await ingest.add(svc, alice, incoming(settings, data), "")
        assert svc.db.asked[blobs.lock_name(digest)] == 2  # the upload's, the clean-up's
        assert await svc.db.fetchval("SELECT COUNT(*) FROM photos") == 0
        assert await files_present(svc, digest) == [True, True, True]
        assert "left for verify --repair" in caplog.text
        assert list(settings.tmp_dir.iterdir()) == []
        svc.db.refused.clear()
        await blobs.discard_unreferenced(svc.db, svc.store, digest)  # as verify --repair does
        assert await files_present(svc, digest) == [False, False, False]
        photo, _ = await ingest.add(svc, alice, incoming(settings, data), "")
        assert await files_present(svc, photo.sha256) == [True, True, True]
        assert list(settings.tmp_dir.iterdir()) == []

    scenario(settings, body)


def test_a_slow_store_does_not_hold_up_unrelated_writes(settings: Settings) -> None:
    """While a deletion waits on the store, the archive's other writes go on."""

    async def body(svc: Services) -> None:
        assert isinstance(svc.store, ControlledStore)
        alice = await person(svc)
        data = distinct_jpeg()
        photo, _ = await ingest.add(svc, alice, incoming(settings, data), "")
        other, _ = await ingest.add(svc, alice, incoming(settings, distinct_jpeg()), "")

        stuck = svc.store.in_delete[blobs.keys(digest_of(data))[0]] = Pause()
        deletion = asyncio.create_task(trash.move(svc, alice, photo.id))
        await stuck.reached.wait()
        # Would wait for `stuck.go` forever if the store were called inside a transaction.
        captioned = await captions.set_caption(svc, alice, other.id, "still writable")
        newcomer = await person(svc)
        assert captioned.caption == "still writable" and newcomer.id
        assert not deletion.done()
        stuck.go.set()
        await deletion
        assert await files_present(svc, digest_of(data)) == [False, False, False]

    scenario(settings, body)


def test_only_the_first_of_simultaneous_sign_ups_becomes_admin(
    settings: Settings, engine: str
) -> None:
    async def body(svc: Services) -> None:
        people = await asyncio.gather(*(person(svc) for _ in range(5)))
        assert sum(user.is_admin for user in people) == 1
        if engine == "sqlite":  # one writer queue: the first to start is the first to lock
            assert people[0].is_admin
        # PostgreSQL: whoever gets a pooled connection first locks first; still one admin.

    scenario(settings, body)


def test_only_one_of_simultaneous_claims_to_be_the_first_admin_wins(settings: Settings) -> None:
    """An identity provider's accounts are made without the role; the first to sign in claims it."""

    async def body(svc: Services) -> None:
        people = []
        for n in range(5):
            people.append(
                await users.insert(
                    svc.db,
                    username=f"cloud{n}",
                    email=f"cloud{n}@example.org",
                    password_hash=None,
                    registration="open",
                    external_id=f"sub-{n}",
                    first_is_admin=False,
                )
            )
        claims = await asyncio.gather(*(users.claim_first_admin(svc.db, u.id) for u in people))
        assert sorted(claims) == [False] * 4 + [True]
        admins = await svc.db.fetchval("SELECT COUNT(*) FROM users WHERE is_admin = 1")
        assert admins == 1

    scenario(settings, body)


def test_simultaneous_sign_in_attempts_never_exceed_the_budget(settings: Settings) -> None:
    """Every attempt is counted before its password check; with all of them in flight at
    once, only the budget's worth get to check a password."""

    async def body(svc: Services) -> None:
        await person(svc)
        checking = 0
        everyone_checking = asyncio.Event()
        finish = asyncio.Event()

        async def wrong_password() -> None:
            nonlocal checking
            checking += 1
            if checking == settings.login_max_failures:
                everyone_checking.set()
            await finish.wait()
            raise NotAuthenticated("wrong")

        attempts = [
            asyncio.create_task(throttle.guarded(svc, "guessed", "192.0.2.1", wrong_password))
            for _ in range(settings.login_max_failures + 4)
        ]
        await everyone_checking.wait()
        finish.set()
        outcomes = await asyncio.gather(*attempts, return_exceptions=True)
        assert checking == settings.login_max_failures
        assert sum(isinstance(o, TooManyRequests) for o in outcomes) == 4
        assert sum(isinstance(o, NotAuthenticated) for o in outcomes) == 3

    scenario(settings, body)


def test_simultaneous_sign_ups_from_one_client_never_exceed_its_budget(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", signup_max_per_hour=2)

    async def body(svc: Services) -> None:
        started = 0

        async def sign_up() -> None:
            nonlocal started
            started += 1

        outcomes = await asyncio.gather(
            *(throttle.signing_up(svc, "198.51.100.7", sign_up) for _ in range(6)),
            return_exceptions=True,
        )
        assert started == 2
        assert sum(isinstance(o, TooManyRequests) for o in outcomes) == 4

    scenario(settings, body)
