"""What people are called: cards and comments name a member by display name, else by username,
so no member may come to be called what another already is.

Names are compared as a person reads them, in Python rather than in SQL: SQLite's LOWER folds
only A to Z (to it, 'Émile' and 'ÉMILE' are two names, and PostgreSQL's LOWER says one), and
neither engine folds full-width letters (a full-width 'Grandma' reads as 'Grandma').
"""

from __future__ import annotations

import unicodedata

from photoarchive.db import Reader

CALLED_SO = "Another member is already called that."


def name_key(name: str) -> str:
    """What two names are compared by: case and compatibility forms aside."""
    return unicodedata.normalize("NFKC", name).casefold()


async def taken(db: Reader, name: str, *, other_than: int | None = None) -> bool:
    """Whether an account other than `other_than` goes by `name`, as username or display name.
    Every account is read: an archive has a family's accounts, not a town's."""
    wanted = name_key(name)
    rows = await db.fetchall("SELECT id, username, display_name FROM users")
    return any(
        row["id"] != other_than
        and wanted in (name_key(row["username"]), name_key(row["display_name"] or ""))
        for row in rows
    )
