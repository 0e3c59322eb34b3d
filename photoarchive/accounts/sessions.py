"""Server-side sessions: a random token goes to the client, only its SHA-256 is stored."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from photoarchive import clock
from photoarchive.accounts.users import TIME_ZONE_AUTOMATIC, WRONG_LOGIN, User
from photoarchive.db import Backend, Row, Transaction
from photoarchive.errors import NotAuthenticated, NotFound

log = logging.getLogger(__name__)

COOKIE_NAME = "session"
# Sessions that ended by time alone are deleted at start and then this often (see `run`).
PRUNE_SECONDS = 3600
# last_seen_at is refreshed at most this often, so reads stay reads.
TOUCH_INTERVAL = 60.0


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True)
class Session:
    id: int
    user: User
    kind: str
    created_at: float
    last_seen_at: float
    user_agent: str
    client_ip: str
    refresh_token: str | None

    def expires_at(self, idle_seconds: float, max_seconds: float) -> float:
        """When this session ends by time alone, if it is not used again before then."""
        return min(self.last_seen_at + idle_seconds, self.created_at + max_seconds)


@dataclass(frozen=True)
class Device:
    """The browser or client a new session is for, as the request shows it."""

    user_agent: str = ""
    client_ip: str = ""


async def create(
    db: Backend | Transaction,
    user_id: int,
    kind: str,
    *,
    user_agent: str = "",
    client_ip: str = "",
    refresh_token: str | None = None,
) -> str:
    """Start a session and return its token (at least 256 random bits)."""
    token = secrets.token_urlsafe(32)
    moment = clock.now()
    await db.execute(
        "INSERT INTO sessions (token_hash, user_id, kind, created_at, last_seen_at, user_agent,"
        " client_ip, refresh_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            token_hash(token),
            user_id,
            kind,
            moment,
            moment,
            user_agent[:300],
            client_ip[:100],
            refresh_token,
        ),
    )
    return token


async def create_signed_in(
    db: Backend,
    user_id: int,
    kind: str,
    *,
    password_hash: str,
    user_agent: str = "",
    client_ip: str = "",
) -> str:
    """`create` after a sign-in that checked the password against `password_hash`: only while
    the account still has that hash and is enabled. A password changed or reset, or the
    account disabled, while the password was being checked ends every session and must not
    be followed by this one (NotAuthenticated). The account's row is locked to the session's
    commit, so such a change waits for it, and ends it too."""
    async with db.transaction() as tx:
        held = await tx.execute(
            "UPDATE users SET password_hash = password_hash"
            " WHERE id = ? AND password_hash = ? AND disabled = 0",
            (user_id, password_hash),
        )
        if not held:
            raise NotAuthenticated(WRONG_LOGIN)
        return await create(tx, user_id, kind, user_agent=user_agent, client_ip=client_ip)


# What a session is made of, from `sessions s JOIN users su ON su.id = s.user_id`: another
# module's query may look a session up together with what it reads (one trip, not two).
# Every column named explicitly and the user's prefixed: joined with other tables (a photo and
# its owner, see media_lookup.find_with_session) no name may stand for two columns, or a lookup by
# name could read the viewer from somebody else's row.
COLUMNS = (
    "s.id AS session_id, s.kind, s.created_at AS session_created, s.last_seen_at,"
    " s.user_agent, s.client_ip, s.refresh_token, su.id AS user_id,"
    " su.username AS user_username, su.email AS user_email,"
    " su.display_name AS user_display_name, su.is_admin AS user_is_admin,"
    " su.disabled AS user_disabled, su.created_at AS user_created_at,"
    " (SELECT up.time_zone FROM user_preferences up WHERE up.user_id = su.id) AS user_time_zone"
)


def lookup_hash(token: str) -> bytes | None:
    """What `sessions.token_hash` is compared with for `token`; None when no session can match."""
    if not token or len(token) > 200:
        return None
    return token_hash(token)


async def resolve(
    db: Backend, token: str, kind: str, idle_seconds: float, max_seconds: float
) -> Session | None:
    """The live session for `token`, or None if unknown, expired or its user is disabled."""
    wanted = lookup_hash(token)
    if wanted is None:
        return None
    row = await db.fetch_by_key(
        f"SELECT {COLUMNS} FROM sessions s JOIN users su ON su.id = s.user_id"  # noqa: S608 (a fixed column list)
        " WHERE s.token_hash = ? AND s.kind = ?",
        (wanted, kind),
    )
    return await live(db, row, idle_seconds, max_seconds)


async def live(
    db: Backend, row: Row | Mapping[str, Any] | None, idle_seconds: float, max_seconds: float
) -> Session | None:
    """The session a row of `COLUMNS` describes (None: no session), if it is still live: ended
    here when it has expired; its last use noted now and then."""
    if row is None or row["session_id"] is None or row["user_disabled"]:
        return None
    session = Session(
        id=row["session_id"],
        user=User(
            id=row["user_id"],
            username=row["user_username"],
            email=row["user_email"],
            display_name=row["user_display_name"],
            is_admin=bool(row["user_is_admin"]),
            disabled=bool(row["user_disabled"]),
            created_at=row["user_created_at"],
            time_zone=row["user_time_zone"] or TIME_ZONE_AUTOMATIC,
        ),
        kind=row["kind"],
        created_at=row["session_created"],
        last_seen_at=row["last_seen_at"],
        user_agent=row["user_agent"],
        client_ip=row["client_ip"],
        refresh_token=row["refresh_token"],
    )
    moment = clock.now()
    # Past either limit the session ends at the request that finds it so.
    if moment > session.expires_at(idle_seconds, max_seconds):
        await end_by_id(db, session.id)
        return None
    if moment - session.last_seen_at > TOUCH_INTERVAL:
        await db.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?", (moment, session.id))
    return session


async def prune(db: Backend, idle_seconds: float, max_seconds: float) -> int:
    """Delete every session that has ended by time (a session is otherwise deleted only when
    its token comes back, and a script that signs in each time it runs never comes back);
    how many. Any instance may run it at any time: it deletes only what no request can use."""
    moment = clock.now()
    return await db.execute(
        "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
        (moment - idle_seconds, moment - max_seconds),
    )


async def run(db: Backend, idle_seconds: float, max_seconds: float) -> None:
    """`prune` from the start of the server until it stops."""
    while True:
        try:
            pruned = await prune(db, idle_seconds, max_seconds)
        except Exception:
            log.exception("Deleting ended sessions failed; trying again later.")
        else:
            if pruned:
                log.info("ended sessions deleted: %d", pruned)
        await asyncio.sleep(PRUNE_SECONDS)


async def end(db: Backend, token: str) -> None:
    await db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),))


async def end_by_id(db: Backend, session_id: int) -> None:
    await db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))


async def end_all_for_user(
    db: Backend | Transaction, user_id: int, *, except_id: int | None = None
) -> None:
    """End the user's sessions but `except_id`; inside a transaction, with what it commits."""
    await db.execute(
        "DELETE FROM sessions WHERE user_id = ? AND id IS DISTINCT FROM ?", (user_id, except_id)
    )


