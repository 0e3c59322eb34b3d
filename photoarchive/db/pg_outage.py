"""What the PostgreSQL backend does while the server cannot be reached: answer at once that the
archive is briefly unavailable (503 with `Retry-After`) instead of letting every request wait
for the pool's timeout, and find out by itself when the server is back.

After a connection fails, the backend counts as down. While down, a request either probes the
server with one short connection attempt (at most one probe at a time, one a `PROBE_SECONDS`)
or, between probes, is refused at once. A probe that connects ends the outage; the backend
then starts its pools afresh, as the connections they held belong to the server that went away.

A connection that fails at the first statement asked of it since it was last used (a read,
BEGIN, a lock: `first_statement`) may only have been ended while it sat idle in the pool (a
server restart; `idle_session_timeout`, 57P05; a proxy's own limit). `Outage.twice` tells that
from a server gone with one new connection: gone, the outage begins; there, the pools' idle
connections are checked and the request goes on, on another one, as if nothing happened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import PoolTimeout

from photoarchive.errors import Unavailable

log = logging.getLogger("photoarchive")
T = TypeVar("T")

# Seconds between two attempts to reach a server that went away, and the wait `Retry-After`
# suggests (a probe or two later).
PROBE_SECONDS = 1.0
RETRY_AFTER = 2
# How long a probe waits for the server to answer (libpq's connect_timeout, whole seconds).
CONNECT_TIMEOUT = 2
DOWN = (
    "The archive's database cannot be reached just now. Nothing saved before is lost;"
    " try again in a moment."
)
BUSY = "The archive is too busy to answer just now; try again in a moment."


# A server gone without a word (a host lost, a failover, a network cut) is noticed by the
# kernel's TCP keepalive: two hours by default, during which a LISTEN connection hears
# nothing and its instance's browsers get no live events. Asked here within about a minute.
_KEEPALIVE = {
    "keepalives": "1",
    "keepalives_idle": "30",
    "keepalives_interval": "10",
    "keepalives_count": "3",
}
# libpq 12 on: an older one refuses every connection that names it.
if psycopg.pq.version() >= 120000:
    _KEEPALIVE["tcp_user_timeout"] = "60000"


def keepalive(url: str) -> dict[str, Any]:
    """The keepalive settings for a connection to `url`, those the URL sets left to it."""
    given = conninfo_to_dict(url)
    return {name: value for name, value in _KEEPALIVE.items() if name not in given}


def unavailable(kind: type[Unavailable] = Unavailable, message: str = DOWN) -> Unavailable:
    return kind(message, retry_after=RETRY_AFTER)


def too_busy(shown_as: str, pool: str, waited: float) -> Unavailable:
    """A request that waited the pool's whole timeout while every connection of it was in
    use: load, said and logged as load. The server is there, so nothing is probed or renewed."""
    log.warning(
        "%s is busy: every connection of the %s pool was in use for %g s; a request was"
        " answered 503 (try again)",
        shown_as,
        pool,
        waited,
    )
    return unavailable(message=BUSY)


# Besides class 08 (connection exceptions), the server's codes for a connection it ended or
# cannot take are 57P01-57P05: shut down, crashed, starting up, database dropped, idle too long.


def connection_lost(exc: BaseException) -> bool:
    """Whether `exc` means the server is out of reach (rather than a statement it refused, or
    every connection of the pool being in use: `PoolTimeout`). psycopg files a deadlock, a
    lock not available, a statement too complex and the server's lack of memory under
    OperationalError too: the server answered those, so it is there."""
    if isinstance(exc, psycopg.errors.DiskFull | psycopg.errors.QueryCanceled | PoolTimeout):
        return False
    if not isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    code = getattr(exc, "sqlstate", None)
    return code is None or code.startswith(("08", "57P"))


_NOT_AGAIN = frozenset({"53100", "53400", "40003"})


def contended(exc: BaseException) -> bool:
    """Whether the server gave up a transaction for another's sake (a deadlock, a
    serialisation failure, a lock it would not wait for) or for want of memory: worth the
    same request again in a moment, as a busy pool is."""
    code = getattr(exc, "sqlstate", None) or ""
    # Not a full disk (507), a limit of the server's configuration (the same every time),
    # nor a commit whose outcome is unknown (again might write it twice).
    return (code.startswith(("40", "53")) and code not in _NOT_AGAIN) or code == "55P03"


class Stale(Exception):
    """A connection found gone at its first statement (see the module's text)."""


@dataclass
class First:
    done: bool = False  # set once the first statement is through: a loss after it is no Stale


@contextmanager
def first_statement() -> Iterator[First]:
    """Around the first statement of a pooled connection: its loss becomes `Stale`, until the
    block sets `done` (past it, what the caller sent may have been done)."""
    first = First()
    try:
        yield first
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        if first.done or not connection_lost(exc):
            raise
        raise Stale() from exc


class Outage:
    """The backend's view of whether the server is reachable (see the module's text)."""

    def __init__(self, url: str, shown_as: str) -> None:
        self._url = url
        self._shown_as = shown_as
        self.down = False
        self._next_probe = 0.0
        self._probing = asyncio.Lock()

    async def reachable(self) -> bool:
        """Whether the server takes a new connection now (one short attempt)."""
        try:
            conn: psycopg.AsyncConnection[Any] = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
            )
        except psycopg.OperationalError:
            return False
        await conn.close()
        return True

    def lost(self, exc: BaseException) -> None:
        """A connection failed: the next request probes at once, and if the server is gone
        the ones after it are refused until a probe gets through."""
        if not self.down:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            log.warning("%s cannot be reached (%s)", self._shown_as, reason)
            self._next_probe = time.monotonic()
        self.down = True

    async def back(self, renew: Callable[[], Awaitable[None]]) -> None:
        """Returns once the server answers again, after `renew` has started the caller's pools
        afresh; raises `Unavailable` while it does not. Call only while `down`."""
        if self._probing.locked() or time.monotonic() < self._next_probe:
            raise unavailable()
        async with self._probing:
            if not self.down:
                return  # another request saw it come back meanwhile
            try:
                answers = await self.reachable()
                if answers:
                    await renew()
            except psycopg.OperationalError:  # gone again while the pools were starting
                answers = False
            if not answers:
                self._next_probe = time.monotonic() + PROBE_SECONDS
                raise unavailable()
            self.down = False
            log.warning("%s answers again", self._shown_as)

    async def twice(
        self, attempt: Callable[[], Awaitable[T]], check: Callable[[], Awaitable[None]]
    ) -> T:
        """`attempt()`, and once more if its first statement found its connection gone but
        the server answers a new one (after `check`, which rids the pools of such idle
        connections): nothing of the caller's had been sent, so it cannot be done twice. A
        server that does not answer, or a second loss, begins the outage (503)."""
        try:
            return await attempt()
        except Stale as stale:
            if not await self.reachable():
                self.lost(stale.__cause__ or stale)
                raise unavailable() from None
        await check()
        try:
            return await attempt()
        except Stale as stale:
            self.lost(stale.__cause__ or stale)
            raise unavailable() from None
