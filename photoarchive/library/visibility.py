"""A photo's visibility ("family" or "private", decided by library/access.py): setting it, the
default a person's new photos get, and a profile's counts of what a viewer may see.

A private photo has a row in `private_photos` (migration 0014); making it family deletes the
row. Nothing caches the decision, so the change holds from the next request on. No HTTP here.
"""

from __future__ import annotations

from typing import Any

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import Backend, ForeignKeyViolation, Transaction
from photoarchive.errors import Forbidden, Invalid, NotFound
from photoarchive.library import access, live, photos
from photoarchive.library.access import VISIBILITIES, Visibility
from photoarchive.library.photos import Photo
from photoarchive.services import Services

DEFAULT: Visibility = "family"


def check(value: Any, field: str = "visibility") -> Visibility:
    for known in VISIBILITIES:
        if value == known:
            return known
    raise Invalid(f"{field} must be one of: {', '.join(VISIBILITIES)}.", field=field)


async def mark(tx: Transaction, photo_id: int, visibility: Visibility) -> None:
    """Within the transaction that inserts or changes the photo."""
    if visibility == "private":
        await tx.execute(
            "INSERT INTO private_photos (photo_id, made_at) VALUES (?, ?)"
            " ON CONFLICT (photo_id) DO NOTHING",
            (photo_id, clock.now_iso()),
        )
    else:
        await tx.execute("DELETE FROM private_photos WHERE photo_id = ?", (photo_id,))


async def set_visibility(svc: Services, actor: User, photo_id: int, value: Any) -> Photo:
    """The owner makes their photo family or private (NotFound for one they may not see)."""
    visibility = check(value)
    photo = await photos.get(svc, photo_id, actor)
    if not photo.can_edit:
        raise Forbidden("Only the photo's owner can change who sees it.")
    if photo.visibility != visibility:
        # Those who saw it are told when it becomes private (their open pages drop it), and
        # those who now may when it becomes the family's: the wider of the two audiences.
        before = await live.audience(svc.db, photo_id) if visibility == "private" else None
        try:
            async with svc.db.transaction() as tx:
                await mark(tx, photo_id, visibility)
        except ForeignKeyViolation:  # deleted for good since it was found
            raise NotFound(photos.PHOTO_GONE) from None
        told = (
            {"photo_id": photo_id}
            if before is None
            else {"photo_id": photo_id, live.AUDIENCE: before}
        )
        await svc.publish("photo-changed", told)
    return await photos.get(svc, photo_id, actor)


async def default_of(db: Backend, user: User) -> Visibility:
    """What `user`'s new photos are unless they say otherwise."""
    found = await db.fetchval(
        "SELECT visibility FROM upload_defaults WHERE user_id = ?", (user.id,)
    )
    return DEFAULT if found is None else check(found)


async def set_default(db: Backend, user: User, value: Any) -> Visibility:
    visibility = check(value)
    await db.execute(
        "INSERT INTO upload_defaults (user_id, visibility) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET visibility = excluded.visibility",
        (user.id, visibility),
    )
    return visibility


async def profile_counts(svc: Services, owner_id: int, viewer: access.Viewer) -> dict[str, int]:
    """The owner's photos, and the likes and comments on them, that `viewer` may see on the
    profile's grid (archived photos are not counted, as they are not shown)."""
    visible, params = access.visible_sql(viewer)
    row = await svc.db.fetchone(
        # A condition from access.visible_sql (constant text); every value is bound.
        "SELECT COUNT(*) AS photos, COALESCE(SUM(p.like_count), 0) AS likes,"  # noqa: S608
        " COALESCE(SUM(p.comment_count), 0) AS comments FROM photos p"
        f" WHERE p.owner_id = ? AND {visible} AND {photos.not_archived('p')}",
        (owner_id, *params),
    )
    assert row is not None
    return {"photos": row["photos"], "likes": row["likes"], "comments": row["comments"]}
