"""One's own profile: the display name, free to change, and the email, which only the
account's password may change: whoever controls the email can reset the password, so a
session left open on a family computer must not be enough to take the account."""

from __future__ import annotations

import logging

from photoarchive.accounts import mail, throttle, users
from photoarchive.accounts.users import User
from photoarchive.errors import Invalid
from photoarchive.services import Services

log = logging.getLogger("photoarchive.profiles")

WHY_EMAIL_ASKS_CONFIRMING = (
    "To change your email, type your current password: a new password can be asked for at"
    " the email, so it is guarded like the password."
)


async def save(
    svc: Services,
    user: User,
    *,
    email: str,
    display_name: str,
    current_password: str,
    client_ip: str,
) -> User:
    """Save the display name and email; a changed email needs `current_password` (checked
    under the throttle) and is told to the old address where mail can be sent. An identity
    provider keeps the email: there it stays as it is. A refusal changes nothing."""
    if svc.settings.auth != "local":
        email = user.email
    # Checked before the password, so a typing slip costs no attempt.
    email = users.check_email(email)
    users.check_display_name(display_name)
    changes_email = email != user.email
    if changes_email:
        if not isinstance(current_password, str) or not current_password:
            raise Invalid(WHY_EMAIL_ASKS_CONFIRMING, field="current_password")
        await throttle.confirm_password(svc, user, current_password, client_ip)
    updated = await users.update_profile(svc.db, user, email=email, display_name=display_name)
    if changes_email and svc.mail.configured:
        svc.mail.post(lambda: _tell_old_address(svc, user, updated))
    return updated


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
