"""Pages for accounts confirmed by emailed codes: confirm a sign-up, reset a forgotten password.

They exist when the account provider sends such codes (Cognito); elsewhere they answer 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from photoarchive.errors import AppError, NotFound
from photoarchive.services import Services
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.pages import form_fields, render
from photoarchive.web.viewer import services

Req = Request[Any, Any, Any]


def _provider(request: Req) -> Services:
    svc = services(request)
    if not svc.accounts.uses_email_codes:
        raise NotFound("There is nothing at this address.")
    return svc


def _page(
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
    _provider(request)
    return _page(request, "confirm.html", username)


@post("/confirm", status_code=200, opt=GUEST_BODY)
async def confirm(request: Req) -> Response[Any]:
    svc = _provider(request)
    form = await form_fields(request)
    username = form.get("username", "").strip()
    try:
        await svc.accounts.confirm(svc, username, form.get("code", ""))
    except AppError as exc:
        return _page(request, "confirm.html", username, error=exc)
    return Redirect("/login?notice=confirmed", status_code=303)


@post("/confirm/resend", status_code=200, opt=GUEST_BODY)
async def resend_code(request: Req) -> Template:
    svc = _provider(request)
    form = await form_fields(request)
    username = form.get("username", "").strip()
    try:
        await svc.accounts.resend_code(svc, username)
    except AppError as exc:
        return _page(request, "confirm.html", username, error=exc)
    return _page(request, "confirm.html", username, notice="We sent you a new code.")


@get("/forgot")
async def forgot_form(request: Req, username: str = "") -> Template:
    _provider(request)
    return _page(request, "forgot.html", username)


@post("/forgot", status_code=200, opt=GUEST_BODY)
async def forgot(request: Req) -> Response[Any]:
    svc = _provider(request)
    form = await form_fields(request)
    username = form.get("username", "").strip()
    try:
        await svc.accounts.forgot_password(svc, username)
    except AppError as exc:
        return _page(request, "forgot.html", username, error=exc)
    return Redirect("/reset?" + urlencode({"username": username}), status_code=303)


@get("/reset")
async def reset_form(request: Req, username: str = "") -> Template:
    _provider(request)
    return _page(
        request,
        "reset.html",
        username,
        notice="If that account exists, we emailed it a code." if username else None,
    )


@post("/reset", status_code=200, opt=GUEST_BODY)
async def reset(request: Req) -> Response[Any]:
    svc = _provider(request)
    form = await form_fields(request)
    username = form.get("username", "").strip()
    try:
        await svc.accounts.reset_password(
            svc, username, form.get("code", ""), form.get("password", "")
        )
    except AppError as exc:
        return _page(request, "reset.html", username, error=exc)
    return Redirect("/login?notice=reset", status_code=303)


ACCOUNT_PAGE_HANDLERS = [
    confirm_form,
    confirm,
    resend_code,
    forgot_form,
    forgot,
    reset_form,
    reset,
]
