"""The database seam: everything above it talks to the archive's database through these names.

`protocol.py` says what may be asked of any backend (reads, a write transaction, named locks,
a change counter, engine-neutral integrity errors). `sqlite.py` is the engine today (one writer
under a lock, a pool of readers, WAL), with its migrations in `migrations/`; `locks.py` gives it
named locks that other processes on the same file honour too.
"""

from photoarchive.db.protocol import (
    Backend,
    ForeignKeyViolation,
    IntegrityError,
    Params,
    Reader,
    Row,
    TextSearch,
    Transaction,
    UniqueViolation,
)
from photoarchive.db.search import Phrase
from photoarchive.db.sqlite import MAX_ROWID, Database, SQLiteTransaction, migrations, placeholders

__all__ = [
    "MAX_ROWID",
    "Backend",
    "Database",
    "ForeignKeyViolation",
    "IntegrityError",
    "Params",
    "Phrase",
    "Reader",
    "Row",
    "SQLiteTransaction",
    "TextSearch",
    "Transaction",
    "UniqueViolation",
    "migrations",
    "placeholders",
]
