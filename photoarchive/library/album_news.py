"""News of albums, written with its cause (library/notifications.py reads and shows it):
a member told who added them to an album (kind 'album', one per member and album), and the
other members told who added photos to one (kind 'album_photos', one unread run per member
and person adding; the photos are counted when read). Taken back when the member leaves
(`left_album`); the album's deletion takes them by cascade (0032, 0033). Each writer runs in
its cause's transaction; the caller announces to those told after the commit
(notifications.announce). No HTTP here."""

from __future__ import annotations

from photoarchive import clock
from photoarchive.db import Reader, Transaction


async def added_to_album(tx: Transaction, album_id: int, member_id: int, actor_id: int) -> bool:
    """Tell someone just added to an album who added them; False when there is nobody to tell
    (nobody is told of their own doing) or they were told already."""
    if member_id == actor_id:
        return False
    added = await tx.execute(
        "INSERT INTO notifications (user_id, actor_id, kind, album_id, created_at)"
        " VALUES (?, ?, 'album', ?, ?)"
        " ON CONFLICT (album_id, user_id) WHERE kind = 'album' DO NOTHING",
        (member_id, actor_id, album_id, clock.now_iso()),
    )
    return added > 0


async def left_album(tx: Transaction, album_id: int, member_id: int) -> bool:
    """Take back, read or not, the notifications about an album someone is no longer in
    (being added to it, photos added to it); True if there was one."""
    removed = await tx.execute(
        "DELETE FROM notifications WHERE kind IN ('album', 'album_photos') AND album_id = ?"
        " AND user_id = ?",
        (album_id, member_id),
    )
    return removed > 0


async def photos_added(tx: Transaction, album_id: int, actor_id: int, added_at: str) -> list[int]:
    """Tell the album's other members that `actor_id` added photos to it (in this transaction,
    which holds the album's lock, with the photos' `added_at`, taken under it); the ids of
    those told. One unread notification per member and person adding: a newer addition
    replaces it under a new id (the top of the list, news again for a digest) keeping when the
    run began; one marked read meanwhile is left as it was read."""
    members = await tx.fetchall(
        "SELECT user_id FROM album_members WHERE album_id = ? AND user_id <> ? ORDER BY user_id",
        (album_id, actor_id),
    )
    told: list[int] = []
    for row in members:
        member_id = row["user_id"]
        # What it deletes is what it continues: a run read since it was looked at stays.
        since = await tx.fetchval(
            "DELETE FROM notifications WHERE kind = 'album_photos' AND album_id = ?"
            " AND user_id = ? AND actor_id = ? AND read_at IS NULL RETURNING since_at",
            (album_id, member_id, actor_id),
        )
        await tx.execute(
            "INSERT INTO notifications (user_id, actor_id, kind, album_id, since_at, created_at)"
            " VALUES (?, ?, 'album_photos', ?, ?, ?)",
            (member_id, actor_id, album_id, since or added_at, added_at),
        )
        told.append(member_id)
    return told


async def told_of_photos_added(tx: Reader, album_id: int) -> list[int]:
    """Who has unread news of photos added to the album (their badge counts what is in it)."""
    rows = await tx.fetchall(
        "SELECT DISTINCT user_id FROM notifications WHERE kind = 'album_photos'"
        " AND album_id = ? AND read_at IS NULL ORDER BY user_id",
        (album_id,),
    )
    return [row["user_id"] for row in rows]


async def told_of_photo(db: Reader, photo_id: int) -> list[int]:
    """Who has unread news of photos added that counts this photo (in an album holding it,
    added by the person it names): their badge changes when it goes to the trash or back."""
    rows = await db.fetchall(
        "SELECT DISTINCT n.user_id FROM album_photos ap JOIN notifications n"
        " ON n.album_id = ap.album_id AND n.actor_id = ap.added_by"
        " WHERE ap.photo_id = ? AND n.kind = 'album_photos' AND n.read_at IS NULL"
        " ORDER BY n.user_id",
        (photo_id,),
    )
    return [row["user_id"] for row in rows]
