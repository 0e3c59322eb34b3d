"""Single-use, expiring invite links that an administrator hands out."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from photoarchive import clock
from photoarchive.accounts import admins
from photoarchive.db import Backend, Reader, Transaction
from photoarchive.errors import Forbidden, NotFound

INVITE_DAYS = 7
# Longer than any token `create` makes: such a "token" is not looked up at all.
TOKEN_MAX = 128

InviteState = Literal["valid", "used", "expired", "withdrawn", "unknown"]

# Why a sign-up with the link is refused (the invite page says more, and what to do).
REFUSALS: dict[InviteState, str] = {
    "unknown": "That invite link is not valid.",
    "used": "That invite link has already been used.",
    "expired": "That invite link has expired.",
    "withdrawn": "That invite link was withdrawn by an administrator, so it no longer works.",
}
# An invite works only while whoever made it (`a` below) is an administrator, enabled: each
# query says so as "a.is_admin = 1 AND a.disabled = 0".
NOT_PENDING = (
    "There is no pending invitation with that number: it has been used, withdrawn or has"
    " expired already."
)


@dataclass(frozen=True)
class Invite:
    """What an invite link is worth now, and who made it (None when unknown)."""

    state: InviteState
    inviter: str | None = None  # the display name, else the username
    inviter_username: str | None = None
    # False when withdrawn because its maker is no longer an administrator, or disabled.
    inviter_active: bool = True

    @property
    def usable(self) -> bool:
        return self.state == "valid"


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class PendingInvite:
    """An invitation that can still make an account, as the administrators see it."""

    id: int
    created_at: float
    expires_at: float
    created_by: str  # the username of the administrator who made it


async def create(db: Backend, admin_id: int, days: float = INVITE_DAYS) -> tuple[str, float]:
    """A new invite link made by the administrator `admin_id`: (token, expires_at)."""
    token = secrets.token_urlsafe(24)
    moment = clock.now()
    expires = moment + days * 86400
    async with db.transaction() as tx:
        await admins.confirm(tx, admin_id)
        await tx.execute(
            "INSERT INTO invites (token_hash, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (_hash(token), admin_id, moment, expires),
        )
    return token, expires


async def withdraw(db: Backend, admin_id: int, invite_id: int) -> None:
    """The administrator `admin_id` withdraws a pending invitation: its link stops working, and
    says so. NotFound when it is not pending (used, withdrawn, expired, or never made)."""
    async with db.transaction() as tx:
        await admins.confirm(tx, admin_id)
        moment = clock.now()
        withdrawn = await tx.execute(
            "INSERT INTO invite_withdrawals (invite_id, withdrawn_at)"
            " SELECT i.id, ? FROM invites i WHERE i.id = ? AND i.used_at IS NULL"
            " AND i.expires_at > ? AND NOT EXISTS"
            " (SELECT 1 FROM invite_withdrawals w WHERE w.invite_id = i.id)",
            (moment, invite_id, moment),
        )
        if not withdrawn:
            raise NotFound(NOT_PENDING)


async def look_up(db: Reader, token: str) -> Invite:
    """The state of the invite with this token: the one rule for whether it may still be used."""
    if not token or len(token) > TOKEN_MAX:
        return Invite("unknown")
    row = await db.fetchone(
        "SELECT i.used_at, w.withdrawn_at, i.expires_at, a.username, a.display_name,"
        " CASE WHEN a.is_admin = 1 AND a.disabled = 0 THEN 1 ELSE 0 END AS active"
        " FROM invites i JOIN users a ON a.id = i.created_by"
        " LEFT JOIN invite_withdrawals w ON w.invite_id = i.id WHERE i.token_hash = ?",
        (_hash(token),),
    )
    if row is None:
        return Invite("unknown")
    state: InviteState = "valid"
    if row["used_at"] is not None:
        state = "used"
    elif row["withdrawn_at"] is not None or not row["active"]:
        state = "withdrawn"
    elif row["expires_at"] < clock.now():
        state = "expired"
    inviter = row["display_name"] or row["username"]
    return Invite(state, inviter, row["username"], inviter_active=bool(row["active"]))


async def consume(db: Reader, token: str) -> None:
    """Refuse a token that is unknown, used or expired (only reads: `mark_used` uses it)."""
    invite = await look_up(db, token)
    if not invite.usable:
        raise Forbidden(REFUSALS[invite.state], field="invite")


async def mark_used(tx: Transaction, token: str, user_id: int) -> None:
    """Claim the invite for the account just added in `tx`. Sign-ups take turns (they hold
    users.SIGN_UP_LOCK), but a withdrawal does not wait for them: one made since `consume`
    read the invite refuses the sign-up, and the account goes with the transaction."""
    claimed = await tx.execute(
        "UPDATE invites SET used_by = ?, used_at = ?"
        " WHERE token_hash = ? AND used_at IS NULL AND NOT EXISTS"
        " (SELECT 1 FROM invite_withdrawals w WHERE w.invite_id = invites.id)"
        " AND EXISTS (SELECT 1 FROM users a WHERE a.id = invites.created_by"
        " AND a.is_admin = 1 AND a.disabled = 0)",
        (user_id, clock.now(), _hash(token)),
    )
    if not claimed:
        raise Forbidden(REFUSALS["withdrawn"], field="invite")


async def pending(db: Backend) -> list[PendingInvite]:
    """The invitations that can still make an account, newest first."""
    rows = await db.fetchall(
        "SELECT i.id, i.created_at, i.expires_at, a.username AS created_by FROM invites i"
        " JOIN users a ON a.id = i.created_by WHERE i.used_at IS NULL AND i.expires_at > ?"
        " AND a.is_admin = 1 AND a.disabled = 0"
        " AND NOT EXISTS (SELECT 1 FROM invite_withdrawals w WHERE w.invite_id = i.id)"
        " ORDER BY i.id DESC",
        (clock.now(),),
    )
    return [PendingInvite(r["id"], r["created_at"], r["expires_at"], r["created_by"]) for r in rows]
