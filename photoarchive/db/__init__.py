"""The database seam: everything above it talks to the archive's database through these names.

`sqlite.py` is the engine today (one writer under a lock, a pool of readers, WAL), with its
migrations in `migrations/`.
"""

from photoarchive.db.sqlite import MAX_ROWID, Database, Transaction, migrations, placeholders

__all__ = ["MAX_ROWID", "Database", "Transaction", "migrations", "placeholders"]
