"""Storage quotas: how many bytes of originals a person may keep (no row: no limit).

Set by an administrator, or from `PHOTOARCHIVE_DEFAULT_QUOTA_MB` when an account is made;
what counts against it, and the refusal of an upload that would pass it, are
`library/usage.py`'s.
"""

from __future__ import annotations

from photoarchive.db import Backend, Reader, Transaction
from photoarchive.errors import Invalid
from photoarchive.settings import QUOTA_MB_MAX

MB = 1024 * 1024
QUOTA_FIELD = "quota_mb"


def check_quota_mb(value: object) -> int | None:
    """A quota in MB as sent (a whole number from 0, or None for no limit), in bytes."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(
            "The quota is a whole number of MB, or empty for no limit.", field=QUOTA_FIELD
        )
    if value < 0:
        raise Invalid("The quota cannot be negative: 0 MB or more.", field=QUOTA_FIELD)
    if value > QUOTA_MB_MAX:
        raise Invalid(f"The quota can be at most {QUOTA_MB_MAX} MB.", field=QUOTA_FIELD)
    return value * MB


def parse_quota_mb(text: str) -> int | None:
    """A form's quota field: empty for no limit, else `check_quota_mb` of its number."""
    text = text.strip()
    if not text:
        return None
    try:
        number = int(text, 10)
    except ValueError:
        raise Invalid(
            f"{text[:20]!r} is not a whole number of MB: enter one, or leave it empty for no limit.",
            field=QUOTA_FIELD,
        ) from None
    return check_quota_mb(number)


async def quota_of(db: Reader, user_id: int) -> int | None:
    """The person's quota in bytes; None: no limit."""
    value = await db.fetchval("SELECT quota_bytes FROM user_quotas WHERE user_id = ?", (user_id,))
    return None if value is None else int(value)


async def all_quotas(db: Reader) -> dict[int, int]:
    """Everyone's quota in bytes by user id; a person missing here has no limit."""
    rows = await db.fetchall("SELECT user_id, quota_bytes FROM user_quotas")
    return {row[0]: int(row[1]) for row in rows}


async def write(tx: Transaction | Backend, user_id: int, quota_bytes: int | None) -> None:
    """Store a quota (checked by the caller); None removes the limit."""
    if quota_bytes is None:
        await tx.execute("DELETE FROM user_quotas WHERE user_id = ?", (user_id,))
        return
    await tx.execute(
        "INSERT INTO user_quotas (user_id, quota_bytes) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET quota_bytes = excluded.quota_bytes",
        (user_id, quota_bytes),
    )
