"""The trash: deleting a photo puts it in its owner's trash for `PHOTOARCHIVE_TRASH_DAYS`, so a
mistaken delete can be undone. From that moment nobody sees it anywhere (access.decide), its
owner aside, who finds it on their trash page; everything else about it stays as it was (its
albums, comments, likes, favorites, its files), so restoring it is taking its `trashed_photos`
row away (migration 0017). Purging removes it for good, and its files when no other photo
uses them. With `trash_days` 0 a delete is for good at once. No HTTP here.

Several instances may purge at once: each photo's row goes once (the DELETE says whether it
did), and its files are removed under their digest's lock (library/blobs.py). The hourly pass
itself runs under a named lock, so that instances started together take turns rather than
each reading the same expired photos.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from photoarchive import clock
from photoarchive.accounts import admins
from photoarchive.accounts.users import User
from photoarchive.db import MAX_ROWID, Backend, Row, placeholders
from photoarchive.errors import Forbidden, Invalid, NotFound
from photoarchive.library import access, album_news, blobs, cursors, live, notifications, photos
from photoarchive.library.photos import Photo
from photoarchive.services import Services
from photoarchive.storage import BlobStore

log = logging.getLogger(__name__)

NOT_IN_TRASH = "That photo is not in your trash."
DAY_SECONDS = 86_400
WAKE_SECONDS = 3600  # the server purges what has waited long enough at start, then hourly
RESTORE_MAX = 1000
PURGE_LOCK = "job: trash purge"

_OLDER = " AND (tp.trashed_at < ? OR (tp.trashed_at = ? AND tp.photo_id < ?))"


@dataclass
class Trashed:
    """A photo in its owner's trash, and when it goes for good."""

    photo: Photo
    trashed_at: str
    purge_at: str


def purge_at(svc: Services, trashed_at: str) -> str:
    """When a photo trashed at `trashed_at` is purged (later if the server is down then)."""
    moment = clock.parse(trashed_at) + svc.settings.trash_days * DAY_SECONDS
    return clock.iso(moment)


NOT_YOURS = "Only the photo's owner or an administrator can delete it."


def lock_name(photo_id: int) -> str:
    """Held while a photo goes into the trash, and while it is taken out of an album (which
    leaves a trashed photo where it is for its owner to restore): neither misses the other."""
    return f"photo:{photo_id}:trash"


async def may_move(svc: Services, actor: User, photo_id: int) -> Photo:
    """The photo `actor` may delete, or NotFound (one they may not see) or Forbidden."""
    photo = await photos.find(svc, photo_id, actor)
    if not photo.can_delete:
        raise Forbidden(NOT_YOURS)
    return photo


async def move(svc: Services, actor: User, photo_id: int, *, told: set[int] | None = None) -> None:
    """The owner, or an administrator, deletes a photo they may see: into its owner's trash
    (NotFound for a photo they may not see, Forbidden for one they may not delete). Those
    whose news of photos added counted it are told, or, with `told`, put in it for the caller
    to tell once (a bulk request)."""
    photo = await may_move(svc, actor, photo_id)
    # Members told it was added to an album count it no more: their badges ask again.
    recount = await album_news.told_of_photo(svc.db, photo_id)
    others = actor.id != photo.owner_id  # an administrator's act: checked again as it is written
    if svc.settings.trash_days == 0:
        await photos.remove(svc, photo, admin=(actor.id, NOT_YOURS) if others else None)
    else:
        heard_by = await live.audience(svc.db, photo_id)  # as it was seen until now
        async with svc.db.transaction() as tx:
            if others:
                await admins.confirm(tx, actor.id, NOT_YOURS)
            await tx.lock(lock_name(photo_id))
            binned = await tx.execute(
                "INSERT INTO trashed_photos (photo_id, trashed_at, trashed_by) VALUES (?, ?, ?)"
                " ON CONFLICT (photo_id) DO NOTHING",
                (photo_id, clock.iso(clock.now()), actor.id),
            )
        if not binned:  # a delete at the same moment put it there: that one tells
            return
        # Every page showing it takes it away, as for a delete.
        await svc.publish("photo-deleted", {"id": photo_id, live.AUDIENCE: heard_by})
    await notifications.announce_all(svc, recount, told)


