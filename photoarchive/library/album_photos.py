"""The photos an album holds, in its order: adding and removing them, paging through them, the
neighbours of one of them, and all of their ids (for a download or a share link).

An album's order is its `sort`: `taken_desc` (newest taken first; a photo without a date goes
by its upload time on the archive's clock), `taken_asc`, or `added_desc` (last added first).
Each is a keyset on (sort key, photo id): a page never repeats or skips a photo while others
are added. Every read asks access.visible_sql as well (the count and the pages agree). No HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import MAX_ROWID, Backend, ForeignKeyViolation, Transaction, placeholders
from photoarchive.errors import Forbidden, Invalid, NotFound
from photoarchive.library import (
    access,
    album_news,
    albums,
    cursors,
    live,
    notifications,
    photos,
    trash,
)
from photoarchive.library.albums import Album
from photoarchive.library.photos import Photo
from photoarchive.services import Services

IDS_MAX = 1000  # photo ids in one request to add or remove

NOT_FOUND = "not_found"  # why a photo was not added: not there, or not one the person may see
NOT_YOURS = "not_yours"  # only a photo's owner puts it in an album
ALREADY_IN = "already_in_album"
MAY_ADD = "Only the album's owner and contributors can add photos."


@dataclass(frozen=True, slots=True)
class _Order:
    key: str  # the sort key, an SQL expression over photos p and album_photos ap
    descending: bool

    def by(self, *, reverse: bool = False) -> str:
        way = "DESC" if self.descending != reverse else "ASC"
        return f" ORDER BY {self.key} {way}, p.id {way}"

    def past(self, *, reverse: bool = False) -> str:
        """The condition "after (key, id) in this order" (three values bound)."""
        op = "<" if self.descending != reverse else ">"
        return f" AND ({self.key} {op} ? OR ({self.key} = ? AND p.id {op} ?))"


# A photo without a date taken goes by its upload on the archive's clock (created_local, see
# upload_clock.py), as on the timeline: next to the photos taken that evening, not UTC's.
_TAKEN = "COALESCE(p.taken_at, p.created_local, p.created_at)"
ORDERS = {
    "taken_desc": _Order(_TAKEN, descending=True),
    "taken_asc": _Order(_TAKEN, descending=False),
    "added_desc": _Order("ap.added_at", descending=True),
}


_cursor = cursors.encode
_parse_cursor = cursors.decode


def _select(order: _Order) -> str:
    # Fixed column lists and a sort key from ORDERS; every value is bound.
    return (
        f"SELECT {photos.PHOTO_COLUMNS}, {order.key} AS sort_key FROM album_photos ap"  # noqa: S608
        " JOIN photos p ON p.id = ap.photo_id JOIN users u ON u.id = p.owner_id"
        " WHERE ap.album_id = ?"
    )


async def page(
    svc: Services,
    album: Album,
    viewer: User,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[Photo], str | None]:
    """One page of the album's photos in its order (`album` was read for `viewer`)."""
    size = photos.check_limit(limit)
    after = _parse_cursor(cursor)
    order = ORDERS[album.sort]
    visible, allowed = access.visible_sql(access.Viewer(viewer, public_view=False))
    sql = _select(order) + f" AND {visible}"
    params: list[object] = [*photos.reading_for(viewer), album.id, *allowed]
    if after is not None:
        sql += order.past()
        params += [after[0], after[0], after[1]]
    rows = await svc.db.fetchall(sql + order.by() + " LIMIT ?", [*params, size + 1])
    items = [photos.from_row(list(row)[:-1], viewer) for row in rows[:size]]
    next_cursor = _cursor(rows[size - 1][-1], items[-1].id) if len(rows) > size else None
    await photos.decorate(svc, items, viewer, with_comments=False)
    return items, next_cursor


async def all_of(svc: Services, album: Album, viewer: User) -> list[Photo]:
    """Every photo of the album `viewer` may see, in its order (for a download)."""
    found: list[Photo] = []
    cursor: str | None = None
    while True:
        items, cursor = await page(svc, album, viewer, cursor=cursor, limit=photos.PAGE_MAX)
        found += items
        if cursor is None:
            return found


