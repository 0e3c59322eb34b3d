"""One place that turns errors into answers: JSON under /api, a fragment for HTMX, else a page."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.plugins.htmx import ClientRedirect, HTMXTemplate
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from photoarchive.errors import AppError, NotAuthenticated, TooManyRequests

log = logging.getLogger("photoarchive")

TITLES = {
    400: "That request did not make sense",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed this way",
    409: "Already taken",
    413: "Too large",
    415: "Not a supported image",
    422: "Could not use that",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "Temporarily unavailable",
    507: "The archive is full",
}


def _describe(exc: Exception) -> tuple[int, str, str | None, dict[str, str]]:
    headers: dict[str, str] = {}
    if isinstance(exc, AppError):
        if isinstance(exc, TooManyRequests):
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
        if exc.status_code == 405:
            detail = "This address does not accept that kind of request."
        headers.update(exc.headers or {})
        return exc.status_code, detail, None, headers
    log.exception("unhandled error", exc_info=exc)
    return (
        HTTP_500_INTERNAL_SERVER_ERROR,
        "An unexpected error happened. It has been logged.",
        None,
        headers,
    )


def _validation_message(exc: ValidationException) -> str:
    extra = exc.extra if isinstance(exc.extra, list) else []
    parts = []
    for item in extra:
        if isinstance(item, dict):
            key = item.get("key")
            message = item.get("message", "is not valid")
            if key == "data" and message == "'data'":  # Litestar's word for an empty body
                parts.append("send a JSON object as the body")
                continue
            parts.append(f"{key}: {message}" if key else str(message))
    if parts:
        return "The request is not valid: " + "; ".join(parts)
    return f"The request is not valid: {exc.detail}"


def handle_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status, message, field, headers = _describe(exc)
    path = request.url.path
    if path.startswith("/api/") or path.startswith("/media/"):
        body: dict[str, Any] = {"status": status, "detail": message}
        if field:
            body["field"] = field
        return Response(body, status_code=status, headers=headers, media_type=MediaType.JSON)
    is_htmx = request.headers.get("hx-request") == "true"
    if isinstance(exc, NotAuthenticated) and request.method in ("GET", "HEAD"):
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