async def _own_trashed(svc: Services, owner: User, ids: list[int]) -> list[Photo]:
    """Those of `ids` that are in `owner`'s trash, as they may see them there."""
    if not ids:
        return []
    rows = await svc.db.fetchall(
        # A fixed column list and one "?" per id: every value is bound.
        f"SELECT {photos.PHOTO_COLUMNS} FROM trashed_photos tp"  # noqa: S608
        " JOIN photos p ON p.id = tp.photo_id JOIN users u ON u.id = p.owner_id"
        f" WHERE tp.photo_id IN ({placeholders(len(ids))})",
        [*photos.reading_for(owner), *ids],
    )
    viewer = access.Viewer(owner, public_view=False)
    found = [photos.from_row(row, owner) for row in rows]
    return [photo for photo in found if access.decide(viewer, photo).trash]


async def restore(
    svc: Services, owner: User, photo_ids: list[int], *, told: set[int] | None = None
) -> list[int]:
    """Take photos out of the owner's trash, back exactly as they were; the ids restored
    (those not in the owner's trash are left out: nothing to undo). `told` as for `move`."""
    wanted = list(dict.fromkeys(photo_ids))
    if not 1 <= len(wanted) <= RESTORE_MAX:
        raise Invalid(f"Name 1 to {RESTORE_MAX} photos to restore.", field="photo_ids")
    if not all(0 < photo_id <= MAX_ROWID for photo_id in wanted):  # else past what SQL holds
        raise Invalid("Photo ids are positive whole numbers.", field="photo_ids")
    restored = []
    recount: set[int] = set()
    for photo in await _own_trashed(svc, owner, wanted):
        gone = await svc.db.execute("DELETE FROM trashed_photos WHERE photo_id = ?", (photo.id,))
        if gone:
            restored.append(photo.id)
            recount.update(await album_news.told_of_photo(svc.db, photo.id))
    await notifications.announce_all(svc, recount, told)  # counted again in news of photos added
    order = {photo_id: n for n, photo_id in enumerate(wanted)}
    return sorted(restored, key=order.__getitem__)


async def restore_one(
    svc: Services, owner: User, photo_id: int, *, told: set[int] | None = None
) -> Photo:
    """One photo back from the trash (NotFound when it is not in the owner's trash)."""
    if not await restore(svc, owner, [photo_id], told=told):
        raise NotFound(NOT_IN_TRASH)
    return await photos.get(svc, photo_id, owner)


async def purge(svc: Services, owner: User, photo_id: int) -> None:
    """Delete a photo in the owner's trash for good (NotFound when it is not there)."""
    found = await in_trash(svc, owner, photo_id)
    await _purge_rows(svc.db, svc.store, [(found.id, found.sha256)])


async def in_trash(svc: Services, owner: User, photo_id: int) -> Photo:
    """The photo in the owner's trash, or NotFound."""
    found = await _own_trashed(svc, owner, [photo_id])
    if not found:
        raise NotFound(NOT_IN_TRASH)
    return found[0]


async def empty(svc: Services, owner: User) -> int:
    """Delete everything in the owner's trash for good; how many photos went."""
    rows = await svc.db.fetchall(
        "SELECT p.id, p.sha256 FROM trashed_photos tp JOIN photos p ON p.id = tp.photo_id"
        " WHERE p.owner_id = ?",
        (owner.id,),
    )
    return await _purge_rows(svc.db, svc.store, [(row[0], row[1]) for row in rows])


