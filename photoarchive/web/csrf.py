"""Litestar's double-submit CSRF check, with the two exceptions this app needs.

* A request carrying an `Authorization: Bearer` header is authenticated by it alone (never by
  the cookie), and browsers cannot add that header cross-site, so it needs no token. Other
  schemes (a reverse proxy's Basic auth, which browsers do replay cross-site) get no pass.
* A JSON API request with no session cookie is anonymous (scripts signing in), so there is
  no session to ride on.
* A route that streams its body (the uploads) is never read here, whatever the content type
  claims. Without the header, a multipart body's `_csrf_token` field is checked by the upload
  reader before any file part; any other body could only hold the token where nobody will
  read it, so it is refused at once.
"""

from __future__ import annotations

from typing import Any

from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Headers
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Receive, Scope, Send

from photoarchive.auth.sessions import COOKIE_NAME
from photoarchive.web.admission import SAFE_METHODS, streams_its_body

DEFERRED_KEY = "photoarchive_csrf_check"
CSRF_COOKIE = "csrftoken"


def csrf_config(secret: str, secure: bool) -> CSRFConfig:
    return CSRFConfig(
        secret=secret,
        cookie_name=CSRF_COOKIE,
        header_name="x-csrftoken",
        cookie_secure=secure,
        cookie_samesite="lax",
        cookie_httponly=False,
    )


class CSRFGuard(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(
            name == b"authorization" and is_bearer(value) for name, value in scope["headers"]
        ):
            # Whatever the method: no token to check, and no csrftoken cookie for a script to
            # ignore (a response that sets no cookie can also be answered from the page cache).
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            headers = Headers.from_scope(scope)
            cookies = _cookies(headers.get("cookie", ""))
            path = scope["path"]
            if path.startswith("/api/") and COOKIE_NAME not in cookies:
                await self.app(scope, receive, send)
                return
            # An empty header would send Litestar's check to the form, that is, to the body.
            if streams_its_body(scope) and not headers.get(self.config.header_name):
                if not is_multipart(headers.get("content-type", "")):
                    raise PermissionDeniedException("CSRF token verification failed")
                cookie = cookies.get(self.config.cookie_name)
                scope.setdefault("state", {})[DEFERRED_KEY] = lambda token: bool(
                    cookie and token and self._csrf_tokens_match(token, cookie)
                )
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def is_multipart(content_type: str) -> bool:
    """Media types are case-insensitive (RFC 9110): `Multipart/Form-Data` is multipart too."""
    return content_type.partition(";")[0].strip().lower() == "multipart/form-data"


def is_bearer(value: bytes) -> bool:
    scheme, _, _token = value.decode("latin-1").strip().partition(" ")
    return scheme.lower() == "bearer"


def _cookies(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            found.setdefault(name, value)
    return found


def deferred_check(scope: dict[str, Any]) -> Any:
    """The token check the middleware left to the upload parser, or None if already done."""
    return scope.get("state", {}).get(DEFERRED_KEY)
