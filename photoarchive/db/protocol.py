"""What the code above `db/` may ask of a database, whichever engine keeps it.

Everything here is engine-neutral: rows read by position or by name, a write transaction,
named locks, a change counter and the integrity errors. `sqlite.py` implements it today; a
PostgreSQL backend would implement the same names (see `Backend.lock` and `Transaction.lock`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol

from photoarchive.errors import Invalid, Unavailable

if TYPE_CHECKING:
    from photoarchive.db.search import Phrase

# Bound parameters, `?` in the SQL text: a backend that spells them otherwise rewrites them.
Params = Sequence[Any] | dict[str, Any]

NUL_TEXT = (
    "Text cannot hold the invisible character U+0000 (NUL), and what was sent has one:"
    " remove it and try again."
)


def refuse_nul(params: Params) -> None:
    """Invalid (422) when a text value holds U+0000. PostgreSQL's text cannot store it, so
    both engines refuse it alike: a person gets a reason rather than a 500, and an archive's
    text always fits either engine (`db copy`). Bytes may hold anything."""
    for value in params.values() if isinstance(params, dict) else params:
        if isinstance(value, str) and "\x00" in value:
            raise Invalid(NUL_TEXT)


class IntegrityError(Exception):
    """A constraint refused a write; raised by every backend in place of its own error."""


class UniqueViolation(IntegrityError):
    """A row with the same unique key already exists."""


class ForeignKeyViolation(IntegrityError):
    """A row refers to one that does not exist (often: deleted a moment ago)."""


class LockLost(Unavailable):
    """A named lock (`Backend.lock`) went from its holder while it was held: the work it
    guarded was stopped at its next await, and may be started again, taking the lock afresh.
    PostgreSQL: its session ended (the server restarted, the connection broke)."""


class Row(Protocol):
    """One result row: by position (`row[0]`, `Photo(*row)`) or by column name (`row["id"]`)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...

    def keys(self) -> list[str]: ...


class Reader(Protocol):
    """Reads, on the database or inside a transaction."""

    async def fetchall(self, sql: str, params: Params = ()) -> Sequence[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchval(self, sql: str, params: Params = ()) -> Any: ...


class Transaction(Reader, Protocol):
    """One write transaction: everything in it commits together or not at all."""

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows it changed. New ids come back
        through `INSERT ... RETURNING id` and `fetchval`."""
        ...

    async def lock(self, name: str) -> None:
        """Hold the named lock until this transaction ends: two transactions that lock the
        same name never overlap. Say it where a rule needs one writer at a time (a count
        checked then added to, the first account becoming admin).

        SQLite: nothing more to do, a write transaction already excludes every other writer
        of the file. PostgreSQL: `SELECT pg_advisory_xact_lock(<64-bit hash of name>)`."""
        ...


class TextSearch(Protocol):
    """Full-text search: subqueries of the ids that hold a phrase, for the domain to combine
    (library/search.py). SQLite: FTS5 tables kept up by triggers (db/search.py). PostgreSQL:
    `tsvector` columns or tables kept up the same way, `unaccent` and `:*` for prefixes."""

    def photos_with(
        self,
        phrases: Sequence[Phrase],
        without: Sequence[Phrase] = (),
        days: tuple[int, int] | None = None,
    ) -> tuple[str, list[object]]: ...

    def newest_first(
        self, phrases: Sequence[Phrase], without: Sequence[Phrase], days: tuple[int, int]
    ) -> tuple[str, list[object]]: ...

    def day_of(self, stamp: str) -> int | None: ...

    def day_ordered(self) -> str: ...

    def albums_titled(self, phrase: Phrase) -> tuple[str, list[object]]: ...


class Backend(Reader, Protocol):
    """The database as the domain sees it."""

    @property
    def search(self) -> TextSearch:
        """Full-text search, in this engine's own words."""
        ...

    async def fetch_indexed(self, sql: str, params: Params = ()) -> Sequence[Row]:
        """The rows of a read that an index answers at once (a row by its key, the few rows
        of a keyset page, a page's likes by photo id), as `fetchall` gives them, possibly
        without leaving the event loop: the trip to a reader thread costs several times what
        such a read costs the engine. Never for a read that could scan or has no bound.

        SQLite: run on the calling thread, on a connection of its own that gives up (and sends
        the query to a reader thread after all) past a few thousand engine steps or when the
        file is busy. PostgreSQL: `fetchall`."""
        ...

    async def fetch_by_key(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of `fetch_indexed`, for a lookup by key."""
        ...

    async def fetch_replanned(self, sql: str, params: Params = ()) -> Sequence[Row]:
        """The rows of a read whose best plan depends on its values, as `fetchall` gives them,
        planned with those values each time it runs: a search, whose words may be in a few
        photos or in nearly all (which the planner reads from the engine's statistics).

        SQLite: `fetchall`. PostgreSQL: never a prepared statement, which would in time switch
        to a generic plan that guesses how common the words are."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A write transaction, rolled back if the block raises."""
        ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in a transaction of its own; returns the changed row count."""
        ...

    def lock(self, name: str) -> AbstractAsyncContextManager[None]:
        """Hold the named lock for the block, across any awaits, in every process that uses
        this database. For rules that span work outside the database (storage I/O), which
        must never happen inside a transaction: a slow store would stall every write.

        Take it before opening a transaction, never inside one, and one name at a time.
        SQLite: an in-process lock plus a byte-range lock on a file beside the database.
        PostgreSQL: `pg_advisory_lock` on a connection held for the block, then
        `pg_advisory_unlock`."""
        ...

    def data_version(self) -> int | None:
        """A number that changes whenever anything is committed, by any process; None when
        it cannot be told right now. Caches compare it to know whether they may answer."""
        ...