async def ids_in_order(
    svc: Services, album_id: int, sort: str, *, only: int | None = None
) -> list[int]:
    """The ids of every photo in the album but those in the trash, in the order `sort` (its
    `albums.sort`), for a caller that decides access itself (a share link grants these). With
    `only`, that photo's id if it is one of them, else none."""
    order = ORDERS[sort]
    one = "" if only is None else " AND p.id = ?"
    rows = await svc.db.fetchall(
        # A sort key from ORDERS; the album's id (and the one photo's) is bound.
        "SELECT p.id FROM album_photos ap JOIN photos p ON p.id = ap.photo_id"  # noqa: S608
        " WHERE ap.album_id = ?"
        + one
        + " AND NOT EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = p.id)"
        + order.by(),
        (album_id,) if only is None else (album_id, only),
    )
    return [row[0] for row in rows]


@dataclass(frozen=True, slots=True)
class Around:
    """The photos either side of one in its album's order, and the cursor of the album page
    that starts with it (None when it is on the first page)."""

    newer: Photo | None
    older: Photo | None
    page_cursor: str | None


async def around(svc: Services, album: Album, photo: Photo, viewer: User) -> Around | None:
    """None when the photo is not in the album."""
    order = ORDERS[album.sort]
    key = await svc.db.fetchval(
        # A sort key from ORDERS; the ids are bound.
        f"SELECT {order.key} FROM album_photos ap JOIN photos p ON p.id = ap.photo_id"  # noqa: S608
        " WHERE ap.album_id = ? AND ap.photo_id = ?",
        (album.id, photo.id),
    )
    if key is None:
        return None
    visible, allowed = access.visible_sql(access.Viewer(viewer, public_view=False))
    found: list[list[Any]] = []
    for reverse, count in ((True, photos.PAGE_DEFAULT), (False, 1)):
        rows = await svc.db.fetchall(
            _select(order)
            + f" AND {visible}"
            + order.past(reverse=reverse)
            + order.by(reverse=reverse)
            + " LIMIT ?",
            [*photos.reading_for(viewer), album.id, *allowed, key, key, photo.id, count],
        )
        found.append([list(row) for row in rows])
    before, after = found
    newer = photos.from_row(before[0][:-1], viewer) if before else None
    older = photos.from_row(after[0][:-1], viewer) if after else None
    # A whole page before it: the page that starts with it follows the one just before it.
    start = _cursor(before[0][-1], before[0][0]) if len(before) >= photos.PAGE_DEFAULT else None
    return Around(newer, older, start)


def check_ids(photo_ids: Sequence[Any]) -> list[int]:
    """1 to IDS_MAX positive ids, each once, in the order given (422 otherwise)."""
    if len(photo_ids) > IDS_MAX:
        raise Invalid(f"At most {IDS_MAX} photos at a time.", field="photo_ids")
    if not photo_ids:
        raise Invalid("Name at least one photo.", field="photo_ids")
    out: list[int] = []
    for value in photo_ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ROWID:
            raise Invalid("Photo ids are positive whole numbers.", field="photo_ids")
        if value not in out:
            out.append(value)
    return out


async def add(
    svc: Services,
    album: Album,
    actor: User,
    photo_ids: Sequence[Any],
    *,
    told: set[int] | None = None,
) -> tuple[list[int], list[tuple[int, str]]]:
    """The owner and contributors add photos of their own (family or private); (added,
    skipped with why). A photo they may not see is `not_found`, whoever owns it. The members
    told hear of it after the commit, or, with `told`, are put in it (to announce once)."""
    if not album.may_add:
        raise Forbidden(MAY_ADD)
    wanted = check_ids(photo_ids)
    visible, allowed = access.visible_sql(access.Viewer(actor, public_view=False))
    rows = await svc.db.fetchall(
        # "?" placeholders and a condition from access.visible_sql; every value is bound.
        f"SELECT p.id, p.owner_id, EXISTS (SELECT 1 FROM album_photos ap WHERE ap.album_id = ?"  # noqa: S608
        f" AND ap.photo_id = p.id) FROM photos p WHERE p.id IN ({placeholders(len(wanted))})"
        f" AND {visible}",
        [album.id, *wanted, *allowed],
    )
    seen = {row[0]: (row[1], bool(row[2])) for row in rows}
    added: list[int] = []
    skipped: list[tuple[int, str]] = []
    for photo_id in wanted:
        if photo_id not in seen:
            skipped.append((photo_id, NOT_FOUND))
        elif seen[photo_id][0] != actor.id:
            skipped.append((photo_id, NOT_YOURS))
        elif seen[photo_id][1]:
            skipped.append((photo_id, ALREADY_IN))
        else:
            added.append(photo_id)
    if added:
        try:  # PostgreSQL: one purged as the INSERT ran fails it whole; asked again, it is read
            members = await _insert(svc, album, actor, added, skipped)  # gone, the rest go in
        except ForeignKeyViolation:
            try:
                members = await _insert(svc, album, actor, added, skipped)
            except ForeignKeyViolation:  # purged again: said as one gone
                raise NotFound(photos.PHOTO_GONE) from None
        await notifications.announce_all(svc, members, told)
    return added, skipped


