"""Likes: one per person and photo, counted on the photo."""

from __future__ import annotations

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import ForeignKeyViolation
from photoarchive.errors import NotFound
from photoarchive.library import notifications, photos
from photoarchive.library.photos import PHOTO_GONE, Photo
from photoarchive.services import Services


async def set_like(svc: Services, actor: User, photo_id: int, liked: bool) -> Photo:
    before = await photos.get(svc, photo_id, actor)
    noticed = False
    try:
        async with svc.db.transaction() as tx:
            if liked:
                changed = await tx.execute(
                    "INSERT INTO likes (photo_id, user_id, created_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (photo_id, user_id) DO NOTHING",
                    (photo_id, actor.id, clock.now_iso()),
                )
            else:
                changed = await tx.execute(
                    "DELETE FROM likes WHERE photo_id = ? AND user_id = ?", (photo_id, actor.id)
                )
            if changed:
                await tx.execute(
                    "UPDATE photos SET like_count = like_count + ? WHERE id = ?",
                    (1 if liked else -1, photo_id),
                )
                if liked:
                    noticed = await notifications.liked(tx, before, actor.id)
                else:
                    noticed = await notifications.unliked(tx, before, actor.id)
    except ForeignKeyViolation:  # deleted between the check and the insert
        raise NotFound(PHOTO_GONE) from None
    photo = await photos.get(svc, photo_id, actor)
    if changed:
        await svc.publish("like", {"id": photo_id, "like_count": photo.like_count})
    if noticed:
        await notifications.announce(svc, photo.owner_id)
    return photo


async def likers(svc: Services, photo: Photo, limit: int = 12) -> tuple[list[tuple[str, str]], int]:
    """Who liked `photo` (already read through the access decision by the caller), most recent
    first: up to `limit` (username, display name) pairs and how many there are in all."""
    rows = await svc.db.fetchall(
        "SELECT u.username, u.display_name FROM likes l JOIN users u ON u.id = l.user_id"
        " WHERE l.photo_id = ? ORDER BY l.created_at DESC, u.username LIMIT ?",
        (photo.id, limit),
    )
    return [(row["username"], row["display_name"]) for row in rows], photo.like_count
