"""What a live event needs of a photo (see web/events.py): who may hear of it, and its counts as
they are now. No HTTP here."""

from __future__ import annotations

from photoarchive.db import Backend
from photoarchive.library import access

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
