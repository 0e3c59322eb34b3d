"""One's own profile: the display name, free to change, and the email, which only the
account's password may change: whoever controls the email can reset the password, so a
session left open on a family computer must not be enough to take the account. And the
password itself.

A new email or password is a change of what can take the account: with it, in one
transaction, every other session of the person ends and the browser that made the change
goes on under a new session (`sessions.renew`). Nothing in between can fail and leave the
person signed out everywhere, or still signed in elsewhere with the change made. Where the
archive can mail, a new email waits for its inbox's confirmation (email_changes.py), and
that moment is the change: the person's browser that confirms goes on."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from photoarchive.accounts import email_changes, mail, mail_budget, sessions, throttle, users
from photoarchive.accounts.sessions import Device, Session
from photoarchive.accounts.users import User
from photoarchive.errors import Forbidden, Invalid, TooManyRequests, Unavailable
from photoarchive.services import Services

log = logging.getLogger(__name__)

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
    # The new email mailed a link to confirm it, which the account does not have yet.
    waiting: str | None = None


LINK_NOT_MAILED = (
    "This archive has sent as many links to confirm an email as it may for now (three an"
    " hour to one address, and for one account): try again in an hour. Nothing was changed."
)
# The link is sent while the person waits, so that the page can say so when it was not.
LINK_NOT_SENT = (
    "The link to confirm {email} could not be sent just now ({why}), so your email stays"
    " {old}. Try again in a few minutes; if it keeps failing, tell whoever runs this archive."
)
LINK_RETRY_SECONDS = 300
ADDRESS_REFUSED = (
    "The mail server refused {email}, so no link could be sent there and your email stays"
    " {old}. Check the address."
)


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
    under the throttle). Where the archive can mail, the new email then waits for the link
    mailed to it (`Saved.waiting`); elsewhere it is saved at once and ends every other
    session (see the module). An identity provider keeps the email: there it stays as it
    is. Where mail can be sent the old address is told of the ask, and, once confirmed, of
    the change. A refusal changes nothing."""
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
    if email.lower() != user.email.lower() and email_changes.required(
        svc.settings, svc.mail.configured
    ):
        return await _ask_to_confirm(svc, user, email, display_name)
    token = None
    async with svc.db.transaction() as tx:
        changed = await users.update_profile(tx, user, email=email, display_name=display_name)
        if changed:
            token = await sessions.renew(tx, session, device)
    updated = await users.by_id(svc.db, user.id)
    assert updated is not None
    if changed:  # (with mail, only a session read before a change made elsewhere gets here)
        await _tell_old_address(svc, user, updated)
    return Saved(updated, changed, token)


async def _ask_to_confirm(svc: Services, user: User, email: str, display_name: str) -> Saved:
    """Save the display name, keep the new email waiting, mail it its link, and tell the
    old address (whoever asked knows the password: its owner can stop it by a new one).
    A link the mail server did not take leaves nothing waiting (Unavailable, 503)."""
    async with svc.db.transaction() as tx:
        await users.update_profile(tx, user, email=user.email, display_name=display_name)
        token, expires = await email_changes.ask(tx, user, email)
        # Counted last, with the rest: a refusal of the name or address spends nothing.
        budgets = (mail_budget.key(email, "confirm"), f"confirm-by:{user.id}")
        if not await mail_budget.spend_in(tx, *budgets):
            raise TooManyRequests(LINK_NOT_MAILED, retry_after=int(throttle.MAIL_WINDOW_SECONDS))
    try:
        await svc.mail.send(email_changes.link_mail(svc.settings, email, token, expires))
    except mail.MailFailed as exc:
        log.warning("The email-confirmation link for %s was not sent: %s", user.username, exc)
        # Nothing waits for a link never sent, and it is not counted against the next try.
        await email_changes.withdraw(svc.db, token)
        await mail_budget.refund(svc.db, *budgets)
        if exc.refused:  # the address itself: another try will not do
            refused = ADDRESS_REFUSED.format(email=email, old=user.email)
            raise Invalid(refused, field="email") from exc
        why = LINK_NOT_SENT.format(email=email, old=user.email, why=exc)
        raise Unavailable(why, retry_after=LINK_RETRY_SECONDS) from exc
    updated = await users.by_id(svc.db, user.id)
    assert updated is not None
    asked = mail.email_change_asked_mail(
        svc.settings,
        old=user.email,
        new=email,
        name=updated.display_name or updated.username,
        username=updated.username,
    )
    what = f"The notice of an email change asked for {user.username}"
    # A budget of its own: asking again and again must not silence the notice of the change.
    await mail_budget.post_notice(svc, user.email, asked, what, "asked")
    return Saved(updated, False, waiting=email)


async def confirm_email(
    svc: Services, token: str, session: Session | None, device: Device
) -> Saved:
    """The new email's link opened and confirmed by the person, signed in (Forbidden for
    anyone else: the link proves the inbox, not the person): the account takes the email,
    the confirming browser goes on under a new session and every other session ends.
    Refusals as email_changes.holder's and confirm's."""
    person, email = await email_changes.holder(svc.db, token)
    if session is None or session.user.id != person.id:
        raise Forbidden(email_changes.SIGN_IN_FIRST)
    async with svc.db.transaction() as tx:
        await email_changes.confirm(tx, token, person, email)
        renewed = await sessions.renew(tx, session, device)
    updated = await users.by_id(svc.db, person.id)
    assert updated is not None
    await _tell_old_address(svc, person, updated)
    return Saved(updated, True, renewed)


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
    """Tell the old address of the change, from the outbox (mail_budget.post_notice); the
    change is made whether or not this mail goes out."""
    if not svc.mail.configured:
        return
    message = mail.email_changed_mail(
        svc.settings,
        old=before.email,
        new=after.email,
        name=after.display_name or after.username,
        username=after.username,
    )
    what = f"The email-change notice for {after.username}"
    await mail_budget.post_notice(svc, before.email, message, what)
