"""What PostgreSQL needs done to the app's SQL and its answers: `?` spelt as psycopg's `%s`,
rows readable by position and by name, and SQLite's way with numbers and booleans kept."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from psycopg import AsyncCursor, Cursor
from psycopg.adapt import AdaptersMap, Loader
from psycopg.pq import ExecStatus
from psycopg.rows import RowMaker
from psycopg.types.numeric import Int8Dumper

# Outside quoted text and comments `?` is a parameter and `::` a cast, not a named parameter;
# `%` is doubled everywhere, as psycopg reads its own placeholders even inside literals.
_TOKENS = re.compile(
    r"'(?:[^']|'')*'"  # a string literal
    r'|"(?:[^"]|"")*"'  # a quoted identifier
    r"|--[^\n]*"  # a comment to the end of the line
    r"|/\*.*?\*/"  # a block comment
    r"|::"
    r"|:(?P<name>[A-Za-z_]\w*)"
    r"|[?%]",
    re.DOTALL,
)


@lru_cache(maxsize=1024)
def rewrite(sql: str, named: bool = False) -> str:
    """`sql` with SQLite's parameters (`?`, or `:name` for a dict of them) as psycopg's."""

    def spell(match: re.Match[str]) -> str:
        found = match.group(0)
        if found == "?":
            return "%s"
        if found[0] in "'\"-/%":  # psycopg reads `%` even in quoted text and comments
            return found.replace("%", "%%")
        if match.group("name") is not None:
            return f"%({match.group('name')})s" if named else found
        return found

    return _TOKENS.sub(spell, sql)


def lock_key(name: str) -> int:
    """A named lock as the signed 64-bit number PostgreSQL's advisory locks take."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), signed=True)


class PgRow:
    """One row, by position (`row[0]`, `Photo(*row)`) or by column name (`row["id"]`), as
    sqlite3.Row reads: satisfies `photoarchive.db.protocol.Row`."""

    __slots__ = ("_columns", "_values")

    def __init__(self, values: Sequence[Any], columns: Columns) -> None:
        self._values = tuple(values)
        self._columns = columns  # shared by every row of one result

    def __getitem__(self, key: int | str | slice, /) -> Any:
        if isinstance(key, str):
            return self._values[self._columns.position[key]]
        return self._values[key]

    def __len__(self) -> int:
        return len(self._values)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PgRow):
            return self._values == other._values and self.keys() == other.keys()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return f"PgRow({list(zip(self._columns.names, self._values, strict=True))!r})"

    def keys(self) -> list[str]:
        return list(self._columns.names)


def pg_rows(cursor: AsyncCursor[Any] | Cursor[Any]) -> RowMaker[PgRow]:
    """psycopg's row factory for PgRow. The names are read from the result itself: the cursor's
    `description` makes an object of every column of every result, which cost more than the
    rest of a key lookup (a photo's media request reads some fifty columns)."""
    result = cursor.pgresult
    names = () if result is None else tuple(map(result.fname, range(result.nfields)))
    columns = _columns(names, cursor.connection.info.encoding)
    return lambda values: PgRow(values, columns)


class Columns(NamedTuple):
    """The names of a result's columns, in order, and where each is (a name twice: the first,
    as sqlite3.Row reads it)."""

    names: tuple[str, ...]
    position: dict[str, int]


@lru_cache(maxsize=1024)
def _columns(fnames: tuple[bytes | None, ...], encoding: str) -> Columns:
    # The same for every result with these columns: a statement's, each time it runs.
    names = tuple("" if name is None else name.decode(encoding) for name in fnames)
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        index.setdefault(name, position)
    return Columns(names, index)


def has_rows(cursor: AsyncCursor[Any] | Cursor[Any]) -> bool:
    """Whether the statement just run answered with rows (a SELECT, or RETURNING), without
    asking for the cursor's `description` (see pg_rows)."""
    result = cursor.pgresult
    return result is not None and result.status == ExecStatus.TUPLES_OK


class _BoolAsInteger(Int8Dumper):
    """True and False as 1 and 0: the schema keeps flags in INTEGER columns, as SQLite does."""

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class _WholeNumbers(Loader):
    """numeric as SQLite gives it: an int when whole (SUM of integers is numeric here), a float
    otherwise (AVG). The app stores no decimals of its own."""

    def load(self, data: Any) -> int | float:
        number = Decimal(bytes(data).decode())
        return int(number) if number == number.to_integral_value() else float(number)


def adapt(adapters: AdaptersMap) -> None:
    """Teach a connection (or a pool's connections) SQLite's numbers and booleans."""
    adapters.register_dumper(bool, _BoolAsInteger)
    adapters.register_loader("numeric", _WholeNumbers)
