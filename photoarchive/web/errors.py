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
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from photoarchive.errors import AppError, NotAuthenticated, TooManyRequests, Unavailable
from photoarchive.web.methods import allowed_methods

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
    422: "Could not use that",
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
            detail = "The upload is larger than this archive accepts."
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
    if path.startswith("/api/") or path.startswith("/media/"):
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
        return ClientRedirect("/login")
    context = {"status": status, "title": TITLES.get(status, "Error"), "message": message}
    if is_htmx:
        return HTMXTemplate(
            template_name="_error.html",
            context=context,
            status_code=status,
            re_target="#messages",
            re_swap="innerHTML",
            headers=headers,
        )
    return Template(
        template_name="error.html", context=context, status_code=status, headers=headers
    )
