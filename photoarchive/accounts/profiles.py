"""One's own profile: the display name, free to change, and the email, which only the
account's password may change: whoever controls the email can reset the password, so a
session left open on a family computer must not be enough to take the account. And the
password itself.

A new email or password is a change of what can take the account: with it, in one
transaction, every other session of the person ends and the browser that made the change
goes on under a new session (`sessions.renew`). Nothing in between can fail and leave the
person signed out everywhere, or still signed in elsewhere with the change made."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from photoarchive.accounts import mail, mail_budget, sessions, throttle, users
from photoarchive.accounts.sessions import Device, Session
from photoarchive.accounts.users import User
from photoarchive.errors import Invalid
from photoarchive.services import Services

log = logging.getLogger("photoarchive.profiles")

WHY_EMAIL_ASKS_CONFIRMING = (
    "To change your email, type your current password: a new password can be asked for at"
    " the email, so it is guarded like the password."
)


@dataclass(frozen=True)
class Saved:
    user: User  # as saved
    email_changed: bool
    # The browser's new session (its email changed); None: it goes on with the one it has.
    token: str | None = None


async def save(
    svc: Services,
    session: Session,
    *,
    email: str,
    display_name: str,
    current_password: str,
    device: Device,
) -> Saved:
    """Save the display name and email; a changed email needs `current_password` (checked
    under the throttle), ends every other session (see the module) and is told to the old
    address where mail can be sent. An identity provider keeps the email: there it stays as
    it is. A refusal changes nothing."""
    user = session.user
    if svc.settings.auth != "local":
        email = user.email
    # Checked before the password, so a typing slip costs no attempt.
    email = users.check_email(email)
    users.check_display_name(display_name)
    if email != user.email:
        if not isinstance(current_password, str) or not current_password:
            raise Invalid(WHY_EMAIL_ASKS_CONFIRMING, field="current_password")
        await throttle.confirm_password(svc, user, current_password, device.client_ip)
    token = None
    async with svc.db.transaction() as tx:
        changed = await users.update_profile(tx, user, email=email, display_name=display_name)
        if changed:
            token = await sessions.renew(tx, session, device)
    updated = await users.by_id(svc.db, user.id)
    assert updated is not None
    if changed and svc.mail.configured:
        if await mail_budget.spend(svc.db, user.email):
            svc.mail.post(lambda: _tell_old_address(svc, user, updated))
        else:
            log.warning(
                "The email-change notice for %s was not sent: that address has had"
                " its mail for this hour.",
                user.username,
            )
    return Saved(updated, changed, token)


async def change_password(
    svc: Services, session: Session, *, current_password: str, new_password: str, device: Device
) -> str | None:
    """Set a new password once the current one is confirmed (under the throttle), and end
    every other session, Bearer tokens too (see the module); the browser's new session's
    token, or None for a Bearer token, which keeps its own."""
    users.check_password(new_password)
    await throttle.confirm_password(svc, session.user, current_password, device.client_ip)
    password_hash = await svc.passwords.hash(new_password)
    async with svc.db.transaction() as tx:
        await users.set_password(tx, session.user.id, password_hash)
        return await sessions.renew(tx, session, device)


async def _tell_old_address(svc: Services, before: User, after: User) -> None:
    """Run from the outbox: the change is made whether or not this mail goes out."""
    message = mail.email_changed_mail(
        svc.settings,
        old=before.email,
        new=after.email,
        name=after.display_name or after.username,
        username=after.username,
    )
    try:
        await svc.mail.send(message)
    except mail.MailFailed as exc:
        log.warning("The email-change notice for %s was not sent: %s", after.username, exc)
