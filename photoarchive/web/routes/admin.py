"""/admin: the accounts of the archive (what each keeps, and their quotas), invitations to join
it (mailed, when the archive can send mail), and password-reset links."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect, Template

from photoarchive.accounts import invites, mail, quotas, resets, users
from photoarchive.accounts.users import User
from photoarchive.errors import AppError, Invalid, NotFound
from photoarchive.library import usage
from photoarchive.web.params import RowId
from photoarchive.web.render import Req, form_fields, is_htmx, render
from photoarchive.web.viewer import require_admin, services

log = logging.getLogger("photoarchive.admin")

NOT_CONFIGURED = "this archive has no mail server (PHOTOARCHIVE_SMTP_URL)"


@dataclass(frozen=True)
class InviteOutcome:
    """What the invite form did: the link made (shown this once), and whether it was mailed."""

    url: str | None = None
    email: str = ""
    mailed: bool = False
    error: str | None = None  # why the link was not made, or not mailed


async def _admin_page(
    request: Req,
    user: User,
    invite: InviteOutcome | None = None,
    reset: tuple[str, str] | None = None,
    status: int = 200,
    quota_error: tuple[str, str, str] | None = None,
) -> Template:
    svc = services(request)
    return render(
        request,
        "admin.html",
        user=user,
        accounts=await usage.accounts(svc.db),  # (user, usage, quota) of each
        invites=await invites.pending(svc.db),
        invite=invite or InviteOutcome(),
        invite_days=invites.INVITE_DAYS,
        mail_configured=svc.mail.configured,
        reset_links=resets.offered(svc.settings),
        reset_hours=resets.RESET_HOURS,
        reset=reset,  # (username, url) of the link just made, shown this once
        quota_error=quota_error,  # (username, why, the value sent) of a refused quota
        status=status,
    )


@get("/admin")
async def admin(request: Req) -> Template:
    return await _admin_page(request, await require_admin(request))


@post("/admin/invites", status_code=200)
async def create_invite(request: Req) -> Template:
    """A new invite link, shown to the administrator and, when an address is given, mailed."""
    user = await require_admin(request)
    svc = services(request)
    address = (await form_fields(request)).get("email", "").strip()
    if address:
        try:
            users.check_email(address)
        except AppError as exc:
            outcome = InviteOutcome(email=address[:320], error=exc.message)
            return await _admin_page(request, user, outcome, status=exc.status)
    token, expires = await invites.create(svc.db, user.id)
    url = f"{svc.settings.public_url}/signup?invite={token}"
    if not address:
        return await _admin_page(request, user, InviteOutcome(url))
    if not svc.mail.configured:
        return await _admin_page(request, user, InviteOutcome(url, address, error=NOT_CONFIGURED))
    message = mail.invite_mail(
        svc.settings,
        email=address,
        inviter=user.display_name or user.username,
        link=url,
        expires_at=expires,
    )
    try:
        await svc.mail.send(message)
    except mail.MailFailed as exc:
        log.warning("An invite mail was not sent: %s", exc)
        return await _admin_page(request, user, InviteOutcome(url, address, error=str(exc)))
    return await _admin_page(request, user, InviteOutcome(url, address, mailed=True))


@post("/admin/invites/{invite_id:int}/withdraw", status_code=200)
async def withdraw_invite(request: Req, invite_id: RowId) -> Response[Any]:
    """Withdraw a pending invitation (one mailed to the wrong address): without script, asked
    once more on a page of its own; htmx asks in the browser and swaps the list in place."""
    user = await require_admin(request)
    db = services(request).db
    if (await form_fields(request)).get("confirmed") != "1":
        invite = next((i for i in await invites.pending(db) if i.id == invite_id), None)
        if invite is None:
            raise NotFound(invites.NOT_PENDING)
        return render(request, "admin_withdraw.html", user=user, invite=invite)
    await invites.withdraw(db, user.id, invite_id)
    if is_htmx(request):
        return render(
            request, "_pending_invites.html", user=user, invites=await invites.pending(db)
        )
    return Redirect("/admin", status_code=303)


@post("/admin/reset-links/{username:str}", status_code=200)
async def create_reset_link(request: Req, username: str) -> Template:
    user = await require_admin(request)
    svc = services(request)
    if not resets.offered(svc.settings):
        raise NotFound("Passwords are reset with the identity provider on this archive.")
    token, expires = await resets.create(svc.db, username, created_by=user.id)
    await resets.tell_holder(svc, username, user, expires)
    url = resets.url(svc.settings.public_url, token)
    return await _admin_page(request, user, reset=(username, url))


@post("/admin/users/{username:str}/{action:str}", status_code=200)
async def set_user_state(request: Req, username: str, action: str) -> Response[Any]:
    user = await require_admin(request)
    if action not in ("disable", "enable"):
        raise NotFound("There is no such account action.")
    db = services(request).db
    if action == "disable" and (await form_fields(request)).get("confirmed") != "1":
        # Disabling signs a person out everywhere: asked once more, on a page of its own
        # (no script needed), after the same checks the change itself makes.
        target = await users.by_username(db, username)
        if target.id == user.id:
            raise Invalid("You cannot disable your own account.")
        return render(request, "admin_disable.html", user=user, account=target)
    await users.set_disabled(db, user, username, action == "disable")
    return Redirect("/admin", status_code=303)


@post("/admin/quotas/{username:str}", status_code=200)
async def set_quota(request: Req, username: str) -> Response[Any]:
    """A person's quota in MB, from the form on their row; empty for no limit."""
    user = await require_admin(request)
    sent = (await form_fields(request)).get("quota_mb", "")
    try:
        await usage.set_quota(services(request).db, user, username, quotas.parse_quota_mb(sent))
    except Invalid as exc:
        refused = (username, exc.message, sent.strip()[:20])
        return await _admin_page(request, user, quota_error=refused, status=exc.status)
    return Redirect("/admin", status_code=303)


HANDLERS = [admin, create_invite, withdraw_invite, create_reset_link, set_user_state, set_quota]
