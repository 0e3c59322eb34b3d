"""A row id written as text (a path segment, a query parameter, a form field, a list's key): the
one reading of it that every layer shares.

An id is plain decimal digits, as the app writes them: no sign, no leading zero, no space, no
decimal point or exponent, no other script's digits (all of which Python's int() would take),
and within what a row id can be. Any other spelling names no row, so `1.0`, `+1` and `01` are
never taken for the photo, album or comment with id 1.
"""

from __future__ import annotations

import re

from photoarchive.db.sqlite import MAX_ROWID

_DECIMAL = re.compile(r"[1-9][0-9]{0,18}")


def row_id(text: object) -> int | None:
    """The id `text` writes, or None when it is not one."""
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_ROWID else None
