"""A person's favorites: photos they marked to find again. Private to them: nobody else reads,
counts or is told of them, and their list holds only the photos they may still see (a favorite
of a photo since made private to them drops out of it, and comes back if it is shared again).

Any photo the person may see can be a favorite (NotFound for one they may not). The list is
newest favorite first, a keyset on (when it was marked, photo id). No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import ForeignKeyViolation
from photoarchive.errors import NotFound
from photoarchive.library import access, cursors, photos
from photoarchive.library.photos import Photo
from photoarchive.services import Services

_NEWER = " AND (f.created_at > ? OR (f.created_at = ? AND f.photo_id > ?))"
_OLDER = " AND (f.created_at < ? OR (f.created_at = ? AND f.photo_id < ?))"


async def set_favorite(svc: Services, actor: User, photo_id: int, favorite: bool) -> bool:
    """Mark or unmark (either twice is the same as once); the state now."""
    await photos.find(svc, photo_id, actor)  # NotFound for a photo they may not see
    if favorite:
        try:
            await svc.db.execute(
                "INSERT INTO favorites (user_id, photo_id, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id, photo_id) DO NOTHING",
                (actor.id, photo_id, clock.iso(clock.now())),
            )
        except ForeignKeyViolation:  # deleted for good since it was found
            raise NotFound(photos.PHOTO_GONE) from None
    else:
        await svc.db.execute(
            "DELETE FROM favorites WHERE user_id = ? AND photo_id = ?", (actor.id, photo_id)
        )
    return favorite


def _select(viewer: User) -> tuple[str, list[object]]:
    visible, allowed = access.visible_sql(access.Viewer(viewer, public_view=False))
    # A fixed column list and a condition from access.visible_sql; every value is bound.
    sql = (
        f"SELECT {photos.PHOTO_COLUMNS}, f.created_at FROM favorites f"  # noqa: S608
        " JOIN photos p ON p.id = f.photo_id JOIN users u ON u.id = p.owner_id"
        f" WHERE f.user_id = ? AND {visible}"
    )
    return sql, [*photos.reading_for(viewer), viewer.id, *allowed]


async def page(
    svc: Services, viewer: User, *, cursor: str | None = None, limit: int | None = None
) -> tuple[list[Photo], str | None]:
    """One page of the viewer's favorites they may still see, newest favorite first."""
    size = photos.check_limit(limit)
    after = cursors.decode(cursor)
    sql, params = _select(viewer)
    if after is not None:
        sql += _OLDER
        params += [after[0], after[0], after[1]]
    sql += " ORDER BY f.created_at DESC, f.photo_id DESC LIMIT ?"
    rows = await svc.db.fetchall(sql, [*params, size + 1])
    items = [photos.from_row(list(row)[:-1], viewer) for row in rows[:size]]
    next_cursor = cursors.encode(rows[size - 1][-1], items[-1].id) if len(rows) > size else None
    await photos.decorate(svc, items, viewer, with_comments=False)
    return items, next_cursor


@dataclass(frozen=True, slots=True)
class Around:
    """The favorites either side of one (newer, older), and the cursor of the page that
    starts with it (None when it is on the first page)."""

    newer: Photo | None
    older: Photo | None
    page_cursor: str | None


async def around(svc: Services, viewer: User, photo: Photo) -> Around | None:
    """None when the photo is not one of the viewer's favorites."""
    marked = await svc.db.fetchval(
        "SELECT created_at FROM favorites WHERE user_id = ? AND photo_id = ?",
        (viewer.id, photo.id),
    )
    if marked is None:
        return None
    sql, params = _select(viewer)
    keyset = [marked, marked, photo.id]
    before = await svc.db.fetchall(
        sql + _NEWER + " ORDER BY f.created_at, f.photo_id LIMIT ?",
        [*params, *keyset, photos.PAGE_DEFAULT],
    )
    after = await svc.db.fetchall(
        sql + _OLDER + " ORDER BY f.created_at DESC, f.photo_id DESC LIMIT 1", [*params, *keyset]
    )
    newer = photos.from_row(list(before[0])[:-1], viewer) if before else None
    older = photos.from_row(list(after[0])[:-1], viewer) if after else None
    # A whole page before it: the page that starts with it follows the one just before it.
    full = len(before) >= photos.PAGE_DEFAULT
    start = cursors.encode(before[0][-1], before[0][0]) if full else None
    return Around(newer, older, start)
