"""/admin: the accounts of the archive, invitations to join it, and password-reset links."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect, Template

from photoarchive.accounts import invites, resets, users
from photoarchive.accounts.users import User
from photoarchive.errors import NotFound
from photoarchive.web.render import Req, render
from photoarchive.web.viewer import require_admin, services


async def _admin_page(
    request: Req,
    user: User,
    invite_url: str | None = None,
    reset: tuple[str, str] | None = None,
) -> Template:
    svc = services(request)
    return render(
        request,
        "admin.html",
        user=user,
        users=await users.list_all(svc.db),
        invites=await invites.pending(svc.db),
        invite_url=invite_url,
        reset_links=resets.offered(svc.settings),
        reset_hours=resets.RESET_HOURS,
        reset=reset,  # (username, url) of the link just made, shown this once
    )


@get("/admin")
async def admin(request: Req) -> Template:
    return await _admin_page(request, await require_admin(request))


@post("/admin/invites", status_code=200)
async def create_invite(request: Req) -> Template:
    user = await require_admin(request)
    svc = services(request)
    token, _expires = await invites.create(svc.db, user.id)
    url = f"{svc.settings.public_url}/signup?invite={token}"
    return await _admin_page(request, user, invite_url=url)


@post("/admin/reset-links/{username:str}", status_code=200)
async def create_reset_link(request: Req, username: str) -> Template:
    user = await require_admin(request)
    svc = services(request)
    if not resets.offered(svc.settings):
        raise NotFound("Passwords are reset with the identity provider on this archive.")
    token, _expires = await resets.create(svc.db, username, created_by=user.id)
    url = resets.url(svc.settings.public_url, token)
    return await _admin_page(request, user, reset=(username, url))


@post("/admin/users/{username:str}/{action:str}", status_code=200)
async def set_user_state(request: Req, username: str, action: str) -> Response[Any]:
    user = await require_admin(request)
    if action not in ("disable", "enable"):
        raise NotFound("There is no such account action.")
    await users.set_disabled(services(request).db, user, username, action == "disable")
    return Redirect("/admin", status_code=303)


HANDLERS = [admin, create_invite, create_reset_link, set_user_state]
