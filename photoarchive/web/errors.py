"""One place that turns errors into answers: JSON under /api, a fragment for HTMX, else a page."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.plugins.htmx import ClientRedirect, HTMXTemplate
from litestar.response import Redirect, Template
from litestar.response.base import ASGIResponse
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Receive, Scope, Send

from photoarchive.accounts.users import User
from photoarchive.errors import AppError, NotAuthenticated, TooManyRequests, Unavailable
from photoarchive.web.methods import allowed_methods
from photoarchive.web.render import page_context, referring_page
from photoarchive.web.viewer import services, viewer

log = logging.getLogger("photoarchive")

TITLES = {
    400: "That request did not make sense",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed this way",
    409: "Already taken",
    410: "No longer available",
    413: "Too large",
    415: "Not a supported image",
    416: "Outside the file",
    422: "Please check and try again",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "Temporarily unavailable",
    507: "The archive is full",
}


def _describe(exc: Exception) -> tuple[int, str, str | None, dict[str, str]]:
    headers: dict[str, str] = {}
    if isinstance(exc, AppError):
        if isinstance(exc, TooManyRequests | Unavailable) and exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        return exc.status, exc.message, exc.field, headers
    if isinstance(exc, ValidationException):
        return 400, _validation_message(exc), None, headers
    if isinstance(exc, NotFoundException):
        return 404, "There is nothing at this address.", None, headers
    if isinstance(exc, HTTPException):
        detail = exc.detail or TITLES.get(exc.status_code, "Error")
        if exc.status_code == 403 and "CSRF" in detail:
            detail = "The form's security token is missing or stale. Reload the page and try again."
        if exc.status_code == 413:
            detail = "The request is larger than this address accepts."
        headers.update(exc.headers or {})
        if exc.status_code == 405:
            detail = "This address does not accept that kind of request."
            allow = headers.pop("allow", "") or headers.pop("Allow", "")
            # HEAD goes wherever GET does (see methods).
            headers["Allow"] = allowed_methods({m.strip() for m in allow.split(",") if m.strip()})
        return exc.status_code, detail, None, headers
    log.exception("unhandled error", exc_info=exc)
    return (
        HTTP_500_INTERNAL_SERVER_ERROR,
        "An unexpected error happened. It has been logged.",
        None,
        headers,
    )


# What JSON calls each type, as a person would say it.
_NOUNS = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "null": "null",
    "array": "a list",
    "object": "an object",
}
_WRONG_TYPE = re.compile(r"Expected `([\w |]+)`, got `(\w+)`")
_BOUND = re.compile(r"Expected `(\w+)` ([<>]=?) (\S+)")
_LENGTH = re.compile(r"Expected `(\w+)` of length ([<>]=?) (\d+)")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"contains unknown field `([^`]+)`")


def _noun(kind: str) -> str:
    return _NOUNS.get(kind, kind)


def describe_invalid(key: str | None, problem: str) -> str:
    """Our words for one problem the validator found, whatever words it used.

    Litestar and msgspec describe a value in their own terms, and those change between releases:
    each known shape is said again here, and anything else falls back to naming the field.
    """
    body = key in (None, "", "data")
    name = "the body" if body else f"`{key}`"
    if body and problem == "'data'":  # Litestar's word for an empty body
        return "send a JSON object as the body"
    if match := _MISSING.search(problem):
        return f"`{match[1]}` is required"
    if match := _UNKNOWN.search(problem):
        return f"`{match[1]}` is not a field this accepts"
    if match := _WRONG_TYPE.search(problem):
        kinds = [kind.strip() for kind in match[1].split("|")]
        expected, got = " or ".join(_noun(kind) for kind in kinds), _noun(match[2])
        if body and kinds == ["object"]:
            return f"send a JSON object as the body, not {got}"
        return f"{name} must be {expected}, not {got}"
    if match := _LENGTH.search(problem):
        unit = "items" if match[1] == "array" else "characters"
        return f"{name} must have {match[2]} {match[3]} {unit}"
    if match := _BOUND.search(problem):
        return f"{name} must be {_noun(match[1])} {match[2]} {match[3]}"
    return f"{name} is not valid"


def _validation_message(exc: ValidationException) -> str:
    extra = exc.extra if isinstance(exc.extra, list) else []
    parts = [
        describe_invalid(item.get("key"), str(item.get("message", "")))
        for item in extra
        if isinstance(item, dict)
    ]
    return "The request is not valid: " + ("; ".join(parts) or "check the values sent") + "."


def handle_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status, message, field, headers = _describe(exc)
    path = request.url.path
    if path.startswith(("/api/", "/media/")) or path == "/api":
        body: dict[str, Any] = {"status": status, "detail": message}
        if field:
            body["field"] = field
        return Response(body, status_code=status, headers=headers, media_type=MediaType.JSON)
    is_htmx = request.headers.get("hx-request") == "true"
    # A share link's holder has no account to sign in with: a locked link is a plain 401.
    signs_in = not path.startswith("/s/")
    if isinstance(exc, NotAuthenticated) and signs_in and request.method in ("GET", "HEAD"):
        target = "/login?next=" + quote(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
        return ClientRedirect(target) if is_htmx else Redirect(target, status_code=303)
    if isinstance(exc, NotAuthenticated) and is_htmx:
        # A click or a form sent from a page whose session has ended: back to that page once
        # signed in again (the photo being commented on, not the feed).
        back = referring_page(request)
        return ClientRedirect("/login" + (f"?next={quote(back)}" if back else ""))
    message = _for_people(message, field)
    context = {"status": status, "title": TITLES.get(status, "Error"), "message": message}
    if not is_htmx:
        context["came_from"] = came_from(request)
        # Under a share link its holder may have no account: the feed is offered to those
        # signed in, or to anyone where guests may look; a link that opens nothing (404, 410)
        # comes with what to do about it. (error.html)
        context["under_share"] = not signs_in
        context["dead_link"] = not signs_in and status in (404, 410)
        context["feed_open"] = services(request).settings.public_view
    if is_htmx:
        context["dismissable"] = True
        return HTMXTemplate(
            template_name="_error.html",
            context=context,
            status_code=status,
            re_target="#messages",
            re_swap="innerHTML",
            headers=headers,
        )
    return ErrorPage(
        template_name="error.html", context=context, status_code=status, headers=headers
    )


# What a page's form calls a value the API names by its field: the domain's messages begin with
# the API's name, which a person on a page never saw.
FORM_NAMES = {"expires_at": "The expiry date", "taken_at": "The date taken"}


def _for_people(message: str, field: str | None) -> str:
    name = FORM_NAMES.get(field or "")
    if name and message.startswith(f"{field} "):
        return name + message[len(field or "") :]
    return message


def came_from(request: Request[Any, Any, Any]) -> str | None:
    """The page of this site that led here, to go back to (render.referring_page); None also
    for this very address (going back there would only fail again)."""
    back = referring_page(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return None if back == here and request.method in ("GET", "HEAD") else back


class ErrorPage(Template):
    """error.html with the header its viewer would see elsewhere: a signed-in person is not made
    to think they were signed out. Looking them up needs the database, which an exception
    handler (called synchronously) cannot await: the answer does it as it is sent."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIResponse:
        return _ViewerFirst(self, args, kwargs)


class _ViewerFirst(ASGIResponse):
    __slots__ = ("_args", "_kwargs", "_page")

    def __init__(self, page: ErrorPage, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        super().__init__()
        self._page, self._args, self._kwargs = page, args, kwargs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request: Request[Any, Any, Any] = (
            self._args[1] if len(self._args) > 1 else self._kwargs["request"]
        )
        status = self._page.status_code or 500
        self._page.context.update(page_context(request, await _viewer_or_none(request, status)))
        answer = Template.to_asgi_response(self._page, *self._args, **self._kwargs)
        await answer(scope, receive, send)


async def _viewer_or_none(request: Request[Any, Any, Any], status: int) -> User | None:
    """The signed-in viewer, or None: an error page never fails itself, nor waits on a database
    that is away (503), so any trouble here shows the signed-out header."""
    if status == 503:
        return None
    try:
        return await viewer(request)
    except Exception:
        return None
