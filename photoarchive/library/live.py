"""What a live event needs of a photo (see web/events.py): who may hear of it, and its counts as
they are now. No HTTP here."""

from __future__ import annotations

from collections.abc import Iterable

from photoarchive.db import Backend, placeholders
from photoarchive.library import access
from photoarchive.services import Services

# The event for "your notifications changed" (`user_id`: whose); it goes to them alone, and
# their navigation's badge asks for its count again (notifications.py, albums.delete).
NOTIFICATIONS_EVENT = "notification"
# The key of a published event's data that carries its photo's audience when the photo can no
# longer be read (it was deleted); the event stream takes it out before sending.
AUDIENCE = "_audience"


async def audience(db: Backend, photo_id: int) -> access.Audience | None:
    """Who may see the photo as it is now (for a live event); None once it is deleted."""
    rows = await db.fetchall(
        "SELECT p.owner_id, EXISTS (SELECT 1 FROM private_photos pp WHERE pp.photo_id = p.id),"
        " am.user_id, EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = p.id)"
        " FROM photos p LEFT JOIN album_photos ap ON ap.photo_id = p.id"
        " LEFT JOIN album_members am ON am.album_id = ap.album_id WHERE p.id = ?",
        (photo_id,),
    )
    if not rows:
        return None
    members = frozenset(row[2] for row in rows if row[2] is not None)
    return access.Audience(photo_id, rows[0][0], bool(rows[0][1]), members, bool(rows[0][3]))


async def counts(db: Backend, photo_id: int) -> tuple[int, int] | None:
    """(likes, comments) of the photo as they are now; None once it is deleted."""
    row = await db.fetchone(
        "SELECT like_count, comment_count FROM photos WHERE id = ?", (photo_id,)
    )
    return None if row is None else (row["like_count"], row["comment_count"])


async def private_audiences(db: Backend, photo_ids: list[int]) -> dict[int, access.Audience]:
    """Who may see each private photo among `photo_ids`, read before a change that may take
    some of them away (out of an album, or its member out): see `tell_changed`."""
    if not photo_ids:
        return {}
    marks = placeholders(len(photo_ids))  # "?" alone: every id is bound
    rows = await db.fetchall(
        f"SELECT photo_id FROM private_photos WHERE photo_id IN ({marks})",  # noqa: S608
        photo_ids,
    )
    found = {}
    for (photo_id,) in rows:
        seen_by = await audience(db, photo_id)
        if seen_by is not None:
            found[photo_id] = seen_by
    return found


async def tell_changed(
    svc: Services, before: dict[int, access.Audience], photo_ids: Iterable[int]
) -> None:
    """Tell those who could see these private photos (`before`) that they changed: the open
    pages of those who no longer may drop them (the event reaches them, and the page's fetch
    of the photo answers 404), as a photo made private does."""
    for photo_id in photo_ids:
        if photo_id in before:
            await svc.publish("photo-changed", {"photo_id": photo_id, AUDIENCE: before[photo_id]})
