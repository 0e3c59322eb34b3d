"""A new email, confirmed from its own inbox before it replaces the old one.

Whoever reads an account's email can have its password reset, so a new address must be
shown to belong to the person before it becomes the account's: a slip of the keyboard
would otherwise hand the account to whoever owns the mistyped address. Where this archive
can send mail and keeps its own passwords, the change asked on /settings (with the current
password, profiles.py) is kept here and a link is mailed to the new address; the email
changes when that link is opened by the person, signed in to their account, and confirmed
by a button: whoever reads the new inbox (a mistyped address's owner) cannot confirm alone,
and a mail scanner that opens links confirms nothing. The old address is told of the ask,
and of the change. Without mail there is no way to ask the inbox, and the
password alone changes the email, as before.

One change waits at a time per person (a newer one replaces it), for `CONFIRM_HOURS`. A
link holds a random token of 256 bits; only its SHA-256 is stored, as for sessions and
reset links, and it works once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from email.message import EmailMessage

from photoarchive import clock
from photoarchive.accounts import mail, users
from photoarchive.accounts.users import User
from photoarchive.db import Backend, Transaction
from photoarchive.errors import NotFound
from photoarchive.settings import Settings

CONFIRM_HOURS = 24
PATH = "/email-confirm"
# One message for every link that cannot be used (unknown, used, expired, replaced, its
# account disabled), as for reset links.
UNUSABLE = (
    "This link cannot be used: it may have expired, been used already, or been replaced by"
    " a newer one. Sign in and change your email on your settings page again."
)
# The link proves the inbox, not the person: a mistyped address's owner must not confirm.
SIGN_IN_FIRST = (
    "To confirm this email, sign in to the account that asked for it, then open this link again."
)


@dataclass(frozen=True)
class Pending:
    email: str
    expires_at: float


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def required(settings: Settings, can_mail: bool) -> bool:
    """Whether a new email waits for its inbox's confirmation here: only where the archive
    keeps the passwords (an identity provider keeps the email) and can send the link."""
    return settings.auth == "local" and can_mail


def url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{PATH}/{token}"


async def ask(tx: Transaction, user: User, email: str) -> tuple[str, float]:
    """Keep `email` (checked by the caller) waiting for its confirmation, in place of any
    change the person asked before: (token, expires_at)."""
    await users.check_email_free(tx, user.id, email)
    token = secrets.token_urlsafe(32)
    moment = clock.now()
    expires = moment + CONFIRM_HOURS * 3600
    # Changes that can no longer be confirmed go; the person's older one is replaced.
    await tx.execute("DELETE FROM email_changes WHERE expires_at <= ?", (moment,))
    await tx.execute(
        "INSERT INTO email_changes (user_id, email, token_hash, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET email = excluded.email,"
        " token_hash = excluded.token_hash, created_at = excluded.created_at,"
        " expires_at = excluded.expires_at",
        (user.id, email, _hash(token), moment, expires),
    )
    return token, expires


async def pending(db: Backend, user_id: int) -> Pending | None:
    """The change the person is waiting to confirm, if one can still be."""
    row = await db.fetchone(
        "SELECT email, expires_at FROM email_changes WHERE user_id = ? AND expires_at > ?",
        (user_id, clock.now()),
    )
    return None if row is None else Pending(row["email"], float(row["expires_at"]))


async def withdraw(db: Backend, token: str) -> None:
    """Forget the change whose link could not be sent (not a newer one asked meanwhile)."""
    await db.execute("DELETE FROM email_changes WHERE token_hash = ?", (_hash(token),))


async def cancel(db: Backend, user_id: int) -> bool:
    """Forget the change waiting; True if there was one."""
    async with db.transaction() as tx:
        gone = await tx.fetchval(
            "DELETE FROM email_changes WHERE user_id = ? RETURNING expires_at", (user_id,)
        )
    return gone is not None and float(gone) > clock.now()  # (an expired one waited no more)


async def holder(db: Backend, token: str) -> tuple[User, str]:
    """The person a usable link is for, and the email it confirms; NotFound (one message
    for every reason) otherwise."""
    if not token or len(token) > 200:
        raise NotFound(UNUSABLE)
    row = await db.fetchone(
        "SELECT u.*, c.email AS new_email FROM email_changes c JOIN users u ON u.id = c.user_id"
        " WHERE c.token_hash = ? AND c.expires_at > ? AND u.disabled = 0",
        (_hash(token), clock.now()),
    )
    if row is None:
        raise NotFound(UNUSABLE)
    return users.user_from_row(row), str(row["new_email"])


async def confirm(tx: Transaction, token: str, person: User, email: str) -> None:
    """Use the link of `holder`'s `person` and give them its `email`, in `tx`: the link is
    deleted there, so two tabs cannot both use it, and comes back with the rest if the
    transaction fails (an address another account took meanwhile: Conflict). Only the
    email is written (a rename at the same moment stands); reset links still open for the
    old address end with it."""
    claimed = await tx.fetchval(
        "DELETE FROM email_changes WHERE token_hash = ? AND expires_at > ? RETURNING user_id",
        (_hash(token), clock.now()),
    )
    if claimed != person.id:
        raise NotFound(UNUSABLE)
    await tx.lock(users.SIGN_UP_LOCK)  # emails are checked against every account under it
    await users.check_email_free(tx, person.id, email)
    await users.end_recovery_links(tx, person.id)
    await tx.execute(
        "UPDATE users SET email = ?, email_key = ? WHERE id = ?",
        (email, email.lower(), person.id),
    )


def link_mail(settings: Settings, email: str, token: str, expires_at: float) -> EmailMessage:
    return mail.email_confirm_mail(
        settings, email=email, link=url(settings.public_url, token), expires_at=expires_at
    )
