"""Single-use, expiring invite links that an administrator hands out."""

from __future__ import annotations

import hashlib
import secrets

from photoarchive import clock
from photoarchive.db import Backend, Reader, Transaction
from photoarchive.errors import Forbidden

INVITE_DAYS = 7


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create(db: Backend, admin_id: int, days: float = INVITE_DAYS) -> tuple[str, float]:
    """Return (token, expires_at)."""
    token = secrets.token_urlsafe(24)
    moment = clock.now()
    expires = moment + days * 86400
    await db.execute(
        "INSERT INTO invites (token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (_hash(token), admin_id, moment, expires),
    )
    return token, expires


async def consume(db: Reader, token: str) -> None:
    """Refuse a token that is unknown, used or expired (only reads: `mark_used` uses it)."""
    row = await db.fetchone(
        "SELECT used_at, expires_at FROM invites WHERE token_hash = ?", (_hash(token),)
    )
    if row is None:
        raise Forbidden("That invite link is not valid.", field="invite")
    if row["used_at"] is not None:
        raise Forbidden("That invite link has already been used.", field="invite")
    if row["expires_at"] < clock.now():
        raise Forbidden("That invite link has expired.", field="invite")


async def mark_used(tx: Transaction, token: str, user_id: int) -> None:
    await tx.execute(
        "UPDATE invites SET used_by = ?, used_at = ? WHERE token_hash = ? AND used_at IS NULL",
        (user_id, clock.now(), _hash(token)),
    )


async def pending(db: Backend) -> list[dict[str, object]]:
    rows = await db.fetchall(
        "SELECT i.id, i.created_at, i.expires_at, u.username AS created_by FROM invites i"
        " JOIN users u ON u.id = i.created_by WHERE i.used_at IS NULL AND i.expires_at > ?"
        " ORDER BY i.id DESC",
        (clock.now(),),
    )
    return [dict(r) for r in rows]
