"""Which backend an archive's settings name: the SQLite file (the default) or PostgreSQL."""

from __future__ import annotations

from photoarchive.database_url import is_postgres, shown
from photoarchive.db.postgres import PostgresDatabase
from photoarchive.db.sqlite import Database
from photoarchive.settings import Settings

# What the app holds: a Backend (protocol.py) that can also be opened and closed, and counts
# its queries. Operator tools that only SQLite has (file backup, PRAGMA checks) take Database.
AppDatabase = Database | PostgresDatabase


def build_database(settings: Settings, readers: int = 3) -> AppDatabase:
    """The database `PHOTOARCHIVE_DATABASE_URL` names; `readers` is SQLite's reader pool."""
    if is_postgres(settings.database_url):
        url = settings.database_url
        return PostgresDatabase(url, settings.database_pool, shown_as=shown(url))
    return Database(settings.database_path, readers=readers)
