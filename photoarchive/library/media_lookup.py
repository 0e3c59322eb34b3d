"""A photo's media request in one query: the session of its cookie or token, and the photo
read for that session's account. A photo's media is asked for thirty times a feed page, and a
second trip to a reader thread cost about as much as SQLite's work. No HTTP here; the access
decision is the caller's, once it knows who the viewer is."""

from __future__ import annotations

from photoarchive.accounts import sessions
from photoarchive.accounts.sessions import Session
from photoarchive.library import photos
from photoarchive.library.photos import Photo
from photoarchive.services import Services


def media_lookup_sql() -> str:
    """A session by token hash and kind, and a photo by id: one row always (NULLs for either
    that is not there). Each side is an inner join of its own, so that both are looked up by
    key whatever the statistics say (a LEFT JOIN chain let SQLite scan a small users table)."""
    # Fixed column lists; the token's hash and the id are bound.
    return (
        f"SELECT {sessions.COLUMNS}, {photos.SESSION_PHOTO_COLUMNS} FROM (SELECT 1) AS one"  # noqa: S608
        " LEFT JOIN (sessions s JOIN users su ON su.id = s.user_id)"
        " ON s.token_hash = ? AND s.kind = ?"
        " LEFT JOIN (photos p JOIN users u ON u.id = p.owner_id) ON p.id = ?"
    )


async def find_with_session(
    svc: Services, photo_id: int, token: str, kind: str
) -> tuple[Session | None, Photo | None]:
    """The live session `token` names, and the photo read for that session's account (not yet
    decided: the caller asks access.decide)."""
    row = await svc.db.fetch_by_key(
        media_lookup_sql(), (sessions.lookup_hash(token), kind, photo_id)
    )
    assert row is not None  # one row always: every table is joined to the constant one
    # The two halves share column names (id, username, created_at...): a name must never be
    # looked up across the whole row, or the viewer could be read from the photo's columns.
    values = list(row)
    cut = len(values) - photos.PHOTO_WIDTH
    session_part = dict(zip(row.keys()[:cut], values[:cut], strict=True))
    settings = svc.settings
    session = await sessions.live(
        svc.db, session_part, settings.session_idle_seconds, settings.session_max_seconds
    )
    photo_part = values[cut:]
    return session, None if photo_part[0] is None else photos.from_row(photo_part, None)
