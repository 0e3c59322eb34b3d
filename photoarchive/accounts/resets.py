"""Password-reset links for a person who has forgotten a password: an administrator hands
one over, or, when this archive can send mail, the person asks for one on /forgot and it is
mailed to the account's address.

A link holds a random token of 256 bits; only its SHA-256 is stored, as for sessions. It is
single use, expires after a day, and a newer link for the same person replaces any older one
still unused. Using it sets the new password and ends every session of the person.

No throttle guards the use of a link: a guess has one chance in 2**256, and a guess that
misses costs a hash and one indexed read, as an unknown session cookie does; the argon2 hash
of a new password is only computed for a link that is valid.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Literal

from photoarchive import clock
from photoarchive.accounts import admins, mail, mail_budget, sessions, users
from photoarchive.accounts.passwords import Passwords
from photoarchive.accounts.users import User
from photoarchive.db import Backend
from photoarchive.errors import NotFound
from photoarchive.services import Services
from photoarchive.settings import Settings

log = logging.getLogger("photoarchive.resets")

RESET_HOURS = 24
PATH = "/password-reset"
# One message for every link that cannot be used (unknown, used, expired, replaced, or its
# account disabled), so a link never tells whether an account exists.
UNUSABLE = (
    "This password-reset link cannot be used: it may have expired, been used already, or"
    " been replaced by a newer one. Ask an administrator for a new link."
)


def offered(settings: Settings) -> bool:
    """Whether reset links exist here: only where this app keeps the passwords (an identity
    provider such as Cognito resets its own)."""
    return settings.auth == "local"


Recovery = Literal["provider", "mail", "administrator"]


def recovery(settings: Settings) -> Recovery:
    """How a person who forgot a password gets a new one here: from the identity provider
    (its own emailed code), by a link mailed on request, or by a link from an administrator."""
    if not offered(settings):
        return "provider"
    return "mail" if settings.smtp is not None else "administrator"


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def url(public_url: str, token: str) -> str:
    return f"{public_url}{PATH}/{token}"


async def create(
    db: Backend,
    username: str,
    *,
    created_by: int | None,
    hours: float = RESET_HOURS,
    replace: bool = True,
) -> tuple[str, float]:
    """A new link for the local account `username`: (token, expires_at). Older unused links of
    the account stop working, unless `replace` is false: a link mailed because anyone typed
    the address on /forgot must not cancel the one an administrator has just handed over
    (all of them end when one is used: the password changes)."""
    target = await users.by_username(db, username)
    token = secrets.token_urlsafe(32)
    moment = clock.now()
    expires = moment + hours * 3600
    async with db.transaction() as tx:
        if created_by is not None:  # an administrator's act: are they one, as of now?
            await admins.confirm(tx, created_by)
        if replace:
            await tx.execute(
                "DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL", (target.id,)
            )
        await tx.execute(
            "INSERT INTO password_resets (token_hash, user_id, created_by, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?)",
            (_hash(token), target.id, created_by, moment, expires),
        )
    return token, expires


async def holder(db: Backend, token: str) -> User:
    """The person a usable link is for; NotFound (one message for every reason) otherwise."""
    if not token or len(token) > 200:
        raise NotFound(UNUSABLE)
    row = await db.fetchone(
        "SELECT u.* FROM password_resets r JOIN users u ON u.id = r.user_id"
        " WHERE r.token_hash = ? AND r.used_at IS NULL AND r.expires_at > ?"
        " AND u.disabled = 0 AND u.password_hash IS NOT NULL",
        (_hash(token), clock.now()),
    )
    if row is None:
        raise NotFound(UNUSABLE)
    return users.user_from_row(row)


async def use(db: Backend, passwords: Passwords, token: str, password: str) -> User:
    """Set the link holder's new password (the sign-up rules apply) and end all their
    sessions. The link is claimed by a conditional UPDATE in the same transaction, so two
    tabs posting at once cannot both use it."""
    users.check_password(password)
    person = await holder(db, token)  # refused links cost no argon2 hash
    password_hash = await passwords.hash(password)
    async with db.transaction() as tx:
        claimed = await tx.fetchval(
            "UPDATE password_resets SET used_at = ?"
            " WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id",
            (clock.now(), _hash(token), clock.now()),
        )
        if claimed != person.id:
            raise NotFound(UNUSABLE)
        await tx.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, person.id)
        )
        # Any other link still open (one mailed, one from the administrator) ends with it,
        # and so does a new email waiting for its link.
        await users.end_recovery_links(tx, person.id)
        await sessions.end_all_for_user(tx, person.id)
    return person


async def mail_link(db: Backend, mailer: mail.Mailer, settings: Settings, address: str) -> None:
    """Mail a new link to the usable account with this address; do nothing when there is
    none. Run from the outbox, after the answer to the request has gone out; a failed send is
    logged (without the link), since the person who asked has had their answer."""
    row = await db.fetchone(
        "SELECT * FROM users WHERE email_key = ? AND disabled = 0 AND password_hash IS NOT NULL",
        (address.strip().lower(),),
    )
    if row is None:
        return
    person = users.user_from_row(row)
    token, expires = await create(db, person.username, created_by=None, replace=False)
    message = mail.reset_mail(
        settings,
        email=person.email,
        name=person.display_name or person.username,
        username=person.username,
        link=url(settings.public_url, token),
        expires_at=expires,
    )
    try:
        await mailer.send(message)
    except mail.MailFailed as exc:
        log.warning("The password-reset mail for %s was not sent: %s", person.username, exc)


async def tell_holder(svc: Services, username: str, admin: User, expires_at: float) -> None:
    """Tell the person an administrator made a link for (whoever opens it can take their
    account, and see their private photos): from the outbox, on the address's hourly mail
    budget (mail_budget.py); nothing where this archive sends no mail."""
    person = await users.by_username(svc.db, username)
    if not svc.mail.configured or not person.email:
        return
    message = mail.admin_reset_mail(
        svc.settings,
        email=person.email,
        name=person.display_name or person.username,
        username=person.username,
        admin=admin.display_name or admin.username,
        expires_at=expires_at,
    )
    what = f"The notice of a reset link for {person.username}"
    await mail_budget.post_notice(svc, person.email, message, what)
