"""Album and trash writes decided before their lock, and what changed in between: each is
decided again under the lock (the album's, the administrators'), on both engines. The moment
in between is made by running the other person's act where the first one awaits, with the
real domain functions on a real database."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from photoarchive.accounts import users
from photoarchive.errors import Forbidden, Invalid
from photoarchive.library import album_members, album_news, album_photos, albums, trash
from photoarchive.services import Services
from tests.test_neighbours import person, photo_of, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def once_before(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, act: Any) -> list[bool]:
    """Run `act` the first time `module.name` is awaited, before it; the list says it ran."""
    real, ran = getattr(module, name), []

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not ran:
            ran.append(True)
            await act()
        return await real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return ran


def test_a_member_handed_the_album_as_they_leave_stays_its_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Xavier leaves as Ann hands him the album: the leave would have taken the new owner
    out, leaving an album nobody can open."""

    async def body(svc: Services) -> None:
        ann, xavier = await person(svc, "ann"), await person(svc, "xavier")
        album = await albums.create(svc, ann, "Summer")
        await album_members.set_member(svc, ann, album.id, "xavier", "viewer")
        ran = once_before(
            monkeypatch,
            users,
            "by_username",
            lambda: album_members.hand_over(svc, ann, album.id, "xavier"),
        )
        with pytest.raises(Invalid, match="owner cannot leave"):
            await album_members.remove_member(svc, xavier, album.id, "xavier")
        assert ran
        now = await albums.find(svc.db, album.id, xavier)
        assert now.owner_id == xavier.id and now.manages

    scenario(tmp_path, body)


def test_a_role_given_as_the_album_is_handed_to_them_does_not_demote_its_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body(svc: Services) -> None:
        ann, xavier = await person(svc, "ann"), await person(svc, "xavier")
        album = await albums.create(svc, ann, "Summer")
        await album_members.set_member(svc, ann, album.id, "xavier", "contributor")
        once_before(
            monkeypatch,
            users,
            "by_username",
            lambda: album_members.hand_over(svc, ann, album.id, "xavier"),
        )
        with pytest.raises(Forbidden):  # Ann manages it no more
            await album_members.set_member(svc, ann, album.id, "xavier", "viewer")
        assert (await albums.find(svc.db, album.id, xavier)).manages

    scenario(tmp_path, body)


def test_an_administrator_demoted_meanwhile_does_not_delete_the_album_they_looked_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body(svc: Services) -> None:
        admin = dataclasses.replace(await person(svc, "admin"), is_admin=True)
        await users.set_admin(svc.db, admin.id, True)
        owner = await person(svc, "owner")
        album = await albums.create(svc, owner, "Garden")
        async with svc.db.transaction() as tx:
            await tx.execute("UPDATE users SET disabled = 1 WHERE id = ?", (owner.id,))
        assert (await albums.find(svc.db, album.id, admin)).looked_after
        once_before(  # demoted as the request began: it goes on with the account it read
            monkeypatch, albums, "find", lambda: users.set_admin(svc.db, admin.id, False)
        )
        with pytest.raises(Forbidden):
            await albums.delete(svc, admin, album.id)
        monkeypatch.undo()
        assert await svc.db.fetchval("SELECT 1 FROM albums WHERE id = ?", (album.id,))

    scenario(tmp_path, body)


def test_a_photo_trashed_as_it_is_taken_out_stays_for_its_restore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body(svc: Services) -> None:
        ann, bea = await person(svc, "ann"), await person(svc, "bea")
        album = await albums.create(svc, ann, "Summer")
        await album_members.set_member(svc, ann, album.id, "bea", "contributor")
        photo = await photo_of(svc, bea)
        await album_photos.add(svc, await albums.find(svc.db, album.id, bea), bea, [photo])
        real = svc.db.fetchall
        ran: list[bool] = []

        async def read_then_trashed(sql: str, params: Any = ()) -> Any:
            rows = await real(sql, params)
            if sql.startswith("SELECT ap.photo_id, p.owner_id, ap.added_by") and not ran:
                ran.append(True)
                await trash.move(svc, bea, photo)
            return rows

        monkeypatch.setattr(svc.db, "fetchall", read_then_trashed)
        removed = await album_photos.remove(svc, album.id, ann, [photo])
        monkeypatch.undo()
        assert ran and removed == []
        await trash.restore(svc, bea, [photo])
        held = await svc.db.fetchval(
            "SELECT 1 FROM album_photos WHERE album_id = ? AND photo_id = ?", (album.id, photo)
        )
        assert held

    scenario(tmp_path, body)


def test_an_administrator_demoted_meanwhile_does_not_delete_someone_else_s_photo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body(svc: Services) -> None:
        admin = dataclasses.replace(await person(svc, "admin"), is_admin=True)
        await users.set_admin(svc.db, admin.id, True)
        owner = await person(svc, "owner")
        photo = await photo_of(svc, owner)
        once_before(
            monkeypatch,
            album_news,
            "told_of_photo",
            lambda: users.set_admin(svc.db, admin.id, False),
        )
        with pytest.raises(Forbidden):
            await trash.move(svc, admin, photo)
        monkeypatch.undo()
        assert not await svc.db.fetchval(
            "SELECT 1 FROM trashed_photos WHERE photo_id = ?", (photo,)
        )

    scenario(tmp_path, body)


def test_with_no_trash_an_administrator_demoted_as_the_photo_goes_does_not_delete_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PHOTOARCHIVE_TRASH_DAYS=0 a delete is for good: the administrator is confirmed in
    the delete's own transaction, not in one of its own before it."""
    from photoarchive.library import live

    async def body(svc: Services) -> None:
        admin = dataclasses.replace(await person(svc, "admin"), is_admin=True)
        await users.set_admin(svc.db, admin.id, True)
        owner = await person(svc, "owner")
        photo = await photo_of(svc, owner)
        ran = once_before(
            monkeypatch, live, "audience", lambda: users.set_admin(svc.db, admin.id, False)
        )
        with pytest.raises(Forbidden):
            await trash.move(svc, admin, photo)
        monkeypatch.undo()
        assert ran
        assert await svc.db.fetchval("SELECT 1 FROM photos WHERE id = ?", (photo,))

    scenario(tmp_path, body, trash_days=0)
