"""The door to PostgreSQL: a pool of connections shared by reads and write transactions,
advisory locks for the seam's named locks, and migrations run once however many instances
start together. Several instances may share one database. While the server cannot be reached,
every query fails at once with a 503 and the pools are started afresh once it is back
(pg_outage.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from photoarchive.db import pg_migrations
from photoarchive.db.pg_errors import neutral_errors, why
from photoarchive.db.pg_locks import LockWatch
from photoarchive.db.pg_outage import (
    BUSY,
    DOWN,
    RETRY_AFTER,
    Outage,
    connection_lost,
    contended,
    first_statement,
    keepalive,
    log,
    too_busy,
    unavailable,
)
from photoarchive.db.pg_search import PostgresSearch
from photoarchive.db.pg_sql import PgRow, adapt, has_rows, lock_key, pg_rows, rewrite
from photoarchive.db.protocol import Backend, LockLost, Params, Reader, Transaction, refuse_nul

# Seconds to wait for a connection from the pool before a request fails, rather than hangs.
POOL_TIMEOUT = 30.0
# Seconds to wait for the first connections when the app opens the database.
OPEN_TIMEOUT = 30.0
Pool = AsyncConnectionPool[psycopg.AsyncConnection[Any]]
T = TypeVar("T")
# Settings of the app's own connections, for the statements a page runs:
# - one process per statement: a page wants its first rows at once, which parallel workers
#   only delay;
# - no JIT compilation. PostgreSQL compiles a statement whose estimated cost passes
#   jit_above_cost, and a feed page's estimate does once an archive holds some thousands of
#   photos (its batches' part is costed as if every photo were in one): with 20,000 photos
#   each feed page spent ~250 ms of the server's CPU compiling 320 functions, to run a plan
#   that takes ~1 ms. Compiling pays for long reports, never for a web page's statements.
SESSION_OPTIONS = "-c max_parallel_workers_per_gather=0 -c jit=off"


def session_options(url: str) -> str:
    """The `options` the app's connections start with: SESSION_OPTIONS, then any the URL
    gives (`?options=...`), which come later and so win where both set the same one."""
    given = conninfo_to_dict(url).get("options") or ""
    return f"{SESSION_OPTIONS} {given}".strip()


class DatabaseUnavailable(RuntimeError):
    """The server could not be reached or refused us; the message names it without a password."""


def _lock_lost(name: str) -> LockLost:
    """What the holder of a lock lost with its session raises: to the person, what an outage
    says (the lock's name is the code's, a digest for an upload's); the name goes to the log."""
    log.warning("the lock %r went with the database's connection; what it guarded stopped", name)
    return LockLost(DOWN, retry_after=RETRY_AFTER)


class SQLiteOnly(RuntimeError):
    """Asked of PostgreSQL what only the SQLite backend does (a file copy, PRAGMA checks)."""


def _bound(sql: str, params: Params) -> tuple[str, Params]:
    refuse_nul(params)  # reads too: the server refuses such text even in a comparison
    # Parameters always go along, even none: psycopg then reads `%%` as the `%` it stands for.
    return rewrite(sql, isinstance(params, dict)), params


async def _fetch(
    conn: psycopg.AsyncConnection[Any], sql: str, params: Params, replanned: bool = False
) -> list[PgRow]:
    query, values = _bound(sql, params)
    # A statement is prepared once it has run a few times (psycopg's default), which saves
    # planning it again; one `replanned` (a search: see Backend.fetch_replanned) never is.
    prepare = False if replanned else None
    with neutral_errors():
        async with conn.cursor(row_factory=pg_rows) as cursor:
            await cursor.execute(query, values, prepare=prepare)
            return await cursor.fetchall() if has_rows(cursor) else []


class PostgresDatabase:
    """All SQL goes through here when `PHOTOARCHIVE_DATABASE_URL` names PostgreSQL.

    Satisfies `photoarchive.db.protocol.Backend`."""

    def __init__(self, url: str, pool_size: int = 10, shown_as: str = "PostgreSQL") -> None:
        self._url = url  # holds the password: never logged, never part of a message
        self.shown_as = shown_as
        self._pool_size = pool_size
        self._pool: Pool | None = None
        # Named locks hold connections of their own: a holder goes on to open transactions,
        # which must never wait for a connection that another holder keeps (see `lock`).
        self._lock_pool: Pool | None = None
        self.search = PostgresSearch()
        self.query_count = 0  # observed by tests that check pages cost a fixed number of queries
        self._outage = Outage(url, shown_as)
        self._retired: set[asyncio.Task[None]] = set()  # pools of a server that went away

    def __repr__(self) -> str:
        return f"PostgresDatabase({self.shown_as!r})"

    async def open(self) -> None:
        # One connection first, for the migrations: a wrong address or password then fails at
        # once with the server's reason, rather than after the pool's patient retries.
        try:
            first = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        except psycopg.OperationalError as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise DatabaseUnavailable(f"cannot use {self.shown_as}: {reason}") from None
        async with first:
            await pg_migrations.migrate(first)
        try:
            await self._start_pools()
        except BaseException:
            await self.close()
            raise

    async def _start_pools(self) -> None:
        async def configure(conn: psycopg.AsyncConnection[Any]) -> None:
            adapt(conn.adapters)

        def pool(name: str, min_size: int) -> Pool:
            return AsyncConnectionPool(
                self._url,
                min_size=min_size,
                max_size=self._pool_size,
                # (Searches are never prepared: see _fetch.)
                kwargs={
                    "autocommit": True,
                    "options": session_options(self._url),
                    **keepalive(self._url),
                },
                configure=configure,
                timeout=POOL_TIMEOUT,
                open=False,
                name=name,
            )

        self._pool = pool("photoarchive", min(2, self._pool_size))
        self._lock_pool = pool("photoarchive-locks", 0)
        await self._pool.open(wait=True, timeout=OPEN_TIMEOUT)
        await self._lock_pool.open()

    async def _renew_pools(self) -> None:
        """New pools in place of those whose connections went with the server; the old ones
        close in the background, each connection as its request gives it back."""
        for old in (self._pool, self._lock_pool):
            if old is not None:
                task = asyncio.create_task(old.close())
                self._retired.add(task)
                task.add_done_callback(self._retired.discard)
        await self._start_pools()

    async def close(self) -> None:
        for pool in (self._lock_pool, self._pool):
            if pool is not None:
                await pool.close()
        self._pool = self._lock_pool = None
        await asyncio.gather(*self._retired, return_exceptions=True)

    @asynccontextmanager
    async def _connection(self, locks: bool = False) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection from a pool (the named locks' own if `locks`); `Unavailable` (503) at
        once while the server is out of reach, and when it goes while the connection is used."""
        if self._outage.down:
            await self._outage.back(self._renew_pools)
        pool = self._lock_pool if locks else self._pool
        assert pool is not None, "database is not open"
        try:
            async with pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            # Every connection the pool has in use for the whole timeout: load. (A server at
            # its connection limit refuses a probe too, so only a pool that has none, because
            # none could be opened, asks whether the server is there at all.)
            if pool.get_stats().get("pool_size", 0) or await self._outage.reachable():
                raise too_busy(self.shown_as, pool.name, pool.timeout) from None
            self._outage.lost(exc)
            raise unavailable() from None
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if contended(exc):  # the server is there: nothing to probe, pools kept
                log.warning("%s gave up a transaction: %s", self.shown_as, why(exc))
                raise unavailable(message=BUSY) from None
            if not connection_lost(exc):
                raise
            self._outage.lost(exc)
            raise unavailable() from None

    def data_version(self) -> int | None:
        """Never known here: another instance may have committed a moment ago, and telling
        that takes a trip to the server, which this synchronous question cannot wait for. So
        a cache keyed by it never answers with PostgreSQL; each read asks the server."""
        return None

    async def fetchall(self, sql: str, params: Params = ()) -> list[PgRow]:
        return await self._read(sql, params, replanned=False)

    async def _read(self, sql: str, params: Params, *, replanned: bool) -> list[PgRow]:
        self.query_count += 1

        async def once() -> list[PgRow]:
            async with self._connection() as conn:
                with first_statement():  # a read changes nothing: asking twice is safe
                    return await _fetch(conn, sql, params, replanned)

        return await self._outage.twice(once, self._check_pools)

    async def fetchone(self, sql: str, params: Params = ()) -> PgRow | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def fetch_indexed(self, sql: str, params: Params = ()) -> list[PgRow]:
        """See `Backend.fetch_indexed`: the server answers either way, so a plain read."""
        return await self.fetchall(sql, params)

    async def fetch_by_key(self, sql: str, params: Params = ()) -> PgRow | None:
        return await self.fetchone(sql, params)

    async def fetch_replanned(self, sql: str, params: Params = ()) -> list[PgRow]:
        """See `Backend.fetch_replanned`: never prepared, so planned with its values."""
        return await self._read(sql, params, replanned=True)

    async def _entered(
        self, stack: AsyncExitStack, opening: Callable[[], AbstractAsyncContextManager[T]]
    ) -> T:
        """`opening()` entered on `stack`, again on another connection if its first statement
        found the one it had ended while idle (pg_outage.py `Outage.twice`)."""
        return await self._outage.twice(
            lambda: stack.enter_async_context(opening()), self._check_pools
        )

    async def _check_pools(self) -> None:
        """Idle connections tested, those the server ended replaced (psycopg's pool check);
        nothing while an outage is known: its end starts the pools afresh (and a pool being
        started cannot be checked yet)."""
        if self._outage.down:
            return
        for pool in (self._pool, self._lock_pool):
            if pool is not None:
                await pool.check()

    @asynccontextmanager
    async def _begun(self, snapshot: bool) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        async with self._connection() as conn:
            with neutral_errors(), first_statement() as first:  # (COMMIT checks deferred keys)
                async with conn.transaction():
                    if snapshot:
                        await conn.execute(
                            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                        )
                    first.done = True
                    yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write transaction on a connection of its own; rolled back if the block raises.
        Writers do not exclude each other here: a rule that needs one at a time says so with
        `Transaction.lock`."""
        async with AsyncExitStack() as stack:
            conn = await self._entered(stack, lambda: self._begun(snapshot=False))
            yield PostgresTransaction(self, conn)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Reader]:
        """Reads that all see the database as it was at the first of them, while other
        instances go on writing: one read-only REPEATABLE READ transaction."""
        async with AsyncExitStack() as stack:
            conn = await self._entered(stack, lambda: self._begun(snapshot=True))
            yield PostgresTransaction(self, conn)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    @asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        """The named lock (see `Backend.lock`): a session advisory lock, on a connection kept
        for the block, from a pool of their own: holders that all wait for a transaction's
        connection while keeping the ones transactions need would wait for ever. A connection
        whose lock could not be given back cleanly is closed, not returned to the pool:
        closing its session is what releases every lock it held."""
        async with AsyncExitStack() as stack:
            conn = await self._entered(stack, lambda: self._locked(name))
            watch = LockWatch(conn, self._outage.lost)  # it may end, and the lock with it
            try:
                yield
            except BaseException:
                watch.stop()
                if watch.lost is None:
                    raise
                watch.settle()  # whatever the block raised on its way out, this is why
                raise _lock_lost(name) from watch.lost
            watch.stop()
            if watch.lost is not None:
                watch.settle()
                raise _lock_lost(name) from watch.lost

    @asynccontextmanager
    async def _locked(self, name: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection of the locks' pool holding the session advisory lock `name` for the
        block, given back cleanly after it; else closed, not returned to the pool: closing
        its session is what releases every lock it held."""
        key = lock_key(name)
        async with self._connection(locks=True) as conn:
            clean = False
            try:
                with first_statement():
                    await conn.execute("SELECT pg_advisory_lock(%s)", (key,))
                yield conn
                await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                clean = True
            finally:
                if not clean:
                    await conn.close()

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        return int(await self.fetchval("SELECT MAX(version) FROM schema_migrations") or 0)

    async def integrity_check(self) -> list[str]:
        """["ok"] once the server answers, as SQLite's PRAGMA says of a sound file: PostgreSQL
        checks its own pages as it reads them (amcheck or pg_dump look deeper)."""
        await self.fetchval("SELECT 1")
        return ["ok"]

    async def missing_references(self) -> list[tuple[str, str]]:
        """None ever: PostgreSQL enforces every reference as it writes (SQLite may have been
        written with its foreign keys off)."""
        return []

    async def backup_to(self, dest: Path) -> NoReturn:
        raise SQLiteOnly(
            "A PostgreSQL database is not a file: `photoarchive backup` copies it into a SQLite"
            " snapshot (ops/backup.py); pg_dump backs it up as PostgreSQL."
        )


class PostgresTransaction:
    """Satisfies `photoarchive.db.protocol.Transaction`."""

    def __init__(self, db: PostgresDatabase, conn: psycopg.AsyncConnection[Any]) -> None:
        self._db = db
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        self._db.query_count += 1
        query, values = _bound(sql, params)
        with neutral_errors():
            cursor = await self._conn.execute(query, values)
            return cursor.rowcount

    async def fetchall(self, sql: str, params: Params = ()) -> Sequence[PgRow]:
        self._db.query_count += 1
        return await _fetch(self._conn, sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> PgRow | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def lock(self, name: str) -> None:
        """Held until this transaction commits or rolls back (see `Transaction.lock`)."""
        await self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(name),))


if TYPE_CHECKING:  # checked by mypy: the PostgreSQL classes keep the seam's promises

    def _is_backend(db: PostgresDatabase) -> Backend:
        return db

    def _is_transaction(tx: PostgresTransaction) -> Transaction:
        return tx
