"""A photo's media request in one query: the session of its cookie or token, and the photo
read for that session's account. A photo's media is asked for thirty times a feed page, and a
second trip to a reader thread cost about as much as SQLite's work. No HTTP here; the access
decision is the caller's, once it knows who the viewer is.

Two reads of the photo: the whole photo (`find_with_session`: the media route, which may send
an original and name it), and only what a rendition needs (`find_rendition_with_session`: the
renditions' front door), which is what its access is decided by, written by the same SQL, and
what names the file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from photoarchive.accounts import sessions
from photoarchive.accounts.sessions import Session
from photoarchive.library import photos
from photoarchive.library.photos import Photo
from photoarchive.services import Services


@dataclass(frozen=True, slots=True)
class Rendition:
    """A photo as its thumbnail or preview is decided and named by (access.Seen, and the
    storage key and version of its renditions)."""

    id: int
    owner_id: int
    sha256: str
    tag: str
    private: bool
    album_member: int | None
    trashed: bool
    rotation: int


# The fields above, in order, read for the session's account (`s.user_id`).
_RENDITION_COLUMNS = (
    f"p.id, p.owner_id, p.sha256, p.tag, {photos.PRIVATE_SQL},"
    f" {photos.album_member_sql('s.user_id')}, {photos.TRASHED_SQL}, {photos.ROTATION_SQL}"
)
_RENDITION_WIDTH = len(Rendition.__dataclass_fields__)


def _sql(photo_columns: str, photo_join: str) -> str:
    """A session by token hash and kind, and a photo by id: one row always (NULLs for either
    that is not there). Each side is an inner join of its own, so that both are looked up by
    key whatever the statistics say (a LEFT JOIN chain let SQLite scan a small users table)."""
    # Fixed column lists and joins; the token's hash and the id are bound.
    return (
        f"SELECT {sessions.COLUMNS}, {photo_columns} FROM (SELECT 1) AS one"  # noqa: S608
        " LEFT JOIN (sessions s JOIN users su ON su.id = s.user_id)"
        " ON s.token_hash = ? AND s.kind = ?"
        f" LEFT JOIN {photo_join} ON p.id = ?"
    )


def media_lookup_sql() -> str:
    return _sql(photos.SESSION_PHOTO_COLUMNS, "(photos p JOIN users u ON u.id = p.owner_id)")


def rendition_lookup_sql() -> str:
    return _sql(_RENDITION_COLUMNS, "photos p")


async def _lookup(
    svc: Services, sql: str, width: int, photo_id: int, token: str, kind: str
) -> tuple[Session | None, Sequence[Any]]:
    row = await svc.db.fetch_by_key(sql, (sessions.lookup_hash(token), kind, photo_id))
    assert row is not None  # one row always: every table is joined to the constant one
    # The two halves share column names (id, username, created_at...): a name must never be
    # looked up across the whole row, or the viewer could be read from the photo's columns.
    values = list(row)
    cut = len(values) - width
    session_part = dict(zip(row.keys()[:cut], values[:cut], strict=True))
    settings = svc.settings
    session = await sessions.live(
        svc.db, session_part, settings.session_idle_seconds, settings.session_max_seconds
    )
    return session, values[cut:]


async def find_with_session(
    svc: Services, photo_id: int, token: str, kind: str
) -> tuple[Session | None, Photo | None]:
    """The live session `token` names, and the photo read for that session's account (not yet
    decided: the caller asks access.decide)."""
    session, part = await _lookup(
        svc, media_lookup_sql(), photos.PHOTO_WIDTH, photo_id, token, kind
    )
    return session, None if part[0] is None else photos.from_row(part, None)


async def find_rendition_with_session(
    svc: Services, photo_id: int, token: str, kind: str
) -> tuple[Session | None, Rendition | None]:
    """As `find_with_session`, with only what a rendition of the photo needs."""
    session, part = await _lookup(
        svc, rendition_lookup_sql(), _RENDITION_WIDTH, photo_id, token, kind
    )
    if part[0] is None:
        return session, None
    id_, owner_id, sha256, tag, private, member, trashed, rotation = part
    return session, Rendition(
        id_, owner_id, sha256, tag, bool(private), member, bool(trashed), rotation
    )