async def renew(tx: Transaction, session: Session, device: Device) -> str | None:
    """After a change of what can take the account (its password, its email), in the same
    transaction `tx`: end every other session of the person. A browser goes on under a new
    session, whose token is returned (a copy of its cookie ends with the rest); a Bearer
    token keeps its own (None)."""
    if session.kind != "cookie":
        await end_all_for_user(tx, session.user.id, except_id=session.id)
        return None
    await end_all_for_user(tx, session.user.id)
    return await create(
        tx,
        session.user.id,
        "cookie",
        user_agent=device.user_agent,
        client_ip=device.client_ip,
        refresh_token=session.refresh_token,
    )


@dataclass(frozen=True)
class SessionInfo:
    """One of a user's sessions as the settings page lists it."""

    id: int
    kind: str
    created_at: str
    last_seen_at: str
    user_agent: str
    client_ip: str


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# A user's sessions that have not expired; `_TOKENS`: only their API tokens (Bearer sessions).
_ACTIVE = (
    "SELECT id, kind, created_at, last_seen_at, user_agent, client_ip FROM sessions"
    " WHERE user_id = ? AND last_seen_at >= ? AND created_at >= ?"
    " ORDER BY last_seen_at DESC, id DESC"
)
_TOKENS = (
    "SELECT id, kind, created_at, last_seen_at, user_agent, client_ip FROM sessions"
    " WHERE user_id = ? AND last_seen_at >= ? AND created_at >= ? AND kind = 'bearer'"
    " ORDER BY last_seen_at DESC, id DESC"
)


async def active_for_user(
    db: Backend, user_id: int, idle_seconds: float, max_seconds: float, *, tokens: bool = False
) -> list[SessionInfo]:
    """The user's sessions that have not expired (`tokens`: only their API tokens, the Bearer
    sessions a script signs in for), most recently used first."""
    moment = clock.now()
    rows = await db.fetchall(
        _TOKENS if tokens else _ACTIVE, (user_id, moment - idle_seconds, moment - max_seconds)
    )
    return [
        SessionInfo(
            id=row["id"],
            kind=row["kind"],
            created_at=_iso(row["created_at"]),
            last_seen_at=_iso(row["last_seen_at"]),
            user_agent=row["user_agent"],
            client_ip=row["client_ip"],
        )
        for row in rows
    ]


async def end_for_user(db: Backend, user_id: int, session_id: int) -> None:
    """End one of the user's own sessions; anybody else's is 'not found'."""
    deleted = await db.execute(
        "DELETE FROM sessions WHERE id = ? AND user_id = ?", (session_id, user_id)
    )
    if not deleted:
        raise NotFound("That session has already ended.")


async def end_token_for_user(db: Backend, user_id: int, session_id: int) -> None:
    """End one of the user's own API tokens; anybody else's is 'not found', and so is a
    browser's session, which is no token (/settings ends those)."""
    deleted = await db.execute(
        "DELETE FROM sessions WHERE id = ? AND user_id = ? AND kind = 'bearer'",
        (session_id, user_id),
    )
    if not deleted:
        raise NotFound("There is no such token of yours (or it has already ended).")