async def _insert(
    svc: Services, album: Album, actor: User, added: list[int], skipped: list[tuple[int, str]]
) -> list[int]:
    """`added` put in (one gone meanwhile moved to `skipped`); whose news now counts more."""
    async with svc.db.transaction() as tx:
        # Asked again under the album's lock: `album` may have been read a while ago, and its
        # person removed since, their photos with them.
        await tx.lock(albums.lock_name(album.id))
        # Taken under the lock: the members' news of photos added counts by this time.
        now = clock.now_iso()
        role = await tx.fetchval(
            "SELECT role FROM album_members WHERE album_id = ? AND user_id = ?",
            (album.id, actor.id),
        )
        if role is None:
            raise NotFound(albums.ALBUM_GONE)
        if role not in ("owner", "contributor"):
            raise Forbidden(MAY_ADD)
        # From the photos rows, all at once: one purged since it was read adds nothing, no 500.
        marks = placeholders(len(added))
        went_in = await tx.execute(
            "INSERT INTO album_photos (album_id, photo_id, added_by, added_at)"  # noqa: S608
            f" SELECT ?, id, ?, ? FROM photos WHERE id IN ({marks})"
            " ON CONFLICT (album_id, photo_id) DO NOTHING",
            (album.id, actor.id, now, *added),
        )
        if went_in < len(added):  # gone, or put in by another request meanwhile
            rows = await tx.fetchall(f"SELECT id FROM photos WHERE id IN ({marks})", added)  # noqa: S608
            there = {row[0] for row in rows}
            skipped += [(photo_id, NOT_FOUND) for photo_id in added if photo_id not in there]
            added[:] = [photo_id for photo_id in added if photo_id in there]
        await tx.execute("UPDATE albums SET updated_at = ? WHERE id = ?", (now, album.id))
        return await album_news.photos_added(tx, album.id, actor.id, now) if went_in else []


async def remove(svc: Services, album_id: int, actor: User, photo_ids: Sequence[Any]) -> list[int]:
    """Photos taken out of an album (they themselves stay): the owner takes any, a contributor
    those they added, and a photo's owner their own from any album holding it, member or not
    (access.may_take_out); while the owner's account is disabled, the administrator looking
    after the album takes out those they see. The ids actually removed (others are left as
    they were). The album is NotFound to someone for whom it is not there (access.decide_album)
    and who owns no photo in it."""
    role, owner_disabled, owns_some = await _standing(svc, album_id, actor)
    decided = access.decide_album(
        access.Viewer(actor, public_view=False), role, owner_disabled=owner_disabled
    )
    if decided.role is None and not owns_some:
        raise NotFound(albums.ALBUM_GONE)
    if not (decided.add or decided.manage or owns_some):
        raise Forbidden("Only the album's owner and contributors can remove photos.")
    wanted = check_ids(photo_ids)
    visible, params = access.visible_sql(access.Viewer(actor, public_view=False))
    rows = await svc.db.fetchall(
        # A condition from access.visible_sql and "?" placeholders; every value is bound.
        "SELECT ap.photo_id, p.owner_id, ap.added_by,"  # noqa: S608
        f" CASE WHEN {visible} THEN 1 ELSE 0 END FROM album_photos ap"
        " JOIN photos p ON p.id = ap.photo_id"
        f" WHERE ap.album_id = ? AND ap.photo_id IN ({placeholders(len(wanted))})",
        [*params, album_id, *wanted],
    )
    removable = {
        row[0]
        for row in rows
        if access.may_take_out(
            actor, role, row[1], row[2], manages=decided.manage, seen=bool(row[3])
        )
    }
    chosen = [photo_id for photo_id in wanted if photo_id in removable]
    removed: list[int] = []
    if chosen:
        # Those who saw a private one through this album only are told: their pages drop it.
        before = await live.private_audiences(svc.db, chosen)
        async with svc.db.transaction() as tx:
            for photo_id in sorted(chosen):  # in one order: two removals cannot deadlock
                await tx.lock(trash.lock_name(photo_id))
            for photo_id in chosen:
                # Not if its owner put it in their trash since it was read (theirs to take out).
                if await tx.execute(
                    "DELETE FROM album_photos WHERE album_id = ? AND photo_id = ? AND (NOT EXISTS"
                    " (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = album_photos.photo_id)"
                    " OR EXISTS (SELECT 1 FROM photos p WHERE p.id = album_photos.photo_id"
                    " AND p.owner_id = ?))",
                    (album_id, photo_id, actor.id),
                ):
                    removed.append(photo_id)
            await tx.execute(
                "UPDATE albums SET updated_at = ? WHERE id = ?", (clock.now_iso(), album_id)
            )
            await forget_lost_cover(tx, album_id)
            # Their notifications of photos added count what is in the album when read.
            recount = await album_news.told_of_photos_added(tx, album_id)
        await notifications.announce_all(svc, recount)
        await live.tell_changed(svc, before, removed)
    return removed


