"""What a person's photos take up, and the quota rule for an upload.

Usage is every photos row a person owns (their trash too, until it is purged): the count, and
the bytes of their originals. Each photo counts its own bytes, even when another person's photo
of the same bytes shares the stored file: what one keeps should not depend on who else keeps it.
A duplicate of one's own photo adds no row, so it costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from photoarchive.accounts import admins, quotas, users
from photoarchive.accounts.users import User
from photoarchive.db import Backend, Reader, Transaction
from photoarchive.errors import Forbidden, OverQuota


@dataclass(frozen=True)
class Usage:
    photos: int = 0
    bytes: int = 0


def lock_name(owner_id: int) -> str:
    """Held by each transaction adding a photo to `owner_id`: its check and insert are then
    one step, and two uploads at once cannot both slip under the quota."""
    return f"quota:{owner_id}"


def size_text(size: int) -> str:
    """`4.2 MB`, `100 MB`, `1.5 GB`: binary units, as the quota is set in MB of 1024 KB."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            break
        value /= 1024
    if unit == "bytes":
        return "1 byte" if size == 1 else f"{size} bytes"
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} {unit}"


async def usage_of(db: Reader, owner_id: int) -> Usage:
    row = await db.fetchone(
        "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM photos WHERE owner_id = ?", (owner_id,)
    )
    return Usage() if row is None else Usage(int(row[0]), int(row[1]))


async def usage_by_owner(db: Reader) -> dict[int, Usage]:
    """Everyone's usage by user id; a person missing here has no photos."""
    rows = await db.fetchall(
        "SELECT owner_id, COUNT(*), COALESCE(SUM(bytes), 0) FROM photos GROUP BY owner_id"
    )
    return {row[0]: Usage(int(row[1]), int(row[2])) for row in rows}


async def standing(db: Reader, owner_id: int) -> tuple[Usage, int | None]:
    """A person's usage and quota (None: no limit), as /settings and /api/v1/me show them."""
    return await usage_of(db, owner_id), await quotas.quota_of(db, owner_id)


def over_quota(needed: int, used: int, quota: int) -> OverQuota:
    """The refusal of a photo of `needed` bytes to someone with `used` of `quota` bytes."""
    left = quota - used
    room = (
        f"only {size_text(left)} of your {size_text(quota)} is left"
        if left > 0
        else f"your {size_text(quota)} is used up"
    )
    return OverQuota(
        f"This photo needs {size_text(needed)} but {room}. Delete some photos, or ask an"
        " administrator for more space.",
        field="file",
    )


async def check_room(db: Reader, owner_id: int, needed: int) -> None:
    """Refuse a new photo of `needed` bytes that would pass its owner's quota.

    Asked before anything is decoded or stored, so that a refusal leaves nothing behind; the
    rule holds under concurrency because `check_after_insert` asks it again in the insert's
    transaction."""
    quota = await quotas.quota_of(db, owner_id)
    if quota is None:
        return
    used = (await usage_of(db, owner_id)).bytes
    if used + needed > quota:
        raise over_quota(needed, used, quota)


async def check_after_insert(tx: Transaction, owner_id: int, added: int) -> None:
    """In the transaction that inserted a photo of `added` bytes (holding `lock_name`):
    refuse it, rolling the insert back, if its owner is now over their quota."""
    quota = await quotas.quota_of(tx, owner_id)
    if quota is None:
        return
    used = (await usage_of(tx, owner_id)).bytes
    if used > quota:
        raise over_quota(added, used - added, quota)


async def set_quota(db: Backend, actor: User, username: str, quota_bytes: int | None) -> User:
    """An administrator sets a person's quota (None: no limit); their photos are kept even if
    they now take more: the quota only refuses new ones."""
    refusal = "Only administrators can set quotas."
    if not actor.is_admin:
        raise Forbidden(refusal)
    target = await users.by_username(db, username)
    async with db.transaction() as tx:
        await admins.confirm(tx, actor.id, refusal)  # not disabled since the request began
        await quotas.write(tx, target.id, quota_bytes)
    return target


async def accounts(db: Backend) -> list[tuple[User, Usage, int | None]]:
    """Every account, oldest first, with its usage and quota: what /admin shows."""
    used = await usage_by_owner(db)
    limits = await quotas.all_quotas(db)
    return [
        (user, used.get(user.id, Usage()), limits.get(user.id)) for user in await users.list_all(db)
    ]


async def account(db: Reader, user: User) -> tuple[User, Usage, int | None]:
    used, quota = await standing(db, user.id)
    return user, used, quota
