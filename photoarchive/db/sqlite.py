"""The one door to SQLite: a write connection under a lock, a small pool of readers, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from photoarchive.db.file_errors import FILE_CODES, file_error, result_code, sqlite_file_errors
from photoarchive.db.locks import named_lock
from photoarchive.db.migration_files import numbered
from photoarchive.db.protocol import (
    Backend,
    ForeignKeyViolation,
    IntegrityError,
    Params,
    Reader,
    Transaction,
    UniqueViolation,
    refuse_nul,
)
from photoarchive.db.search import FTS5Search
from photoarchive.errors import InsufficientStorage

BUSY_TIMEOUT_MS = 10_000
# How much engine work a read on the event loop's thread may do before it gives up and goes to
# a reader thread (see fetch_by_key): a key lookup needs a few hundred steps, a scan far more.
KEY_LOOKUP_STEPS = 5_000
# The largest id SQLite can store; binding a larger Python int raises OverflowError.
MAX_ROWID = 2**63 - 1
DISK_FULL = (
    "The server's disk is full, so this was not saved. Whoever runs the archive needs to free "
    "some space; everything saved before is safe."
)


@contextmanager
def _neutral_errors() -> Iterator[None]:
    """sqlite3's integrity errors as the seam's own, so nobody above `db/` imports sqlite3."""
    try:
        yield
    except sqlite3.IntegrityError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code in (sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY):
            raise UniqueViolation(str(exc)) from exc
        if code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
            raise ForeignKeyViolation(str(exc)) from exc
        raise IntegrityError(str(exc)) from exc


class _KeyLookups:
    """A read-only connection used on the event loop's thread (see `Backend.fetch_by_key`).

    It never waits for a lock (busy_timeout 0) and interrupts its own query past
    KEY_LOOKUP_STEPS engine steps; either way the caller gets sqlite3.OperationalError and
    asks a reader thread instead. So a query that turns out slow costs the loop at most a few
    hundred microseconds, once."""

    CHECK_EVERY = 100  # engine steps between two calls of the progress handler

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA busy_timeout = 0")
        self._conn.execute("PRAGMA query_only = ON")
        self._checks = 0
        self._conn.set_progress_handler(self._over_budget, self.CHECK_EVERY)

    def _over_budget(self) -> bool:
        self._checks += 1
        return self._checks * self.CHECK_EVERY > KEY_LOOKUP_STEPS

    def fetchall(self, sql: str, params: Params) -> list[sqlite3.Row]:
        self._checks = 0
        # All rows: the statement runs to its end and is reset, ending its read transaction.
        return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self._conn.close()


class Database:
    """All SQL goes through here. Writes are serialised and use `BEGIN IMMEDIATE`.

    Satisfies `photoarchive.db.protocol.Backend`."""

    def __init__(self, path: Path, readers: int = 3) -> None:
        self.path = path
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._write_lock = asyncio.Lock()
        self._watcher: sqlite3.Connection | None = None
        self._keyed: _KeyLookups | None = None
        self.search = FTS5Search()
        self.query_count = 0  # observed by tests that check pages cost a fixed number of queries

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            await conn.close()
            raise
        return conn

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            await self._open()
        except BaseException as exc:
            # A start that fails (an upgrade that cannot run, an unreadable file) must leave no
            # connection behind: each has a thread that would keep the process from exiting.
            # Closing the writer also rolls back a half-run migration.
            for conn in [*self._all_readers, *([self._writer] if self._writer else [])]:
                with contextlib.suppress(Exception):
                    await conn.close()
            self._all_readers.clear()
            self._readers = asyncio.Queue()
            self._writer = None
            # A file that cannot be used (a full disk, not a database): said with its name.
            if isinstance(exc, InsufficientStorage) or (
                isinstance(exc, sqlite3.Error) and result_code(exc) in FILE_CODES
            ):
                raise file_error(exc, self.path) from exc
            raise

    async def _open(self) -> None:
        self._writer = await self._connect()
        await self._writer.execute("PRAGMA journal_mode = WAL")
        await self._migrate(self._writer)
        for _ in range(self._reader_count):
            conn = await self._connect()
            await conn.execute("PRAGMA query_only = ON")
            self._all_readers.append(conn)
            self._readers.put_nowait(conn)
        # Never waits (busy_timeout 0) and never writes: it only asks whether anything changed.
        self._watcher = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._watcher.execute("PRAGMA busy_timeout = 0")
        self._keyed = _KeyLookups(self.path)

    def data_version(self) -> int | None:
        """A number that changes whenever anything is committed, by this process or another;
        None when SQLite cannot tell right now. Synchronous on purpose: it reads the shared WAL
        index (about 15 us), far less than a trip to a reader thread."""
        if self._watcher is None:
            return None
        try:
            return self._watcher.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            return None

    async def close(self) -> None:
        if self._keyed is not None:
            self._keyed.close()
            self._keyed = None
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        for conn in self._all_readers:
            await conn.close()
        self._all_readers.clear()
        self._readers = asyncio.Queue()
        if self._writer is not None:
            # Only statistics: a full disk refusing them must not keep the connection open.
            with contextlib.suppress(sqlite3.Error):
                await self._writer.execute("PRAGMA optimize")
            await self._writer.close()
            self._writer = None

    async def _migrate(self, conn: aiosqlite.Connection) -> None:
        async with conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = row[0] if row else 0
        for version, sql in migrations():
            if version <= current:
                continue
            if version >= COLUMNS_ONCE_FROM:
                sql = await _without_present_columns(conn, sql)
            # executescript commits first; the explicit BEGIN makes each migration atomic.
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
            )

    @asynccontextmanager
    async def _reader(self) -> AsyncIterator[aiosqlite.Connection]:
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        self.query_count += 1
        # One trip to the connection's thread for execute, fetch and close: each trip costs
        # several times what a typical indexed read costs SQLite itself.
        async with self._reader() as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row, for queries that return one (a lookup by key, an aggregate)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def fetch_indexed(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """See `Backend.fetch_indexed`: on this thread when SQLite can answer at once."""
        if self._keyed is not None:
            try:
                rows = self._keyed.fetchall(sql, params)
            except sqlite3.OperationalError:
                pass  # past its budget, or the file is busy: a reader thread may wait
            else:
                self.query_count += 1
                return rows
        return await self.fetchall(sql, params)

    async def fetch_by_key(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetch_indexed(sql, params)
        return rows[0] if rows else None

    async def fetch_replanned(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """See `Backend.fetch_replanned`: SQLite plans a statement as it prepares it."""
        return await self.fetchall(sql, params)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Reader]:
        """Reads that all see the database as it was at the first of them, while writers go
        on (a read transaction on a reader: WAL keeps its pages), for a copy of the whole."""
        async with self._reader() as conn:
            await conn.execute("BEGIN")
            try:
                yield SQLiteTransaction(self, conn)  # a reader: query_only refuses writes
            finally:
                await conn.execute("ROLLBACK")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Serialised write transaction; rolled back if the block raises."""
        assert self._writer is not None, "database is not open"
        writer = self._writer
        async with self._write_lock:
            try:
                await writer.execute("BEGIN IMMEDIATE")
                yield SQLiteTransaction(self, writer)
                with _neutral_errors():  # a deferred constraint is checked at COMMIT
                    await asyncio.shield(writer.execute("COMMIT"))
            except BaseException as exc:
                # Also when cancelled while BEGIN was queued: the writer thread still runs it, so
                # a ROLLBACK queued after it (and shielded from a second cancel) keeps the next
                # transaction from finding one already open.
                with contextlib.suppress(sqlite3.Error):
                    await asyncio.shield(writer.execute("ROLLBACK"))
                if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                    raise InsufficientStorage(DISK_FULL) from None
                raise

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; returns the affected row count."""
        async with self.transaction() as tx:
            return await tx.execute(sql, params)

    def lock(self, name: str) -> contextlib.AbstractAsyncContextManager[None]:
        """The named lock (see `Backend.lock`), shared with every process using this file.
        Never taken inside a transaction: its holder may be waiting for the write lock."""
        return named_lock(self.path.with_name(self.path.name + "-locks"), name)

    async def integrity_check(self) -> list[str]:
        return [row[0] for row in await self.fetchall("PRAGMA integrity_check")]

    async def missing_references(self) -> list[tuple[str, str]]:
        """(table, referred table) for each row that refers to a row that does not exist."""
        return [(row[0], row[2]) for row in await self.fetchall("PRAGMA foreign_key_check")]

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        return int(await self.fetchval("PRAGMA user_version"))

    async def backup_to(self, dest: Path) -> None:
        """Consistent online copy of the database, taken while writers keep going."""
        assert self._writer is not None
        with sqlite_file_errors():  # the copy's own disk or folder failed
            target = await aiosqlite.connect(dest)
            try:
                async with self._write_lock:  # never copy a transaction of ours half-way
                    await self._writer.backup(target)
            finally:
                await target.close()


class SQLiteTransaction:
    """Satisfies `photoarchive.db.protocol.Transaction`."""

    def __init__(self, db: Database, conn: aiosqlite.Connection) -> None:
        self._db = db
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        self._db.query_count += 1
        refuse_nul(params)  # what PostgreSQL cannot keep is not written here either
        with _neutral_errors():
            async with self._conn.execute(sql, params) as cursor:
                return cursor.rowcount

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        # All rows at once: an `INSERT ... RETURNING` has done its write only once read out.
        self._db.query_count += 1
        refuse_nul(params)
        with _neutral_errors():
            async with self._conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def lock(self, name: str) -> None:
        """Nothing to take: this transaction began with `BEGIN IMMEDIATE`, so it is already
        the only writer of the file, in this process and every other, until it ends."""


# From this migration on, a column a file adds is left out when it is there already, so that
# the file runs again on an archive whose user_version was rewound, as 0022's on always could
# (SQLite has no ADD COLUMN IF NOT EXISTS). Earlier files still refuse such an archive.
COLUMNS_ONCE_FROM = 27
_ADD_COLUMN = re.compile(r"^ALTER TABLE (\w+) ADD COLUMN (\w+)\b[^;]*;[ \t]*$", re.M | re.I)


async def _without_present_columns(conn: aiosqlite.Connection, sql: str) -> str:
    for statement in list(_ADD_COLUMN.finditer(sql)):
        table, column = statement.groups()
        async with conn.execute(
            "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", (table, column)
        ) as cursor:
            if await cursor.fetchone() is not None:
                sql = sql.replace(statement.group(0), "", 1)
    return sql


def migrations() -> Iterable[tuple[int, str]]:
    """Numbered SQL files in `photoarchive/db/migrations`, in order."""
    return numbered("migrations")


def placeholders(count: int) -> str:
    """`?, ?, ?` for an IN list of bound parameters."""
    return ", ".join("?" * count)


if TYPE_CHECKING:  # checked by mypy: the SQLite classes keep the seam's promises

    def _is_backend(db: Database) -> Backend:
        return db

    def _is_transaction(tx: SQLiteTransaction) -> Transaction:
        return tx
