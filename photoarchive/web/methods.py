"""HEAD and OPTIONS, answered the same way on every route.

* HEAD is a GET whose body is left out (RFC 9110 §9.3.2): the request goes through as a GET,
  so it meets the same checks, caches and headers (Content-Length and ETag included), and the
  answer ends with its headers. A handler that would read a large body from the store can
  ask `is_head()` and not open it.
* OPTIONS lists every method the path takes. The framework's own answer names only the
  methods of the first handler registered for a path (a second one, such as the upload
  beside the photo list, is left out), so the list is worked out here from the final routes.
"""

from __future__ import annotations

from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEAD_KEY = "photoarchive.head"


def head_as_get(scope: Scope, send: Send) -> tuple[Scope, Send]:
    """For a HEAD request: the scope of the same request as a GET, and a `send` that passes
    the GET's status and headers on and none of its body. Other requests pass unchanged."""
    if scope["type"] != "http" or scope.get("method") != "HEAD":
        return scope, send
    as_get: Any = {**scope, "method": "GET", HEAD_KEY: True}

    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.start":
            await send(message)
            # The answer ends with its headers. The server then tells the app the client is
            # gone, which stops a streamed body (an original, the event stream) at once.
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif message["type"] != "http.response.body":
            await send(message)

    return as_get, send_headers_only


def is_head(scope: Scope | dict[str, Any]) -> bool:
    return bool(scope.get(HEAD_KEY))


def allowed_methods(methods: set[str] | frozenset[str]) -> str:
    found = set(methods) | {"OPTIONS"}
    if "GET" in found:
        found.add("HEAD")
    return ", ".join(sorted(found))


class AllowedMethods:
    """Answers OPTIONS with every method of the route it was sent to."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._allow: dict[str, str] | None = None

    def allow(self, scope: Scope) -> str | None:
        if self._allow is None:
            routes = scope["litestar_app"].routes
            self._allow = {
                route.path_format: allowed_methods({str(method) for method in route.methods})
                for route in routes
                if getattr(route, "methods", None)
            }
        return self._allow.get(scope.get("path_template", ""))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        allow = (
            self.allow(scope)
            if scope["type"] == "http" and scope.get("method") == "OPTIONS"
            else None
        )
        if allow is None:
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [(b"allow", allow.encode())],
            }
        )
        await send({"type": "http.response.body", "body": b"", "more_body": False})
