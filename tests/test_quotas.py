"""Usage and quotas on the domain functions, with a real SQLite file and real JPEGs: what a
person's photos take up, the arithmetic of the refusal and its words, the quota of new accounts,
an upload refused before anything is stored, a duplicate that costs nothing, two uploads at once
that cannot both slip under the quota, and an import that the quota does not limit."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from photoarchive.accounts import quotas, users
from photoarchive.errors import Forbidden, InsufficientStorage, Invalid, NotFound
from photoarchive.library import blobs, ingest, usage
from photoarchive.library.ingest import IncomingFile
from photoarchive.library.usage import Usage
from photoarchive.ops import importer
from photoarchive.services import Services
from photoarchive.settings import Settings, SettingsError
from tests.test_neighbours import person, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

MB = 1024 * 1024


def noise_jpeg(width: int = 96, height: int = 64) -> bytes:
    """A JPEG of random pixels: each one different bytes, of a size that grows with its area."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "JPEG")
    return buffer.getvalue()


def incoming(svc: Services, data: bytes, name: str = "p.jpg") -> IncomingFile:
    """An upload as the web layer hands it over: in the temp dir, hashed."""
    svc.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    path = svc.settings.tmp_dir / f"upload-{hashlib.sha256(data).hexdigest()[:12]}"
    path.write_bytes(data)
    return IncomingFile(path, name, hashlib.sha256(data).hexdigest(), len(data))


async def photo_row(svc: Services, owner: users.User, size: int) -> None:
    async with svc.db.transaction() as tx:
        count = await tx.fetchval("SELECT COUNT(*) FROM photos")
        await tx.execute(
            "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, created_at) VALUES (?, ?, ?, 'image/jpeg', 640, 480, 640,"
            " '2024-05-01T10:00:00Z')",
            (owner.id, f"{count + 1:064x}", size),
        )


def left_behind(svc: Services) -> tuple[list[Path], list[Path]]:
    """Every stored file and every temp file."""
    stored = [p for p in svc.settings.blob_dir.rglob("*") if p.is_file()]
    temps = [p for p in svc.settings.tmp_dir.rglob("*") if p.is_file()]
    return stored, temps


