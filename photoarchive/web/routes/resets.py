"""/password-reset/<token>: a person sets a new password with a link an administrator made
or one mailed from /forgot; and /forgot itself for this archive's own accounts (the auth
routes send an identity provider's visitors to its code pages instead).

After the change the person is sent to sign in with the new password rather than signed in
here: they see at once that it works, their browser offers to save it on the sign-in form, and
a session is only ever started by signing in (behind its throttle and provider checks).
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect, Template

from photoarchive.accounts import resets, sessions, throttle, users
from photoarchive.errors import AppError, NotFound, TooManyRequests
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.forms import typed_twice
from photoarchive.web.render import Req, form_fields, render
from photoarchive.web.viewer import (
    clear_session_cookie,
    client_ip,
    current_session,
    services,
    viewer_or_guest,
)


def _offered(request: Req) -> None:
    if not resets.offered(services(request).settings):
        raise NotFound("There is nothing at this address.")


async def _page(request: Req, token: str, error: AppError | None = None) -> Template:
    user = await viewer_or_guest(request)
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
        await resets.use(
            svc.db, svc.passwords, token, typed_twice(form, "password", "password_again")
        )
    except AppError as exc:
        return await _page(request, token, exc)
    # Whoever was signed in on this browser is signed out: it is now for the person to sign in.
    session = await current_session(request)
    if session is not None:
        await sessions.end_by_id(svc.db, session.id)
    response: Response[Any] = Redirect("/login?notice=reset", status_code=303)
    clear_session_cookie(response)
    return response


# --- /forgot for this archive's own accounts ----------------------------------------------

NO_MAIL = "This archive sends no mail: ask its administrator for a password-reset link."


async def _forgot_page(
    request: Req,
    *,
    email: str = "",
    error: AppError | None = None,
    sent: bool = False,
    status: int = 200,
) -> Template:
    user = await viewer_or_guest(request)
    page = render(
        request,
        "forgot.html",
        user=user,
        email=email[:320],
        sent=sent,
        reset_hours=resets.RESET_HOURS,
        error=error.message if error else None,
        field=error.field if error else None,
        status=error.status if error else status,
    )
    if isinstance(error, TooManyRequests):
        page.headers["Retry-After"] = str(error.retry_after)
    return page


async def forgot_form(request: Req) -> Template:
    """Where to get a new password: a form to have a link mailed, or whom to ask for one."""
    return await _forgot_page(request)


async def ask_for_link(request: Req) -> Template:
    """Mail a reset link to the account with the posted `email`, if there is one.

    The answer is the same whether or not an account has the address, and so is the work done
    before it: the look-up, the link and the sending happen in the outbox, after the answer."""
    svc = services(request)
    if resets.recovery(svc.settings) != "mail":
        return await _forgot_page(request, error=NotFound(NO_MAIL))
    form = await form_fields(request)
    address = form.get("email", "").strip()
    try:
        users.check_email(address)
        await throttle.asking_for_reset_mail(svc, address, client_ip(request))
    except AppError as exc:
        return await _forgot_page(request, email=address, error=exc)
    svc.mail.post(lambda: resets.mail_link(svc.db, svc.mail, svc.settings, address))
    return await _forgot_page(request, email=address, sent=True)


HANDLERS = [reset_link_form, reset_with_link]
