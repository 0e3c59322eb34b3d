"""Search: the photos a viewer may see right now whose words match a query (search_query.py
reads the query), newest date taken first (upload time where the camera gave none), a keyset
on (that date, photo id). No HTTP here.

What a word may match: a photo's caption, its comments (whoever sees a photo sees its
comments), its original file name, camera and lens, and the titles of the albums holding it
that the viewer is a member of. Every list is filtered by `access.visible_sql`; the location
filters (`has:location`, `place:`) only ever match the viewer's own photos, or (`place:`) the
places of people who chose to show them while the archive keeps locations at all: where
someone else's photo was taken is never told, not even by which photos a filter lets through.
"""

from __future__ import annotations

from photoarchive.accounts.users import User
from photoarchive.db import Phrase
from photoarchive.db.search import Field
from photoarchive.library import access, cursors, photos
from photoarchive.library.photos import Photo
from photoarchive.library.search_query import Filter, Query, parse
from photoarchive.services import Services

_DATE = "COALESCE(p.taken_at, p.created_at)"
_NOTHING: tuple[str, list[object]] = ("1 = 0", [])
_ALBUMS_OF_MEMBER = (
    "SELECT ap.photo_id FROM album_photos ap JOIN album_members am"
    " ON am.album_id = ap.album_id AND am.user_id = ? WHERE ap.album_id IN ({})"
)
_PLACE = (
    "p.id IN (SELECT pl.photo_id FROM photo_places pl WHERE ' ' || LOWER(COALESCE(pl.city, '')"
    " || ' ' || COALESCE(pl.region, '') || ' ' || COALESCE(pl.country, '') || ' '"
    " || COALESCE(pl.country_code, '')) LIKE ? ESCAPE '\\')"
)


def _in_albums(svc: Services, account: User | None, phrase: Phrase) -> tuple[str, list[object]]:
    """Photos in an album the viewer is a member of whose title holds `phrase`."""
    if account is None:
        return _NOTHING
    titled, params = svc.db.search.albums_titled(phrase)
    return "p.id IN (" + _ALBUMS_OF_MEMBER.format(titled) + ")", [account.id, *params]


def _words(svc: Services, account: User | None, phrase: Phrase) -> tuple[str, list[object]]:
    text, params = svc.db.search.photos_with(phrase)
    titles, more = _in_albums(svc, account, phrase)
    if titles == _NOTHING[0]:
        return f"p.id IN ({text})", params
    return f"(p.id IN ({text}) OR {titles})", [*params, *more]


def _like_word(value: str) -> str:
    """A LIKE pattern for `value` at the start of a word (escaped: `%` and `_` are literal)."""
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"% {escaped}%"


def _filter(svc: Services, account: User | None, f: Filter) -> tuple[str, list[object]]:
    me = None if account is None else account.id
    if f.name == "from":
        return "p.owner_id IN (SELECT id FROM users WHERE username_key = ?)", [f.value]
    if f.name in ("camera", "lens"):
        field: Field = "camera" if f.name == "camera" else "lens"
        text, params = svc.db.search.photos_with(Phrase(f.value), field)
        return f"p.id IN ({text})", params
    if f.name in ("year", "month", "after", "before"):
        parts, params = [], []
        if f.since:
            parts.append(f"{_DATE} >= ?")
            params.append(f.since)
        if f.until:
            parts.append(f"{_DATE} < ?")
            params.append(f.until)
        return "(" + " AND ".join(parts) + ")", params
    if f.name == "type":
        return "p.content_type = ?", [f.value]
    if f.name == "album":
        return _in_albums(svc, account, Phrase(f.value, prefix=False))
    if f.name == "is" and f.value == "private":
        return "EXISTS (SELECT 1 FROM private_photos pp WHERE pp.photo_id = p.id)", []
    if me is None:  # the rest are about the viewer's own: a guest has none
        return _NOTHING
    if f.name == "is":  # favorite: the viewer's own marks
        return "EXISTS (SELECT 1 FROM favorites f WHERE f.user_id = ? AND f.photo_id = p.id)", [me]
    if f.name == "has":  # location: coordinates are their owner's alone to know
        return "(p.owner_id = ? AND p.gps_lat IS NOT NULL)", [me]
    assert f.name == "place"
    if svc.settings.strip_location:
        return f"(p.owner_id = ? AND {_PLACE})", [me, _like_word(f.value)]
    shown = "EXISTS (SELECT 1 FROM place_sharing ps WHERE ps.user_id = p.owner_id)"
    return f"((p.owner_id = ? OR {shown}) AND {_PLACE})", [me, _like_word(f.value)]


def _where(svc: Services, viewer: User | None, query: Query) -> tuple[list[str], list[object]]:
    who = access.Viewer(viewer, public_view=svc.settings.public_view)
    visible, params = access.visible_sql(who)
    account = who.account
    # Archived photos are out of every list but their owner's (see library/archive.py).
    where = [visible]
    if account is None:
        where.append(photos.not_archived("p"))
    else:
        where.append(f"(p.owner_id = ? OR {photos.not_archived('p')})")
        params.append(account.id)
    parts = [(term.negated, *_words(svc, account, term.phrase)) for term in query.terms]
    parts += [(f.negated, *_filter(svc, account, f)) for f in query.filters]
    for negated, condition, more in parts:
        where.append(f"NOT {condition}" if negated else condition)
        params.extend(more)
    return where, params


async def page(
    svc: Services,
    viewer: User | None,
    q: str | None,
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> tuple[list[Photo], str | None]:
    """One page of the photos `viewer` may see that match `q`; Invalid (field `q`) for a query
    that cannot be read. Reading the archive was allowed before (access.may_read_archive)."""
    query = parse(q)
    size = photos.check_limit(limit)
    after = cursors.decode(cursor)
    if query.empty:
        return [], None
    where, params = _where(svc, viewer, query)
    if after is not None:
        where.append(f"({_DATE} < ? OR ({_DATE} = ? AND p.id < ?))")
        params += [after[0], after[0], after[1]]
    # A fixed column list, and conditions that are constant strings around subqueries from
    # the database seam and access.visible_sql: every value is bound.
    sql = (
        f"SELECT {photos.PHOTO_COLUMNS}, {_DATE} FROM photos p"  # noqa: S608
        " JOIN users u ON u.id = p.owner_id WHERE " + " AND ".join(where)
    )
    sql += f" ORDER BY {_DATE} DESC, p.id DESC LIMIT ?"
    rows = await svc.db.fetchall(sql, [*photos.reading_for(viewer), *params, size + 1])
    items = [photos.from_row(list(row)[:-1], viewer) for row in rows[:size]]
    next_cursor = cursors.encode(rows[size - 1][-1], items[-1].id) if len(rows) > size else None
    await photos.decorate(svc, items, viewer, with_comments=False)
    return items, next_cursor
