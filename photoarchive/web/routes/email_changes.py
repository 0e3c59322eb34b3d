"""/email-confirm/<token>: the link mailed to a new email (accounts/email_changes.py). Opening
it shows what it confirms and a button: only the button's POST changes the email, so a mail
scanner that opens every link confirms nothing. The link works signed in or not, on any
device: its token is the proof.

Confirmed on a browser signed in as the person, that browser goes on under a new session
and lands on /settings; anywhere else every session of the person has ended, and the page
says so (a browser signed in as someone else stays so)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect, Template

from photoarchive.accounts import email_changes, profiles
from photoarchive.errors import AppError, NotFound
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.render import Req, render
from photoarchive.web.viewer import (
    current_session,
    device,
    services,
    session_cookie,
    viewer_or_guest,
)


def _offered(request: Req) -> None:
    svc = services(request)
    if not email_changes.required(svc.settings, svc.mail.configured):
        raise NotFound("There is nothing at this address.")


async def _page(
    request: Req,
    token: str,
    *,
    email: str = "",
    username: str = "",
    done: bool = False,
    error: AppError | None = None,
) -> Template:
    user = await viewer_or_guest(request)
    page = render(
        request,
        "email_confirm.html",
        user=user,
        action=f"{email_changes.PATH}/{token}",
        email=email,
        username=username,
        done=done,
        error=error.message if error else None,
        status=error.status if error else 200,
    )
    page.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    return page


@get(f"{email_changes.PATH}/{{token:str}}")
async def confirm_form(request: Req, token: str) -> Template:
    _offered(request)
    try:
        person, email = await email_changes.holder(services(request).db, token)
    except NotFound as exc:
        return await _page(request, token, error=exc)
    return await _page(request, token, email=email, username=person.username)


@post(f"{email_changes.PATH}/{{token:str}}", status_code=200, opt=GUEST_BODY)
async def confirm(request: Req, token: str) -> Response[Any]:
    _offered(request)
    svc = services(request)
    try:
        saved = await profiles.confirm_email(
            svc, token, await current_session(request), device(request)
        )
    except AppError as exc:
        return await _page(request, token, error=exc)
    if saved.token is not None:  # the person's own browser: on, with a new session
        response = Redirect("/settings?saved=email-confirmed", status_code=303)
        response.set_cookie(session_cookie(request, saved.token))
        return response
    return await _page(
        request, token, email=saved.user.email, username=saved.user.username, done=True
    )


HANDLERS = [confirm_form, confirm]