async def may_take_out_some(svc: Services, album: Album, actor: User) -> bool:
    """Whether `actor` (`album` was read for them) may take any photo out of it, to offer
    "Remove from album": its owner and contributors, the administrator looking after it, and
    a member whose photo it holds."""
    return album.may_add or album.manages or (await _standing(svc, album.id, actor))[2]


@dataclass(frozen=True, slots=True)
class Holding:
    """An album holding a photo, as its owner is told (who else sees a private photo)."""

    album_id: int
    title: str
    member: bool  # the photo's owner is one of its members (its page is theirs to open)
    shared: bool  # it has a share link that still opens


async def holding(svc: Services, photo: Photo, owner: User) -> list[Holding]:
    """The albums holding `owner`'s photo, by title; [] for anyone else's photo. An album's
    links are the album's, whoever of its owners made them (shares.py)."""
    if photo.owner_id != owner.id:
        return []
    rows = await svc.db.fetchall(
        "SELECT a.id, a.title,"
        " EXISTS (SELECT 1 FROM album_members m WHERE m.album_id = a.id AND m.user_id = ?),"
        " EXISTS (SELECT 1 FROM shares s WHERE s.album_id = a.id AND s.revoked_at IS NULL"
        " AND (s.expires_at IS NULL OR s.expires_at > ?))"
        " FROM album_photos ap JOIN albums a ON a.id = ap.album_id WHERE ap.photo_id = ?"
        " ORDER BY a.title, a.id",
        (owner.id, clock.now_iso(), photo.id),
    )
    return [Holding(row[0], row[1], bool(row[2]), bool(row[3])) for row in rows]


async def _standing(svc: Services, album_id: int, actor: User) -> tuple[str | None, bool, bool]:
    """`actor`'s role in the album (None: not a member), whether its owner's account is
    disabled, and whether a photo of theirs is in it."""
    if actor.disabled or not 0 < album_id <= MAX_ROWID:
        return None, False, False
    row = await svc.db.fetchone(
        "SELECT (SELECT m.role FROM album_members m WHERE m.album_id = ? AND m.user_id = ?),"
        " (SELECT o.disabled FROM albums a JOIN users o ON o.id = a.owner_id WHERE a.id = ?),"
        " EXISTS (SELECT 1 FROM album_photos ap JOIN photos p ON p.id = ap.photo_id"
        " WHERE ap.album_id = ? AND p.owner_id = ?)",
        (album_id, actor.id, album_id, album_id, actor.id),
    )
    return (None, False, False) if row is None else (row[0], bool(row[1]), bool(row[2]))


async def private_ids(db: Backend, album_id: int) -> list[int]:
    """The album's private photos, whoever added them."""
    rows = await db.fetchall(
        "SELECT ap.photo_id FROM album_photos ap"
        " JOIN private_photos pp ON pp.photo_id = ap.photo_id WHERE ap.album_id = ?",
        (album_id,),
    )
    return [row[0] for row in rows]


async def forget_lost_cover(tx: Transaction, album_id: int) -> None:
    """A cover taken out of the album goes back to the automatic one."""
    await tx.execute(
        "UPDATE albums SET cover_photo_id = NULL WHERE id = ? AND NOT EXISTS"
        " (SELECT 1 FROM album_photos ap WHERE ap.album_id = albums.id"
        " AND ap.photo_id = albums.cover_photo_id)",
        (album_id,),
    )
