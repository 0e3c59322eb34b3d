"""The database seam: everything above it talks to the archive's database through these names.

`protocol.py` says what may be asked of any backend (reads, a write transaction, named locks,
a change counter, engine-neutral integrity errors, full-text search). `sqlite.py` is the default
engine (one writer under a lock, a pool of readers, WAL), with its migrations in `migrations/`
and its search in `search.py`; `locks.py` gives it named locks that other processes on the same
file honour too. `postgres.py` is the other (a connection pool, advisory locks; `pg_sql.py`
adapts the SQL, `pg_search.py` searches, `pg_migrations.py` runs `migrations_pg/`).
`engine.py` picks one from the settings. `catalog.py` lists the tables, keys and references
of either, for tools that handle every table alike (`db copy`). `row_ids.py` reads a row id
written as text, the one way every layer does.
"""

from photoarchive.db.engine import AppDatabase, build_database
from photoarchive.db.file_errors import sqlite_file_errors
from photoarchive.db.postgres import DatabaseUnavailable, PostgresDatabase, SQLiteOnly
from photoarchive.db.protocol import (
    Backend,
    ForeignKeyViolation,
    IntegrityError,
    LockLost,
    Params,
    Reader,
    Row,
    TextSearch,
    Transaction,
    UniqueViolation,
)
from photoarchive.db.row_ids import row_id
from photoarchive.db.search import Phrase
from photoarchive.db.sqlite import (
    MAX_ROWID,
    Database,
    SQLiteTransaction,
    migrations,
    placeholders,
)

__all__ = [
    "MAX_ROWID",
    "AppDatabase",
    "Backend",
    "Database",
    "DatabaseUnavailable",
    "ForeignKeyViolation",
    "IntegrityError",
    "LockLost",
    "Params",
    "Phrase",
    "PostgresDatabase",
    "Reader",
    "Row",
    "SQLiteOnly",
    "SQLiteTransaction",
    "TextSearch",
    "Transaction",
    "UniqueViolation",
    "build_database",
    "migrations",
    "placeholders",
    "row_id",
    "sqlite_file_errors",
]
