"""Upload batches on the domain functions, with a real SQLite file: a token is matched for its
owner and within its window, a duplicate joins nothing, an import run is one batch, and the
feed's entries page newest first without ever splitting a batch or showing a photo twice."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.errors import Invalid, NotFound
from photoarchive.library import batches, ingest, visibility
from photoarchive.library.batches import Adding
from photoarchive.library.ingest import IncomingFile
from photoarchive.ops import importer
from photoarchive.services import Services
from tests.support import PHOTOS, FrozenClock
from tests.test_neighbours import person, photo_of, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))


async def added(svc: Services, owner: User, adding: Adding | None) -> int:
    """A new photo row of `owner`, in the batch of `adding` as ingest would put it."""
    photo_id = await photo_of(svc, owner)
    if adding is not None:
        async with svc.db.transaction() as tx:
            await batches.join(tx, owner, adding, photo_id)
    return photo_id


async def make_private(svc: Services, *photo_ids: int) -> None:
    async with svc.db.transaction() as tx:
        for photo_id in photo_ids:
            await visibility.mark(tx, photo_id, "private")


async def batch_of(svc: Services, photo_id: int) -> int | None:
    return await svc.db.fetchval(
        "SELECT batch_id FROM batch_photos WHERE photo_id = ?", (photo_id,)
    )


async def all_entries(svc: Services, viewer: User, size: int) -> list[list[list[int]]]:
    """Every page of the feed: the photo ids of each entry of each page."""
    pages, cursor = [], None
    while True:
        entries, cursor = await batches.feed_page(svc, viewer, cursor=cursor, limit=size)
        pages.append([[p.id for p in e.photos] + [-e.count] for e in entries])
        if cursor is None:
            return pages


def test_a_token_is_matched_for_its_owner_and_only_within_its_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen = FrozenClock(clock.now())
    monkeypatch.setattr(clock, "now", frozen.now)

    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        token = batches.client_adding("same-token")
        assert token is not None
        first = await added(svc, alice, token)
        frozen.advance(batches.TOKEN_WINDOW_SECONDS - 60)
        second = await added(svc, alice, token)
        by_bob = await added(svc, bob, token)  # a guessed token: a batch of bob's own
        frozen.advance(120)
        later = await added(svc, alice, token)  # the window has passed: a new batch
        alone = await added(svc, alice, None)
        ids = [await batch_of(svc, p) for p in (first, second, by_bob, later, alone)]
        assert ids[0] == ids[1]
        assert len({ids[0], ids[2], ids[3]}) == 3
        assert ids[4] is None
        owners = await svc.db.fetchall("SELECT id, owner_id FROM photo_batches ORDER BY id")
        assert [r["owner_id"] for r in owners] == [alice.id, bob.id, alice.id]

    scenario(tmp_path, body)


def test_a_client_token_is_short_plain_text_or_refused() -> None:
    assert batches.client_adding(None) is None
    assert batches.client_adding("") is None
    assert batches.client_adding("a" * batches.TOKEN_MAX) is not None
    for bad in ("a" * (batches.TOKEN_MAX + 1), "has space", "s:x", "ü"):
        with pytest.raises(Invalid):
            batches.client_adding(bad)
    # A server's batch is never found by anything a client can send.
    assert batches.new_adding().token != batches.client_adding("x").token  # type: ignore[union-attr]
    assert not batches.new_adding().from_client


def _incoming(tmp_path: Path, source: Path, name: str) -> IncomingFile:
    copy = tmp_path / name
    shutil.copyfile(source, copy)
    data = copy.read_bytes()
    return IncomingFile(copy, source.name, hashlib.sha256(data).hexdigest(), len(data))


def test_new_photos_join_their_batch_and_a_duplicate_joins_none(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        svc.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        alice = await person(svc, "alice")
        first = batches.new_adding()
        one, dup = await ingest.add(svc, alice, _incoming(tmp_path, CAMERAS[0], "a"), "", first)
        two, _ = await ingest.add(svc, alice, _incoming(tmp_path, CAMERAS[1], "b"), "", first)
        assert not dup
        batch = await batch_of(svc, one.id)
        assert batch is not None and batch == await batch_of(svc, two.id)
        # The same bytes again, in a later adding: the photo stays in the batch it came with,
        # and the later adding gets no batch from it.
        again, dup = await ingest.add(
            svc, alice, _incoming(tmp_path, CAMERAS[0], "c"), "", batches.new_adding()
        )
        assert dup and again.id == one.id
        assert await batch_of(svc, one.id) == batch
        assert await svc.db.fetchval("SELECT COUNT(*) FROM photo_batches") == 1

    scenario(tmp_path, body)


def test_the_batches_of_any_number_of_photos_are_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three ids a statement, so that eight photos take three: every part is asked about.
    monkeypatch.setattr(batches, "IDS_PER_QUERY", 3)

    async def body(svc: Services) -> None:
        alice = await person(svc, "alice")
        first, second = batches.new_adding(), batches.new_adding()
        ids = [await added(svc, alice, first if i % 3 else second if i else None) for i in range(8)]
        found = await batches.of_photos(svc.db, [*ids, 10**9])  # and one that is not there
        assert found == {i: b for i in ids if (b := await batch_of(svc, i)) is not None}
        assert set(found) == set(ids[1:])  # the first was added alone
        assert len(set(found.values())) == 2
        assert await batches.of_photos(svc.db, []) == {}

    scenario(tmp_path, body)


def test_an_import_run_is_one_batch(tmp_path: Path) -> None:
    folder = tmp_path / "pictures"
    folder.mkdir()
    for source in CAMERAS[:3]:
        shutil.copyfile(source, folder / source.name)

    async def body(svc: Services) -> None:
        svc.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        alice = await person(svc, "alice")
        quiet = Console(file=io.StringIO())
        report = await importer.import_paths(svc, alice, [folder], jobs=2, console=quiet)
        assert report.imported == 3
        rows = await svc.db.fetchall("SELECT DISTINCT batch_id FROM batch_photos")
        assert len(rows) == 1
        shutil.copyfile(CAMERAS[3], folder / CAMERAS[3].name)
        report = await importer.import_paths(svc, alice, [folder], jobs=1, console=quiet)
        assert (report.imported, report.duplicates) == (1, 3)
        assert await svc.db.fetchval("SELECT COUNT(*) FROM photo_batches") == 2
        entries, _ = await batches.feed_page(svc, alice)
        assert [len(e.photos) for e in entries] == [1, 3]  # the rerun's one photo stands alone

    scenario(tmp_path, body)


def test_pages_never_split_a_batch_nor_show_a_photo_twice(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        oldest = await added(svc, bob, None)
        upload = batches.client_adding("upload-1")
        batch = [await added(svc, alice, upload) for _ in range(3)]
        # Bob's photo arrives in the middle of alice's upload; it is an entry of its own.
        between = await added(svc, bob, None)
        batch += [await added(svc, alice, upload) for _ in range(2)]
        newest = await added(svc, bob, None)
        # Each entry: the photos it shows (a batch its newest four) and, negated, its count.
        mosaic = sorted(batch, reverse=True)[: batches.MOSAIC]
        expected = [[newest, -1], [*mosaic, -5], [between, -1], [oldest, -1]]
        for size in (1, 2, 3, 30):
            pages = await all_entries(svc, alice, size)
            entries = [entry for page in pages for entry in page]
            assert entries == expected, size
            assert all(len(page) <= size for page in pages)
        # Page size 2: the batch of five comes whole on the first page, beside the newest.
        first, cursor = await batches.feed_page(svc, alice, limit=2)
        assert [e.count for e in first] == [1, 5] and cursor == str(max(batch))
        entry = first[1]
        assert entry.is_batch and [p.id for p in entry.mosaic] == sorted(batch, reverse=True)[:4]
        assert entry.more == 1

    scenario(tmp_path, body)


def test_only_photos_the_viewer_may_see_count_and_show(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        upload = batches.client_adding("u")
        batch = [await added(svc, alice, upload) for _ in range(6)]
        await svc.db.execute("UPDATE photos SET like_count = 1, comment_count = 2")
        entries, _ = await batches.feed_page(svc, bob)
        assert [(e.count, e.more, e.like_count, e.comment_count) for e in entries] == [
            (6, 2, 6, 12)
        ]
        assert [p.id for p in entries[0].mosaic] == sorted(batch, reverse=True)[:4]
        await make_private(svc, batch[5], batch[3])  # the newest and one of the mosaic
        entries, _ = await batches.feed_page(svc, bob)
        assert entries[0].key == batch[4]  # placed at its newest photo bob may see
        assert [p.id for p in entries[0].mosaic] == [batch[4], batch[2], batch[1], batch[0]]
        assert (entries[0].count, entries[0].more, entries[0].like_count) == (4, 0, 4)
        await make_private(svc, *batch[1:5])  # one left: shown as that photo alone
        entries, _ = await batches.feed_page(svc, bob)
        assert len(entries) == 1 and not entries[0].is_batch
        assert entries[0].photo.id == batch[0]
        batch_id = await batch_of(svc, batch[0])
        assert batch_id is not None
        assert [p.id for p in (await batches.get(svc, batch_id, bob)).photos] == [batch[0]]
        # The owner's feed is the family's too: their private photos are on their profile.
        entries, _ = await batches.feed_page(svc, alice)
        assert [p.id for e in entries for p in e.photos] == [batch[0]]
        assert len((await batches.get(svc, batch_id, alice)).photos) == 6
        await make_private(svc, batch[0])  # none left: no entry, no batch page
        assert (await batches.feed_page(svc, bob))[0] == []
        with pytest.raises(NotFound, match="batch"):
            await batches.get(svc, batch_id, bob)

    scenario(tmp_path, body)
