"""Who may send a request body, and how much of it: settled from the headers alone, before
any byte of the body is read.

Litestar reads a body only when asked, but the first to ask is the CSRF middleware (a form's
token is inside the form), and it asks before any handler has looked at who is asking. So this
middleware, which sits outside the CSRF one, answers first:

* how much: a Content-Length over the route's `request_max_body_size` is refused (413), even
  where the handler would not read the body; a chunked body meets the same bound as it is read.
  A route that streams its body (`request_max_body_size=None`, the uploads) bounds it in its
  reader, which also checks the announced length before reading.
* who: an unsafe request needs a live session or a valid Bearer token, judged by the same
  `require_user` the handler calls (its answer is kept for the handler), unless the route takes
  bodies from guests (`opt=GUEST_BODY`: signing in, signing up, account recovery, and the zip
  of chosen photos, a read that guests may make when the archive is public).

A stranger's body thus costs nothing, and a guest's at most the small bound of those routes.
"""

from __future__ import annotations

from typing import Any

from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from photoarchive.errors import PayloadTooLarge
from photoarchive.web.viewer import require_user

GUEST_BODY: dict[str, Any] = {"guest_body": True}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _http_handler(scope: Scope) -> HTTPRouteHandler:
    handler = scope["route_handler"]
    assert isinstance(handler, HTTPRouteHandler)  # only HTTP requests carry a body
    return handler


def streams_its_body(scope: Scope) -> bool:
    """True for a route whose handler reads its body as a stream, with limits of its own."""
    return _http_handler(scope).resolve_request_max_body_size() is None


class BodyGate:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") not in SAFE_METHODS:
            handler = _http_handler(scope)
            request = scope["litestar_app"].request_class(scope=scope, receive=receive)
            bound = handler.resolve_request_max_body_size()
            if bound is not None and (request.content_length or 0) > bound:
                raise PayloadTooLarge(
                    f"The request is larger than the {_size(bound)} this address accepts."
                )
            if not handler.opt.get("guest_body"):
                await require_user(request)
        await self.app(scope, receive, send)


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit % (1024 * 1024) == 0 else f"{limit // 1024} KB"
