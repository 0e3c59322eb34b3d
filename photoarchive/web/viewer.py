"""Who is asking: the session cookie or a Bearer token, resolved once per request."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie

from photoarchive.accounts import sessions, throttle
from photoarchive.accounts.sessions import COOKIE_NAME, Device, Session
from photoarchive.accounts.users import User
from photoarchive.errors import NotAuthenticated, Unavailable
from photoarchive.library import access
from photoarchive.library.zips import Withdrawn
from photoarchive.services import Services

_STATE_KEY = "photoarchive_session"
_UNSET = object()


def services(request: Request[Any, Any, Any]) -> Services:
    return request.app.state.services


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """The token of an `Authorization: Bearer` header ("" when empty); None for no header or
    another scheme (such as a reverse proxy's Basic auth), which leaves the cookie in charge."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def credentials(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """(token, kind) the request is judged by: its Bearer token if it has that header, else its
    session cookie ("" for none)."""
    token = bearer_token(request)
    if token is not None:
        return token, "bearer"
    return request.cookies.get(COOKIE_NAME, ""), "cookie"


async def current_session(
    request: Request[Any, Any, Any], looked_up: Session | object | None = _UNSET
) -> Session | None:
    """The request's session, resolved once and kept for the rest of the request.

    `looked_up`: what a query that read something else too found for `credentials(request)`
    (`sessions.live` of its row), in place of a lookup of its own."""
    cached = request.scope.get("state", {}).get(_STATE_KEY, _UNSET)
    if cached is not _UNSET:
        return cached
    try:
        session = await resolve_session(request, looked_up)
    except NotAuthenticated:
        request.scope.setdefault("state", {})[_STATE_KEY] = None
        raise
    request.scope.setdefault("state", {})[_STATE_KEY] = session
    return session


async def resolve_session(
    request: Request[Any, Any, Any], looked_up: Session | object | None = _UNSET
) -> Session | None:
    """Look the session up afresh (long-lived streams re-check it as they go).

    A request with a Bearer header is judged by it alone, never by a cookie: a bad token is
    NotAuthenticated rather than a fall back to the cookie."""
    svc = services(request)
    settings = svc.settings
    token, kind = credentials(request)
    session = None
    if token:
        if isinstance(looked_up, Session) or looked_up is None:
            session = looked_up
        else:
            session = await sessions.resolve(
                svc.db, token, kind, settings.session_idle_seconds, settings.session_max_seconds
            )
        session = await vouched(svc, session, token)
    if session is None and kind == "bearer":
        raise NotAuthenticated("The Bearer token is not valid or has expired.")
    return session


async def vouched(svc: Services, session: Session | None, token: str) -> Session | None:
    """The session, unless the account provider no longer vouches for its user (then it ends)."""
    if session is None or await svc.accounts.still_valid(svc, session):
        return session
    await sessions.end(svc.db, token)
    return None


async def viewer(request: Request[Any, Any, Any]) -> User | None:
    session = await current_session(request)
    return None if session is None else session.user


async def viewer_or_guest(request: Request[Any, Any, Any]) -> User | None:
    """`viewer`, a stale Bearer token read as a guest: for pages anyone may open (sign-in,
    account recovery, a mailed link), whose way out that token must not block."""
    try:
        return await viewer(request)
    except NotAuthenticated:
        return None


async def require_user(request: Request[Any, Any, Any]) -> User:
    user = await viewer(request)
    if user is None:
        raise NotAuthenticated("Sign in to do that.")
    return user


async def require_reader(
    request: Request[Any, Any, Any], looked_up: Session | object | None = _UNSET
) -> User | None:
    """Signed in, or a guest when the archive allows public viewing. `looked_up`: as for
    `current_session`."""
    session = await current_session(request, looked_up)
    user = None if session is None else session.user
    if not access.may_read_archive(access.Viewer(user, services(request).settings.public_view)):
        raise NotAuthenticated("Sign in to see this archive.")
    return user


def still_signed_in(
    request: Request[Any, Any, Any], viewer: User | None
) -> Callable[[], Awaitable[User | None]]:
    """For a long answer (a zip of an album): the viewer as they are now, asked again before
    each photo, or `zips.Withdrawn` once their session has ended (signed out, a password
    changed, the account disabled). A guest stays one: public view is a setting, fixed while
    the server runs."""

    async def again() -> User | None:
        if viewer is None:
            return None
        try:
            session = await resolve_session(request)
        except (NotAuthenticated, Unavailable):
            raise Withdrawn from None
        if session is None or session.user.id != viewer.id:
            raise Withdrawn
        return session.user

    return again


async def require_admin(request: Request[Any, Any, Any]) -> User:
    from photoarchive.errors import Forbidden

    user = await require_user(request)
    if not user.is_admin:
        raise Forbidden("Only administrators can do this.")
    return user


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The client's address: the peer, unless the peer is a trusted proxy, in which case the
    nearest X-Forwarded-For entry that is not itself a trusted proxy (the left ones are the
    client's to invent)."""
    peer = request.client.host if request.client else ""
    trusted = services(request).settings.trusted_proxies
    if not trusted or not _is_within(peer, trusted):
        return peer
    forwarded = [
        hop.strip()
        for header in request.headers.getall("x-forwarded-for", [])
        for hop in header.split(",")
    ]
    for hop in reversed(forwarded):
        if not _is_within(hop, trusted):
            return hop if _is_address(hop) else peer
    return forwarded[0] if forwarded and _is_address(forwarded[0]) else peer


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_within(text: str, networks: tuple[Any, ...]) -> bool:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def device(request: Request[Any, Any, Any]) -> Device:
    """The browser or client asking, and its address: what a new session is noted with."""
    return Device(user_agent=request.headers.get("user-agent", ""), client_ip=client_ip(request))


async def start_session(
    request: Request[Any, Any, Any],
    user_id: int,
    kind: str,
    refresh_token: str | None = None,
    password_hash: str | None = None,
) -> str:
    """A new session of `kind` ("cookie" or "bearer") for `user_id`, noted with the browser or
    client and address asking; its token. `password_hash`: see sessions.create."""
    asking = device(request)
    db = services(request).db
    if password_hash is not None:  # a local account's sign-in
        return await sessions.create_signed_in(
            db,
            user_id,
            kind,
            password_hash=password_hash,
            user_agent=asking.user_agent,
            client_ip=asking.client_ip,
        )
    return await sessions.create(
        db,
        user_id,
        kind,
        user_agent=asking.user_agent,
        client_ip=asking.client_ip,
        refresh_token=refresh_token,
    )


def session_cookie(request: Request[Any, Any, Any], token: str) -> Cookie:
    return Cookie(
        key=COOKIE_NAME,
        value=token,
        httponly=True,
        samesite="lax",
        secure=services(request).settings.secure_cookies,
        max_age=int(services(request).settings.session_max_seconds),
        path="/",
    )


async def device_cookie(request: Request[Any, Any, Any], user_id: int) -> Cookie:
    """The known-device cookie of a browser that has just signed in as `user_id` (see
    accounts/throttle.py): kept for a year, read only by the sign-in form."""
    svc = services(request)
    kept = request.cookies.get(throttle.DEVICE_COOKIE)
    binding = await throttle.device_binding(svc.db, user_id)
    return Cookie(
        key=throttle.DEVICE_COOKIE,
        value=throttle.device_token(svc.settings.secret_key, user_id, binding, kept),
        httponly=True,
        samesite="lax",
        secure=services(request).settings.secure_cookies,
        max_age=throttle.DEVICE_SECONDS,
        path="/login",
    )


def clear_session_cookie(response: Response[Any]) -> None:
    response.delete_cookie(COOKIE_NAME, path="/")
