"""The cursor of a list kept in an order of its own (an album's, a person's favorites): the sort
key and the photo id of the last row shown, opaque to the client. No HTTP here."""

from __future__ import annotations

import base64
import json

from photoarchive.db import MAX_ROWID
from photoarchive.errors import BadRequest

# No cursor written here is longer (a sort key of at most 100 characters and a row id); the
# API's own bound on the parameter is this one.
CURSOR_MAX = 200


def encode(key: str, photo_id: int) -> str:
    raw = json.dumps([key, photo_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> tuple[str, int] | None:
    """None for no cursor; BadRequest for one this module did not write."""
    if cursor in (None, ""):
        return None
    assert cursor is not None
    if len(cursor) > CURSOR_MAX:
        raise BadRequest("The cursor is not valid.", field="cursor")
    try:
        key, photo_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, RecursionError):  # RecursionError: JSON nested deep
        raise BadRequest("The cursor is not valid.", field="cursor") from None
    if not isinstance(key, str) or not isinstance(photo_id, int) or not 0 < photo_id <= MAX_ROWID:
        raise BadRequest("The cursor is not valid.", field="cursor")
    if not _storable(key):
        raise BadRequest("The cursor is not valid.", field="cursor")
    return key, photo_id


def _storable(key: str) -> bool:
    """Whether `key` is text a database can be asked about: JSON can spell a lone surrogate
    (which has no UTF-8) and a NUL (which PostgreSQL text cannot hold); no key written here
    has either, and either would fail the query rather than find nothing."""
    if "\x00" in key:
        return False
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
