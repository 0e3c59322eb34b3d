"""Everything a request could change, captured so a test can say that nothing did."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from tests.support import LiveServer, PgConnection

# Reading with a session refreshes its last_seen_at; that is bookkeeping, not a change.
# Opening one's notifications marks them read, the same kind of bookkeeping of having looked.
IGNORED_COLUMNS = {("sessions", "last_seen_at"), ("notifications", "read_at")}
# Every sign-up attempt counts against the client's budget, refused or not: bookkeeping too.
IGNORED_TABLES = {"signup_attempts"}


@dataclass(frozen=True)
class State:
    rows: dict[str, list[tuple[Any, ...]]]
    blobs: dict[str, int]
    temp_files: tuple[str, ...]

    def diff(self, other: State) -> list[str]:
        """Human-readable differences, empty when the two are the same."""
        found = []
        for table in sorted(set(self.rows) | set(other.rows)):
            before, after = self.rows.get(table, []), other.rows.get(table, [])
            if before != after:
                gone = [r for r in before if r not in after]
                new = [r for r in after if r not in before]
                found.append(f"{table}: removed {gone[:3]} added {new[:3]}")
        if self.blobs != other.blobs:
            found.append(f"blobs: {sorted(set(self.blobs) ^ set(other.blobs))[:5]}")
        if self.temp_files != other.temp_files:
            found.append(f"temp files: {other.temp_files}")
        return found


def _columns(server: LiveServer, conn: Any) -> dict[str, list[str]]:
    """Each table's columns, from whichever engine keeps the archive: on PostgreSQL from its
    catalogue; on SQLite as last listed for the file while its schema is unchanged (`PRAGMA
    schema_version` moves with every table made, altered or dropped): one query, where listing
    them took one a table."""
    if server.settings.database_url.startswith("postgresql:"):
        found: dict[str, list[str]] = {}
        for table, column in conn.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
            " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
        ).fetchall():
            found.setdefault(table, []).append(column)
        return found
    key = (str(server.settings.database_path), conn.execute("PRAGMA schema_version").fetchone()[0])
    if key not in _LISTED:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        _LISTED[key] = {
            table: [r[1] for r in conn.execute(f"PRAGMA table_info({table})")] for table in tables
        }
    return _LISTED[key]


# SQLite's columns by (file, schema version): see `_columns`.
_LISTED: dict[tuple[str, int], dict[str, list[str]]] = {}


# One connection to each PostgreSQL archive for its snapshots, reading in autocommit (each
# statement sees what is committed when it starts): connecting cost more than the rows.
_PG: dict[str, PgConnection] = {}


@contextmanager
def _reading(server: LiveServer) -> Iterator[Any]:
    url = server.settings.database_url
    if not url.startswith("postgresql:"):
        with server.db() as conn:
            yield conn
        return
    conn = _PG.get(url)
    if conn is None or conn.closed:
        conn = _PG[url] = PgConnection(url, autocommit=True)
    try:
        yield conn
    except psycopg.OperationalError:  # the server went away meanwhile: connect afresh next time
        _PG.pop(url, None)
        raise


def snapshot(server: LiveServer) -> State:
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with _reading(server) as conn:
        for table, all_columns in _columns(server, conn).items():
            if table in IGNORED_TABLES:
                continue
            columns = [c for c in all_columns if (table, c) not in IGNORED_COLUMNS]
            listed = ", ".join(columns)
            rows[table] = sorted(
                (tuple(r) for r in conn.execute(f"SELECT {listed} FROM {table}").fetchall()),
                key=repr,
            )
    root = server.settings.blob_dir
    blobs = {str(p.relative_to(root)): p.stat().st_size for p in server.blobs()}
    temps = tuple(str(p.relative_to(server.settings.tmp_dir)) for p in server.temp_files())
    return State(rows, blobs, temps)
