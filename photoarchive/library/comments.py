"""Comments on photos: who may add and delete them."""

from __future__ import annotations

import math
from typing import Any

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import ForeignKeyViolation
from photoarchive.db.protocol import Reader
from photoarchive.errors import Forbidden, Invalid, NotFound, TooManyRequests
from photoarchive.library import notifications, photos, writing
from photoarchive.services import Services

TEXT_MAX = 2000
COMMENT_GONE = "That comment does not exist (or was deleted)."
# How many comments one person may post in so many seconds: far more than anyone types, so
# that a script cannot bury a photo's page and its owner's notifications.
PACE = ((60, 60, "minute"), (600, 3600, "hour"))


def check_text(text: Any) -> str:
    if not isinstance(text, str):
        raise Invalid("The comment must be text.", field="text")
    text = writing.cleaned(text)
    if writing.is_blank(text):
        raise Invalid("Write something before posting a comment.", field="text")
    if len(text) > TEXT_MAX:
        raise Invalid(f"Comments can be at most {TEXT_MAX:,} characters.", field="text")
    return text


async def keeping_pace(db: Reader, author: User, now: str) -> None:
    """TooManyRequests, with the wait, once `author` has posted PACE's comments that fast.
    Asked inside the transaction that adds the comment, under the author's lock: asked
    before it, parallel posts all passed while the count was still one short."""
    for count, seconds, unit in PACE:
        # Their count-th newest comment (ids grow with time), read down the author's index.
        stamp = await db.fetchval(
            "SELECT created_at FROM comments WHERE author_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?",
            (author.id, count - 1),
        )
        if stamp is not None and (wait := clock.parse(stamp) + seconds - clock.parse(now)) > 0:
            raise TooManyRequests(
                f"You have posted {count} comments in the last {unit}. Wait a little and post"
                " again.",
                # Never more than the window, should the clock have stepped back since.
                retry_after=max(1, math.ceil(min(wait, seconds))),
            )


async def add(svc: Services, author: User, photo_id: int, text: Any) -> photos.Comment:
    cleaned = check_text(text)
    photo = await photos.get(svc, photo_id, author)
    try:
        async with svc.db.transaction() as tx:
            await tx.lock(f"comments-by:{author.id}")
            created_at = clock.now_iso()  # the clock comments' times are written by
            await keeping_pace(tx, author, created_at)
            comment_id = await tx.fetchval(
                "INSERT INTO comments (photo_id, author_id, text, created_at) VALUES (?, ?, ?, ?)"
                " RETURNING id",
                (photo_id, author.id, cleaned, created_at),
            )
            await tx.execute(
                "UPDATE photos SET comment_count = comment_count + 1 WHERE id = ?", (photo_id,)
            )
            noticed = await notifications.commented(tx, photo, author.id, comment_id, created_at)
    except ForeignKeyViolation:  # the photo was deleted between the check and the insert
        raise NotFound(photos.PHOTO_GONE) from None
    comment = photos.Comment(
        comment_id, photo_id, author.username, cleaned, created_at, True, author.display_name
    )
    await svc.publish("comment", {"id": comment_id, "photo_id": photo_id, "owner": photo.owner})
    if noticed:
        await notifications.announce(svc, photo.owner_id)
    return comment


async def delete(svc: Services, actor: User, comment_id: int) -> int:
    """Delete a comment (its author or the photo's owner); returns the photo id."""
    row = await svc.db.fetchone(
        "SELECT c.author_id, c.photo_id, p.owner_id FROM comments c"
        " JOIN photos p ON p.id = c.photo_id WHERE c.id = ?",
        (comment_id,),
    )
    if row is None:
        raise NotFound(COMMENT_GONE)
    try:
        await photos.find(svc, row["photo_id"], actor)
    except NotFound:
        # On a photo they may not see, it is not there either: the same answer as for none,
        # which tells nobody that the photo exists or that anybody wrote on it.
        raise NotFound(COMMENT_GONE) from None
    if actor.id not in (row["author_id"], row["owner_id"]):
        raise Forbidden("Only the comment's author or the photo's owner can delete it.")
    async with svc.db.transaction() as tx:
        unnoticed = await notifications.comment_deleted(tx, comment_id)
        deleted = await tx.execute("DELETE FROM comments WHERE id = ?", (comment_id,))
        if deleted:
            await tx.execute(
                "UPDATE photos SET comment_count = comment_count - 1 WHERE id = ?",
                (row["photo_id"],),
            )
    await svc.publish("comment-deleted", {"id": comment_id, "photo_id": row["photo_id"]})
    if unnoticed:
        await notifications.announce(svc, row["owner_id"])
    return row["photo_id"]