async def purge_expired(
    db: Backend, store: BlobStore, trash_days: int, now: float | None = None
) -> int:
    """Delete for good every photo that has been in a trash for `trash_days`; how many. (Not
    of Services: `photoarchive purge` runs it without a server.)"""
    cutoff = clock.iso((clock.now() if now is None else now) - trash_days * DAY_SECONDS)
    # The rows under the lock, the files after it: a digest's lock is never taken inside it.
    async with db.lock(PURGE_LOCK):
        rows = await db.fetchall(
            "SELECT p.id, p.sha256 FROM trashed_photos tp JOIN photos p ON p.id = tp.photo_id"
            " WHERE tp.trashed_at <= ?",
            (cutoff,),
        )
        digests = await _delete_rows(db, [(row[0], row[1]) for row in rows])
    await _discard_files(db, store, digests)
    return len(digests)


async def _purge_rows(db: Backend, store: BlobStore, found: list[tuple[int, str]]) -> int:
    digests = await _delete_rows(db, found)
    await _discard_files(db, store, digests)
    return len(digests)


async def _delete_rows(db: Backend, found: list[tuple[int, str]]) -> list[str]:
    """The digests of the photos this call deleted."""
    gone = []
    for photo_id, digest in found:
        # Only a photo still in a trash (never one restored meanwhile); once, whoever else
        # purges at the same moment.
        if await db.execute(
            "DELETE FROM photos WHERE id = ?"
            " AND EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = photos.id)",
            (photo_id,),
        ):
            gone.append(digest)
    return gone


async def _discard_files(db: Backend, store: BlobStore, digests: list[str]) -> None:
    # After the commits, outside any transaction: deleting the files may be slow.
    for digest in digests:
        await blobs.discard_unreferenced(db, store, digest)


def _trashed(svc: Services, row: Row, owner: User) -> Trashed:
    values = list(row)
    trashed_at = values.pop()
    return Trashed(photos.from_row(values, owner), trashed_at, purge_at(svc, trashed_at))


async def page(
    svc: Services, owner: User, *, cursor: str | None = None, limit: int | None = None
) -> tuple[list[Trashed], str | None]:
    """One page of the owner's trash, the latest deleted first."""
    size = photos.check_limit(limit)
    after = cursors.decode(cursor)
    # A fixed column list; every value is bound.
    sql = (
        f"SELECT {photos.PHOTO_COLUMNS}, tp.trashed_at FROM trashed_photos tp"  # noqa: S608
        " JOIN photos p ON p.id = tp.photo_id JOIN users u ON u.id = p.owner_id"
        " WHERE p.owner_id = ?"
    )
    params: list[object] = [*photos.reading_for(owner), owner.id]
    if after is not None:
        sql += _OLDER
        params += [after[0], after[0], after[1]]
    sql += " ORDER BY tp.trashed_at DESC, tp.photo_id DESC LIMIT ?"
    rows = await svc.db.fetchall(sql, [*params, size + 1])
    items = [_trashed(svc, row, owner) for row in rows[:size]]
    last = items[-1] if len(rows) > size else None
    next_cursor = None if last is None else cursors.encode(last.trashed_at, last.photo.id)
    return items, next_cursor


async def count(svc: Services, owner: User) -> int:
    return (
        await svc.db.fetchval(
            "SELECT COUNT(*) FROM trashed_photos tp JOIN photos p ON p.id = tp.photo_id"
            " WHERE p.owner_id = ?",
            (owner.id,),
        )
        or 0
    )


async def run(svc: Services) -> None:
    """Purge what has waited long enough, from the start of the server until it stops."""
    while True:
        try:
            purged = await purge_expired(svc.db, svc.store, svc.settings.trash_days)
        except Exception:
            log.exception("Emptying the trash of old photos failed; trying again later.")
        else:
            if purged:
                log.info("photos purged from the trash: %d", purged)
        if svc.settings.trash_days == 0:
            return  # what waited from before is gone; every delete now is for good at once
        await asyncio.sleep(WAKE_SECONDS)
