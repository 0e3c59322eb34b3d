"""Signing in and out, signing up, and the pages of emailed codes (confirm a sign-up, reset a
forgotten password). The code pages exist when the account provider sends such codes
(Cognito); elsewhere they answer 404, but for /forgot, which then says how our own accounts get
a reset link (routes/resets.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Response, get, post
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from photoarchive.accounts import invites, resets, sessions, throttle, users
from photoarchive.accounts.provider import awaits_first_admin
from photoarchive.accounts.users import User
from photoarchive.errors import (
    AppError,
    Forbidden,
    NotFound,
    TooManyRequests,
)
from photoarchive.services import Services
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.forms import typed_twice
from photoarchive.web.render import Req, form_fields, is_htmx, render, safe_next
from photoarchive.web.routes import resets as reset_pages
from photoarchive.web.viewer import (
    clear_session_cookie,
    client_ip,
    current_session,
    device_cookie,
    services,
    session_cookie,
    start_session,
    viewer,
    viewer_or_guest,
)

# Fixed texts a redirect to the sign-in page may ask for (never text from the address).
LOGIN_NOTICES = {
    "confirmed": "Your email address is confirmed. Sign in to start.",
    "reset": "Your password has been changed. Sign in with the new one.",
    "signed-out": "You are signed out. Sign in again whenever you like.",
}


@get("/login")
async def login_form(
    request: Req, next: str | None = None, notice: str | None = None
) -> Response[Any]:
    user = await viewer_or_guest(request)
    if user is not None:
        return Redirect(safe_next(next), status_code=303)
    if await awaits_first_admin(services(request)):  # nobody could sign in yet
        return Redirect("/signup", status_code=303)
    return render(
        request,
        "login.html",
        user=None,
        next=safe_next(next),
        error=None,
        login="",
        notice=LOGIN_NOTICES.get(notice or ""),
    )


async def _start_session(
    request: Req,
    user: User,
    target: str,
    refresh_token: str | None = None,
    password_hash: str | None = None,
) -> Response[Any]:
    svc = services(request)
    old = request.cookies.get(sessions.COOKIE_NAME)
    if old:
        await sessions.end(svc.db, old)
    token = await start_session(request, user.id, "cookie", refresh_token, password_hash)
    response: Response[Any] = (
        ClientRedirect(target) if is_htmx(request) else Redirect(target, status_code=303)
    )
    response.set_cookie(session_cookie(request, token))
    return response


@post("/login", status_code=200, opt=GUEST_BODY)
async def login(request: Req) -> Response[Any]:
    svc = services(request)
    form = await form_fields(request)
    target = safe_next(form.get("next"))
    login, password = form.get("login", ""), form.get("password", "")
    try:
        signed = await throttle.guarded(
            svc,
            login,
            client_ip(request),
            lambda: svc.accounts.sign_in(svc, login, password),
            device_cookie=request.cookies.get(throttle.DEVICE_COOKIE),
        )
        response = await _start_session(
            request, signed.user, target, signed.refresh_token, signed.password_hash
        )
    except AppError as exc:
        page = render(
            request,
            # An account still waiting for its emailed code is shown where to enter it.
            "confirm.html" if exc.field == "confirm" else "login.html",
            user=None,
            next=target,
            error=exc.message,
            login=login[:320],
            status=exc.status,
        )
        if isinstance(exc, TooManyRequests):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    response.set_cookie(await device_cookie(request, signed.user.id))
    return response


# The first-run form lost the race for the first account: say why it now needs an invite.
FIRST_TAKEN = (
    "Someone else has just created the first account, so joining this archive now takes an"
    " invite link. Ask them for one."
)
# What a link that cannot be used answers with, besides the page that explains it.
_INVITE_STATUS = {"unknown": 404, "used": 410, "expired": 410, "withdrawn": 410}


async def _signup_page(
    request: Req, values: dict[str, str], error: AppError | None = None
) -> Template:
    """The sign-up page as the archive stands: its first account, an invitation (naming who
    sent it, or saying why the link no longer works), or the form the policy allows."""
    svc = services(request)
    first_run = not await users.has_accounts(svc.db)
    invite = None
    if values.get("invite") and not first_run and svc.settings.registration != "closed":
        invite = await invites.look_up(svc.db, values["invite"])
    context: dict[str, Any] = {
        "user": await viewer(request),
        "error": error.message if error else None,
        "field": error.field if error else None,
        "values": values,
        "status": error.status if error else 200,
    }
    if invite is not None and not invite.usable and svc.settings.registration == "invite":
        if error is None:
            context["status"] = _INVITE_STATUS[invite.state]
        return render(
            request, "invite.html", invite=invite, invite_days=invites.INVITE_DAYS, **context
        )
    return render(
        request,
        "signup.html",
        first_run=first_run,
        first_admin=first_run and svc.accounts.first_sign_up_is_admin,
        invite=invite,
        **context,
    )


@get("/signup")
async def signup_form(request: Req, invite: str | None = None) -> Template:
    return await _signup_page(request, {"invite": (invite or "")[: invites.TOKEN_MAX + 1]})


@post("/signup", status_code=200, opt=GUEST_BODY)
async def signup(request: Req) -> Response[Any]:
    svc = services(request)
    form = await form_fields(request)
    try:
        signed = await throttle.signing_up(
            svc,
            client_ip(request),
            lambda: svc.accounts.sign_up(
                svc,
                username=form.get("username", ""),
                email=form.get("email", ""),
                password=form.get("password", ""),
                invite=form.get("invite") or None,
            ),
        )
    except AppError as exc:
        if form.get("first_run") and exc.field == "invite" and not form.get("invite"):
            exc = Forbidden(FIRST_TAKEN, field="invite")
        values = {k: form.get(k, "")[:320] for k in ("username", "email", "invite")}
        page = await _signup_page(request, values, exc)
        if isinstance(exc, TooManyRequests):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if signed.confirmation_required:
        target = "/confirm?" + urlencode({"username": signed.user.username})
        return ClientRedirect(target) if is_htmx(request) else Redirect(target, status_code=303)
    return await _start_session(request, signed.user, "/", signed.refresh_token)


@post("/logout", status_code=200, opt=GUEST_BODY)
async def logout(request: Req) -> Response[Any]:
    session = await current_session(request)
    if session is not None:
        svc = services(request)
        await svc.accounts.sign_out(svc, session)
        await sessions.end_by_id(svc.db, session.id)
    response: Response[Any] = Redirect("/login?notice=signed-out", status_code=303)
    clear_session_cookie(response)
    # The thumbnails of private photos the browser keeps (immutable, a year) go with the
    # session: whoever uses this browser next does not find them in its cache or history.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


# --- emailed codes ------------------------------------------------------------------------


def _code_provider(request: Req) -> Services:
    svc = services(request)
    if not svc.accounts.uses_email_codes:
        raise NotFound("There is nothing at this address.")
    return svc


def _code_page(
    request: Req,
    template: str,
    username: str,
    *,
    error: AppError | None = None,
    notice: str | None = None,
) -> Template:
    return render(
        request,
        template,
        user=None,
        username=username[:320],
        error=error.message if error else None,
        field=error.field if error else None,
        notice=notice,
        status=error.status if error else 200,
    )


@get("/confirm")
async def confirm_form(request: Req, username: str = "") -> Template:
    _code_provider(request)
    return _code_page(request, "confirm.html", username)


@post("/confirm", status_code=200, opt=GUEST_BODY)
async def confirm(request: Req) -> Response[Any]:
    svc = _code_provider(request)
    form = await form_fields(request)
    username = form.get("username", "").strip()
    try:
        await svc.accounts.confirm(svc, username, form.get("code", ""))
    except AppError as exc:
        return _code_page(request, "confirm.html", username, error=exc)
    return Redirect("/login?notice=confirmed", status_code=303)


@post("/confirm/resend", status_code=200, opt=GUEST_BODY)
async def resend_code(request: Req) -> Template:
    svc = _code_provider(request)
    form = await form_fields(request)
    username = form.get("username", "").strip()
    try:
        # Each code is a mail: budgeted as reset mails are (the pool's sender has a daily quota).
        await _mail_budget(svc, username, client_ip(request), "a new code")
        await svc.accounts.resend_code(svc, username)
    except AppError as exc:
        return _code_page(request, "confirm.html", username, error=exc)
    return _code_page(request, "confirm.html", username, notice="We sent you a new code.")


async def _mail_budget(svc: Services, login: str, client: str, what: str) -> None:
    """Spent on the address the mail goes to: "alice" and her email are one mailbox."""
    await throttle.asking_for_reset_mail(
        svc, await users.provider_login(svc.db, login), client, what
    )


@get("/forgot")
async def forgot_form(request: Req, username: str = "") -> Template:
    if resets.offered(services(request).settings):  # our own accounts: a link, not a code
        return await reset_pages.forgot_form(request)
    _code_provider(request)
    return _code_page(request, "forgot.html", username)


@post("/forgot", status_code=200, opt=GUEST_BODY)
async def forgot(request: Req) -> Response[Any]:
    if resets.offered(services(request).settings):
        return await reset_pages.ask_for_link(request)
    svc = _code_provider(request)
    form = await form_fields(request)
    username = form.get("username", "").strip()
    try:
        await _mail_budget(svc, username, client_ip(request), "a code")
        await svc.accounts.forgot_password(svc, username)
    except AppError as exc:
        return _code_page(request, "forgot.html", username, error=exc)
    return Redirect("/reset?" + urlencode({"username": username}), status_code=303)


@get("/reset")
async def reset_form(request: Req, username: str = "") -> Template:
    _code_provider(request)
    return _code_page(
        request,
        "reset.html",
        username,
        notice="If that account exists, we emailed it a code." if username else None,
    )


@post("/reset", status_code=200, opt=GUEST_BODY)
async def reset(request: Req) -> Response[Any]:
    svc = _code_provider(request)
    form = await form_fields(request)
    username = form.get("username", "").strip()
    try:
        password = typed_twice(form, "password", "password_again")
        await svc.accounts.reset_password(svc, username, form.get("code", ""), password)
    except AppError as exc:
        return _code_page(request, "reset.html", username, error=exc)
    return Redirect("/login?notice=reset", status_code=303)


HANDLERS = [
    login_form,
    login,
    signup_form,
    signup,
    logout,
    confirm_form,
    confirm,
    resend_code,
    forgot_form,
    forgot,
    reset_form,
    reset,
]
