"""Cross-site request forgery: a token bound to the session, and the request's own origin.

Two checks, either of which alone would stop a forged request:

* The token of Litestar's double-submit check (the `csrftoken` cookie, repeated in a header or
  the form) is bound to the session cookie it goes with: its signature covers the session
  token, so a token minted for one session, or for a signed-out visitor, fails next to
  another (someone who can plant a cookie, from a sibling subdomain or a plain-http
  network, cannot plant a valid one). A signed-out visitor's token serves only the forms a
  signed-out visitor can send (signing in or up); whenever a response sets or clears the
  session cookie it also sets a fresh token for the new session.
* An unsafe request a browser marks as coming from another site (`Sec-Fetch-Site:
  cross-site`, or an `Origin` that is not this site's) is refused. This site is the origin
  of PHOTOARCHIVE_PUBLIC_URL, or the host the request itself was sent to (families reach the
  box at a LAN address or a name of their own, and a browser sends the cookies of exactly
  that host), never the public host on the other scheme (a plain-http page in front of an
  https site, which a proxy passing the Host on would otherwise let match); clients that
  send neither header (scripts), and a browser that hides its
  origin (`null`) without saying whence (no Sec-Fetch-Site), are judged by the token alone.

With the exceptions this app needs:

* A request carrying an `Authorization: Bearer` header is authenticated by it alone (never by
  the cookie), and browsers cannot add that header cross-site, so it needs no token. Other
  schemes (a reverse proxy's Basic auth, which browsers do replay cross-site) get no pass.
* A JSON API request with no session cookie is anonymous (scripts signing in), so there is
  no session to ride on (it still meets the origin check).
* Signing out (`SIGN_OUT`) with a token that no longer matches, when the browser itself says
  the request comes from a page of this site (`Sec-Fetch-Site: same-origin`, or this site's
  `Origin`): a tab opened before the person signed in again elsewhere holds a token minted
  for a session that has ended, and a person who clicks "Sign out" there means it. The
  token's part, against a forged sign-out, is done by the origin check, which a page of
  another site cannot pass (nor a sibling on the same host: its origin is not this one);
  a request that says nothing of where it comes from still needs a valid token.
* A route that streams its body (the uploads) is never read here, whatever the content type
  claims. Without the header, a multipart body's `_csrf_token` field is checked by the upload
  reader before any file part; any other body could only hold the token where nobody will
  read it, so it is refused at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar._parsers import parse_cookie_string  # what Request.cookies reads them with
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie, Headers, MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from photoarchive.accounts.sessions import COOKIE_NAME
from photoarchive.errors import Forbidden
from photoarchive.web.admission import SAFE_METHODS, streams_its_body

DEFERRED_KEY = "photoarchive_csrf_check"
CSRF_COOKIE = "csrftoken"
NONCE_HEX = 64
_TOKEN = re.compile(f"[0-9a-f]{{{NONCE_HEX + 64}}}")  # a nonce and its HMAC-SHA256
CROSS_SITE = "This request came from another site, and was refused. Use this site's own pages."
# The one route a stale token may reach from this site's own pages (see above).
SIGN_OUT = "/logout"


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
    def __init__(self, app: Any, config: CSRFConfig, public_url: str) -> None:
        super().__init__(app, config)
        self.public_origin = _origin(public_url)
        self.public_host = self.public_origin.partition("://")[2] if public_url else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(
            name == b"authorization" and is_bearer(value) for name, value in scope["headers"]
        ):
            # Whatever the method: no token to check, and no csrftoken cookie for a script to
            # ignore.
            await self.app(scope, receive, send)
            return
        headers = Headers.from_scope(scope)
        cookies = _cookies(headers.get("cookie", ""))
        session = cookies.get(COOKIE_NAME, "")
        cookie = cookies.get(self.config.cookie_name)
        state = ScopeState.from_scope(scope)
        send = self._renewing(send, session)
        if scope.get("method") in SAFE_METHODS:
            if cookie and self.valid(cookie, session):
                state.csrf_token = cookie
            else:
                state.csrf_token = self.mint(session)
                send = self._setting(send, state.csrf_token)
            await self.app(scope, receive, send)
            return
        if not self.same_origin(headers, scope["path"]):
            raise Forbidden(CROSS_SITE)
        if scope["path"].startswith("/api/") and not session:
            await self.app(scope, receive, send)
            return
        token = headers.get(self.config.header_name)
        # An empty header would send the check to the form, that is, to the body.
        if streams_its_body(scope) and not token:
            if not is_multipart(headers.get("content-type", "")):
                raise PermissionDeniedException("CSRF token verification failed")
            scope.setdefault("state", {})[DEFERRED_KEY] = lambda token: self.accepts(
                token, cookie, session
            )
            await self.app(scope, receive, send)
            return
        if not token:
            request = scope["litestar_app"].request_class(scope=scope, receive=receive)
            if request.content_type[0] in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                token = (await request.form()).get("_csrf_token")
        if not token or not self.accepts(token, cookie, session):
            if scope["path"] == SIGN_OUT and self.from_own_page(headers):
                await self.app(scope, receive, send)  # a stale tab: see the module's docstring
                return
            raise PermissionDeniedException("CSRF token verification failed")
        state.csrf_token = token
        await self.app(scope, receive, send)

    # --- tokens -----------------------------------------------------------------------------

    def _signature(self, nonce: str, session: str) -> str:
        message = f"{nonce}\0{session}".encode()
        return hmac.new(self.config.secret.encode(), message, hashlib.sha256).hexdigest()

    def mint(self, session: str) -> str:
        """A new token for the holder of `session` (the session cookie; "" when signed out)."""
        nonce = secrets.token_hex(NONCE_HEX // 2)
        return nonce + self._signature(nonce, session)

    def valid(self, token: str, session: str) -> bool:
        # Hex digits alone: a cookie planted with other characters (compare_digest refuses
        # text beyond ASCII with a TypeError) is replaced, not a 500 on every page.
        if _TOKEN.fullmatch(token) is None:
            return False
        nonce, signature = token[:NONCE_HEX], token[NONCE_HEX:]
        return hmac.compare_digest(signature, self._signature(nonce, session))

    def accepts(self, token: Any, cookie: str | None, session: str) -> bool:
        """The token sent equals the cookie's, and was minted for this very session."""
        return (
            isinstance(token, str)
            and bool(cookie)
            and hmac.compare_digest(token.encode(), (cookie or "").encode())
            and self.valid(token, session)
        )

    # --- origins ----------------------------------------------------------------------------

    def same_origin(self, headers: Headers, path: str = "") -> bool:
        fetch_site = headers.get("sec-fetch-site", "").strip().lower()
        if fetch_site == "cross-site":
            return False
        origin = headers.get("origin")
        if origin is None:
            return True  # not a browser, or one too old to say: the token decides
        origin = origin.strip().lower()
        if origin == "null":
            # A page sent with `Referrer-Policy: no-referrer` (a share link's password form)
            # posts with `Origin: null`; the browser's own Sec-Fetch-Site still says whence,
            # but only to https or localhost addresses: from a box reached by plain http on the
            # LAN it says nothing more, and the token decides there, as for a client without
            # Origin. No other page is sent so: elsewhere `null` is a page of another site.
            return fetch_site == "same-origin" or (fetch_site == "" and path.startswith("/s/"))
        return self._is_ours(origin, headers)

    def from_own_page(self, headers: Headers) -> bool:
        """The browser says, of itself, that the request comes from a page of this site: more
        than `same_origin`, which lets a client that says nothing be judged by its token."""
        fetch_site = headers.get("sec-fetch-site", "").strip().lower()
        origin = (headers.get("origin") or "").strip().lower()
        if fetch_site not in ("", "same-origin"):
            return False  # another site's page, or a sibling's on this host
        if origin and origin != "null":
            return self._is_ours(origin, headers)
        return fetch_site == "same-origin"  # a no-referrer page of ours sends `Origin: null`

    def _is_ours(self, origin: str, headers: Headers) -> bool:
        if origin == self.public_origin:
            return True
        scheme, _, host = origin.partition("://")
        if host == self.public_host:
            # The public address's host on the other scheme: a plain-http page in front of an
            # https site (a downgrade), which the Host a proxy passes on would match.
            return False
        return scheme in ("http", "https") and host == headers.get("host", "").strip().lower()

    # --- cookies ----------------------------------------------------------------------------

    def _cookie_header(self, token: str) -> str:
        return Cookie(
            key=self.config.cookie_name,
            value=token,
            path=self.config.cookie_path,
            secure=self.config.cookie_secure,
            httponly=self.config.cookie_httponly,
            samesite=self.config.cookie_samesite,
            domain=self.config.cookie_domain,
        ).to_header(header="")

    def _setting(self, send: Send, token: str) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message).add(
                    "set-cookie", self._cookie_header(token)
                )
            await send(message)

        return wrapped

    def _renewing(self, send: Send, session: str) -> Send:
        """A response that changes the session cookie (signing in, up or out) also sets a
        token for the new session: the old one, anonymous or another's, is worth nothing."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                new = _set_session(headers.getall("set-cookie", []))
                if new is not None and new != session:
                    headers.add("set-cookie", self._cookie_header(self.mint(new)))
            await send(message)

        return wrapped


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _set_session(set_cookies: list[str]) -> str | None:
    """The session cookie's value as a response sets it ("" when it clears it), or None."""
    for header in set_cookies:
        name, _, rest = header.partition("=")
        if name.strip() == COOKIE_NAME:
            value = rest.split(";", 1)[0].strip().strip('"')
            expired = "max-age=0" in rest.lower().replace(" ", "")
            return "" if expired else value
    return None


def is_multipart(content_type: str) -> bool:
    """Media types are case-insensitive (RFC 9110): `Multipart/Form-Data` is multipart too."""
    return content_type.partition(";")[0].strip().lower() == "multipart/form-data"


def is_bearer(value: bytes) -> bool:
    scheme, _, _token = value.decode("latin-1").strip().partition(" ")
    return scheme.lower() == "bearer"


def _cookies(header: str) -> dict[str, str]:
    """The cookies as the app will read them (`Request.cookies`): the token must be judged
    against the session the request is then served as. Read any other way, a name sent twice
    (a planted cookie for a narrower path comes first) or a quoted value would let the check
    see one session and the handler act as another."""
    return parse_cookie_string(header) if header else {}


def deferred_check(scope: Scope) -> Any:
    """The token check the middleware left to the upload parser, or None if already done."""
    return scope.get("state", {}).get(DEFERRED_KEY)
