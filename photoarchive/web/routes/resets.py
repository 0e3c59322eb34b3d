"""/password-reset/<token>: a person sets a new password with a link an administrator made.

After the change the person is sent to sign in with the new password rather than signed in
here: they see at once that it works, their browser offers to save it on the sign-in form, and
a session is only ever started by signing in (behind its throttle and provider checks).
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect, Template

from photoarchive.accounts import resets, sessions
from photoarchive.errors import AppError, NotAuthenticated, NotFound
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.render import Req, form_fields, render
from photoarchive.web.viewer import clear_session_cookie, current_session, services, viewer


def _offered(request: Req) -> None:
    if not resets.offered(services(request).settings):
        raise NotFound("There is nothing at this address.")


async def _page(request: Req, token: str, error: AppError | None = None) -> Template:
    try:
        user = await viewer(request)
    except NotAuthenticated:
        user = None
    return render(
        request,
        "reset_link.html",
        user=user,
        action=f"{resets.PATH}/{token}",
        usable=not isinstance(error, NotFound),
        error=error.message if error else None,
        field=error.field if error else None,
        status=error.status if error else 200,
    )


@get(f"{resets.PATH}/{{token:str}}")
async def reset_link_form(request: Req, token: str) -> Template:
    _offered(request)
    try:
        await resets.holder(services(request).db, token)
    except NotFound as exc:
        return await _page(request, token, exc)
    return await _page(request, token)


@post(f"{resets.PATH}/{{token:str}}", status_code=200, opt=GUEST_BODY)
async def reset_with_link(request: Req, token: str) -> Response[Any]:
    _offered(request)
    svc = services(request)
    form = await form_fields(request)
    try:
        await resets.use(svc.db, svc.passwords, token, form.get("password", ""))
    except AppError as exc:
        return await _page(request, token, exc)
    # Whoever was signed in on this browser is signed out: it is now for the person to sign in.
    session = await current_session(request)
    if session is not None:
        await sessions.end_by_id(svc.db, session.id)
    response: Response[Any] = Redirect("/login?notice=reset", status_code=303)
    clear_session_cookie(response)
    return response


HANDLERS = [reset_link_form, reset_with_link]
