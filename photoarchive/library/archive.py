"""Archiving: the owner takes a photo out of the feed, batches, their profile's grid and its
counts, for everyone (themselves included), without deleting it or changing who may see it. It
stays in its albums and share links, and its owner finds it on their archive page.

An archived photo has a row in `archived_photos` (migration 0016); the lists leave it out by
`photos.not_archived`. No HTTP here.
"""

from __future__ import annotations

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import ForeignKeyViolation
from photoarchive.errors import Forbidden, NotFound
from photoarchive.library import access, photos
from photoarchive.library.photos import Photo
from photoarchive.services import Services


async def set_archived(svc: Services, actor: User, photo_id: int, archived: bool) -> Photo:
    """The owner archives or unarchives their photo (NotFound for one they may not see,
    Forbidden for another person's); the photo as it is now."""
    photo = await photos.find(svc, photo_id, actor)
    if not photo.can_edit:
        raise Forbidden("Only the photo's owner can archive it.")
    if archived:
        try:
            await svc.db.execute(
                "INSERT INTO archived_photos (photo_id, archived_at) VALUES (?, ?)"
                " ON CONFLICT (photo_id) DO NOTHING",
                (photo_id, clock.now_iso()),
            )
        except ForeignKeyViolation:  # deleted for good since it was found
            raise NotFound(photos.PHOTO_GONE) from None
    else:
        await svc.db.execute("DELETE FROM archived_photos WHERE photo_id = ?", (photo_id,))
    return await photos.get(svc, photo_id, actor)


async def page(
    svc: Services, owner: User, *, cursor: str | None = None, limit: int | None = None
) -> tuple[list[Photo], str | None]:
    """One page of the owner's archived photos, newest first (keyset on the photo id)."""
    size = photos.check_limit(limit)
    before = photos.parse_cursor(cursor)
    visible, allowed = access.visible_sql(access.Viewer(owner, public_view=False))
    # A fixed column list and a condition from access.visible_sql; every value is bound.
    sql = (
        f"SELECT {photos.PHOTO_COLUMNS} FROM archived_photos ar"  # noqa: S608
        " JOIN photos p ON p.id = ar.photo_id JOIN users u ON u.id = p.owner_id"
        f" WHERE p.owner_id = ? AND {visible}"
    )
    params: list[object] = [*photos.reading_for(owner), owner.id, *allowed]
    if before is not None:
        sql += " AND p.id < ?"
        params.append(before)
    rows = await svc.db.fetchall(sql + " ORDER BY p.id DESC LIMIT ?", [*params, size + 1])
    items = [photos.from_row(row, owner) for row in rows[:size]]
    next_cursor = str(items[-1].id) if len(rows) > size else None
    await photos.decorate(svc, items, owner, with_comments=False)
    return items, next_cursor