def test_usage_is_the_count_and_bytes_of_a_persons_own_photos(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        alice, bob = await person(svc, "alice"), await person(svc, "bob")
        assert await usage.usage_of(svc.db, alice.id) == Usage(0, 0)
        for size in (1000, 2500, 4 * MB):
            await photo_row(svc, alice, size)
        await photo_row(svc, bob, 7)
        assert await usage.usage_of(svc.db, alice.id) == Usage(3, 4 * MB + 3500)
        assert await usage.usage_by_owner(svc.db) == {
            alice.id: Usage(3, 4 * MB + 3500),
            bob.id: Usage(1, 7),
        }
        carol = await person(svc, "carol")
        await usage.set_quota(svc.db, alice_admin(alice), "bob", 5 * MB)
        listed = {
            user.username: (used, quota) for user, used, quota in await usage.accounts(svc.db)
        }
        assert listed == {
            "alice": (Usage(3, 4 * MB + 3500), None),
            "bob": (Usage(1, 7), 5 * MB),
            "carol": (Usage(0, 0), None),
        }
        assert await usage.standing(svc.db, carol.id) == (Usage(0, 0), None)

    scenario(tmp_path, body)


def alice_admin(user: users.User) -> users.User:
    """The first account is the administrator; `person` reads it before that is known."""
    return dataclasses.replace(user, is_admin=True)


def test_sizes_are_told_in_binary_units_the_quota_is_set_in() -> None:
    assert usage.size_text(0) == "0 bytes"
    assert usage.size_text(1) == "1 byte"
    assert usage.size_text(1023) == "1023 bytes"
    assert usage.size_text(1024) == "1 KB"
    assert usage.size_text(int(4.2 * MB)) == "4.2 MB"
    assert usage.size_text(100 * MB) == "100 MB"
    assert usage.size_text(int(1.5 * 1024 * MB)) == "1.5 GB"
    assert usage.size_text(3 * 1024 * 1024 * MB) == "3 TB"


def test_the_refusal_says_what_the_photo_needs_and_what_is_left() -> None:
    refusal = usage.over_quota(int(4.2 * MB), int(98.9 * MB), 100 * MB)
    assert refusal.status == 507
    assert refusal.message.startswith(
        "This photo needs 4.2 MB but only 1.1 MB of your 100 MB is left."
    )
    spent = usage.over_quota(2 * MB, 120 * MB, 100 * MB)  # the quota was lowered below usage
    assert spent.message.startswith("This photo needs 2 MB but your 100 MB is used up.")


def test_quota_values_from_the_api_and_the_form() -> None:
    assert quotas.check_quota_mb(None) is None
    assert quotas.check_quota_mb(0) == 0
    assert quotas.check_quota_mb(100) == 100 * MB
    for wrong in (-1, True, 1.5, "100", quotas.QUOTA_MB_MAX + 1):
        with pytest.raises(Invalid) as refused:
            quotas.check_quota_mb(wrong)
        assert refused.value.field == "quota_mb"
    assert quotas.parse_quota_mb("  ") is None
    assert quotas.parse_quota_mb(" 250 ") == 250 * MB
    for wrong in ("-5", "ten", "1.5", "1e3", "0x10"):
        with pytest.raises(Invalid):
            quotas.parse_quota_mb(wrong)


def test_new_accounts_get_the_default_quota() -> None:
    assert Settings.from_env({}).default_quota_bytes is None
    assert Settings.from_env({"PHOTOARCHIVE_DEFAULT_QUOTA_MB": "0"}).default_quota_bytes is None
    chosen = Settings.from_env({"PHOTOARCHIVE_DEFAULT_QUOTA_MB": "512"})
    assert chosen.default_quota_bytes == 512 * MB
    for wrong in ("-1", "lots"):
        with pytest.raises(SettingsError, match="DEFAULT_QUOTA_MB"):
            Settings.from_env({"PHOTOARCHIVE_DEFAULT_QUOTA_MB": wrong})


def test_an_account_is_made_with_its_quota_and_an_admin_changes_it(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        admin = alice_admin(await person(svc, "alice"))
        bob = await users.insert(
            svc.db,
            username="bob",
            email="bob@example.org",
            password_hash=None,
            registration="open",
            quota_bytes=3 * MB,
        )
        assert await quotas.quota_of(svc.db, bob.id) == 3 * MB
        assert await quotas.quota_of(svc.db, admin.id) is None
        await usage.set_quota(svc.db, admin, "BOB", 0)
        assert await quotas.quota_of(svc.db, bob.id) == 0
        await usage.set_quota(svc.db, admin, "bob", None)
        assert await quotas.quota_of(svc.db, bob.id) is None
        with pytest.raises(Forbidden):
            await usage.set_quota(svc.db, bob, "alice", 1)
        with pytest.raises(NotFound):
            await usage.set_quota(svc.db, admin, "nobody", 1)
        assert await quotas.all_quotas(svc.db) == {}

    scenario(tmp_path, body)


def test_room_up_to_the_quota_exactly_and_not_a_byte_more(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        admin = alice_admin(await person(svc, "alice"))
        bob = await person(svc, "bob")
        await photo_row(svc, bob, 6 * MB)
        await usage.check_room(svc.db, bob.id, 10**12)  # no quota: anything
        await usage.set_quota(svc.db, admin, "bob", 10 * MB)
        await usage.check_room(svc.db, bob.id, 4 * MB)
        with pytest.raises(InsufficientStorage) as refused:
            await usage.check_room(svc.db, bob.id, 4 * MB + 1)
        assert "only 4 MB of your 10 MB is left" in refused.value.message
        await usage.set_quota(svc.db, admin, "bob", 0)
        with pytest.raises(InsufficientStorage):
            await usage.check_room(svc.db, bob.id, 1)

    scenario(tmp_path, body)


def test_an_upload_past_the_quota_is_refused_before_anything_is_stored(
    tmp_path: Path, decodes: list[str]
) -> None:
    async def body(svc: Services) -> None:
        admin = alice_admin(await person(svc, "alice"))
        bob = await person(svc, "bob")
        first, second = noise_jpeg(), noise_jpeg()
        await usage.set_quota(svc.db, admin, "bob", 0)
        with pytest.raises(InsufficientStorage):
            await ingest.add(svc, bob, incoming(svc, first), "")
        assert left_behind(svc) == ([], [])
        assert decodes == []  # refused before its pixels were even looked at
        assert await usage.usage_of(svc.db, bob.id) == Usage(0, 0)
        # Room for the first photo and not for both.
        room = len(first) + len(second) - 1
        await quotas.write(svc.db, bob.id, room)
        photo, duplicate = await ingest.add(svc, bob, incoming(svc, first), "")
        assert not duplicate
        stored, _ = left_behind(svc)
        with pytest.raises(InsufficientStorage) as refused:
            await ingest.add(svc, bob, incoming(svc, second), "")
        assert refused.value.status == 507
        assert left_behind(svc) == (stored, [])
        # The same bytes again are a duplicate, whatever is left: they cost nothing.
        await quotas.write(svc.db, bob.id, 0)
        again, duplicate = await ingest.add(svc, bob, incoming(svc, first), "a caption")
        assert duplicate and again.id == photo.id and again.caption == "a caption"
        assert await usage.usage_of(svc.db, bob.id) == Usage(1, len(first))
        assert left_behind(svc) == (stored, [])

    scenario(tmp_path, body)


def test_two_uploads_at_once_cannot_both_slip_under_the_quota(
    tmp_path: Path, decodes: list[str]
) -> None:
    """The first upload is past its early check (it is decoding) when the second is saved; it is
    then refused by the check its insert's transaction makes, and leaves nothing behind."""

    async def body(svc: Services) -> None:
        admin = alice_admin(await person(svc, "alice"))
        bob = await person(svc, "bob")
        first, second = incoming(svc, noise_jpeg()), incoming(svc, noise_jpeg())
        await usage.set_quota(svc.db, admin, "bob", first.size + second.size - 1)
        # The first upload's files are held back at their lock, after its check and decode.
        held, release = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            async with svc.db.lock(blobs.lock_name(first.sha256)):
                held.set()
                await release.wait()

        holder = asyncio.create_task(hold())
        await held.wait()
        racing = asyncio.create_task(ingest.add(svc, bob, first, ""))
        for _ in range(3000):  # the first is past its early check once it decodes
            if decodes:
                break
            await asyncio.sleep(0.01)
        assert decodes
        kept, _ = await ingest.add(svc, bob, second, "")
        release.set()
        await holder
        with pytest.raises(InsufficientStorage) as refused:
            await racing
        assert "only" in refused.value.message
        assert await usage.usage_of(svc.db, bob.id) == Usage(1, second.size)
        assert await svc.db.fetchval("SELECT id FROM photos WHERE owner_id = ?", (bob.id,)) == (
            kept.id
        )
        stored, temps = left_behind(svc)
        assert temps == []
        assert not any(first.sha256 in str(path) for path in stored)
        assert any(second.sha256 in str(path) for path in stored)

    scenario(tmp_path, body)


def test_an_import_is_not_limited_by_the_quota_but_counts_towards_it(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        admin = alice_admin(await person(svc, "alice"))
        bob = await person(svc, "bob")
        await usage.set_quota(svc.db, admin, "bob", 0)
        folder = tmp_path / "photos"
        folder.mkdir()
        data = noise_jpeg()
        (folder / "beach.jpg").write_bytes(data)
        svc.settings.tmp_dir.mkdir(parents=True)
        outcome = await importer.import_one(
            svc, bob, folder / "beach.jpg", caption_from_filename=False
        )
        assert outcome == ("imported", "")
        assert await usage.usage_of(svc.db, bob.id) == Usage(1, len(data))
        with pytest.raises(InsufficientStorage):
            await ingest.add(svc, bob, incoming(svc, noise_jpeg()), "")

    scenario(tmp_path, body)
