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

from collections.abc import Sequence

from photoarchive.accounts.users import User
from photoarchive.db import Phrase, Row
from photoarchive.library import access, cursors, photos
from photoarchive.library.photos import Photo
from photoarchive.library.search_query import Filter, Query, parse
from photoarchive.services import Services

_DATE = "COALESCE(p.taken_at, p.created_at)"
_NOTHING: tuple[str, list[object]] = ("1 = 0", [])
# At least this many photos hold the words: results are then found by walking photos newest
# first and keeping those that match (a page fills within a few thousand steps); fewer, and
# the matching photos are read by id and put in order (never more than this many to sort).
MANY = 2000
# The first window of photos looked through when many match (see `_windowed`).
WINDOW = 2000
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


def _matches(
    svc: Services, account: User | None, phrase: Phrase, ids: tuple[int, int] | None = None
) -> tuple[str, list[object]]:
    """Photos whose own words hold `phrase` (of those between `ids`, if given), or that are
    in an album of the viewer's whose title does."""
    text, params = svc.db.search.photos_with([phrase], ids=ids)
    if account is None or phrase.field is not None:
        return f"p.id IN ({text})", params
    titles, more = _in_albums(svc, account, phrase)
    return f"(p.id IN ({text}) OR {titles})", [*params, *more]


def _like_word(value: str) -> str:
    """A LIKE pattern for `value` at the start of a word (escaped: `%` and `_` are literal)."""
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"% {escaped}%"


def _filter(svc: Services, account: User | None, f: Filter) -> tuple[str, list[object]]:
    me = None if account is None else account.id
    if f.name == "from":
        return "p.owner_id IN (SELECT id FROM users WHERE username_key = ?)", [f.value]
    if f.name in ("year", "month", "after", "before"):
        parts: list[str] = []
        params: list[object] = []
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
    if f.name == "place" and not svc.settings.strip_location:
        # Whose places the viewer may know is access.place_sql's to say, as on /places.
        allowed, params = access.place_sql(access.Viewer(account, svc.settings.public_view))
        return f"({allowed} AND {_PLACE})", [*params, _like_word(f.value)]
    if me is None:  # the rest are about the viewer's own: a guest has none
        return _NOTHING
    if f.name == "is":  # favorite: the viewer's own marks
        return "EXISTS (SELECT 1 FROM favorites f WHERE f.user_id = ? AND f.photo_id = p.id)", [me]
    if f.name == "has":  # location: coordinates are their owner's alone to know
        return "(p.owner_id = ? AND p.gps_lat IS NOT NULL)", [me]
    # place: with locations stripped: none are kept after start (places.run); those an
    # archive still holds until then are their owner's alone.
    assert f.name == "place"
    return f"(p.owner_id = ? AND {_PLACE})", [me, _like_word(f.value)]


def _phrases(query: Query, negated: bool) -> list[Phrase]:
    """The words and phrases (not) left out, and `camera:` and `lens:` (which only a photo's
    own words can hold)."""
    found = [term.phrase for term in query.terms if term.negated == negated]
    for f in query.filters:
        if f.name in ("camera", "lens") and f.negated == negated:
            found.append(Phrase(f.value, field="camera" if f.name == "camera" else "lens"))
    return found


async def _candidates(
    svc: Services,
    account: User | None,
    wanted: list[Phrase],
    unwanted: list[Phrase],
    ids: tuple[int, int] | None,
) -> tuple[str, list[object], bool]:
    """One condition that holds for every photo that has all of `wanted` and none of
    `unwanted`: the photos whose own words say so (one question to the index), or else (a
    word may be in an album's title instead) those in the viewer's albums titled with any of
    the words wanted that hold each. Written so that the database starts from the matching
    photos when they are few, and walks photos newest first when they are many (see MANY).
    What is left out by an album's title is left out by the caller. With `ids` (many match),
    only the photos' own words between those ids are asked for. The last value: many match."""
    text, params = svc.db.search.photos_with(wanted, unwanted, ids)
    many = True
    if ids is None:
        # A bound LIMIT around the index's own subquery: counting stops at MANY.
        found = await svc.db.fetchval(f"SELECT COUNT(*) FROM ({text} LIMIT ?) m", [*params, MANY])  # noqa: S608
        many = found >= MANY
    driver = "+p.id" if many else "p.id"  # a unary plus keeps the planner off the id
    titled = [] if account is None else [p for p in wanted if p.field is None]
    if not titled:
        return f"{driver} IN ({text})", params, many
    anywhere = [_in_albums(svc, account, p) for p in titled]
    # With one word, being in an album titled with it is all the second branch asks.
    each = [] if len(wanted) == 1 else [_matches(svc, account, p, ids) for p in wanted]
    for phrase in unwanted:  # the index's own answer left these out already
        left_out, more = svc.db.search.photos_with([phrase], ids=ids)
        each.append((f"NOT p.id IN ({left_out})", more))
    condition = (
        f"({driver} IN ({text}) OR (("
        + " OR ".join(c for c, _ in anywhere)
        + ")"
        + "".join(f" AND {c}" for c, _ in each)
        + "))"
    )
    values = [*params, *(v for _, m in anywhere for v in m), *(v for _, m in each for v in m)]
    return condition, values, many


async def _where(
    svc: Services, viewer: User | None, query: Query, ids: tuple[int, int] | None = None
) -> tuple[list[str], list[object], bool]:
    """The conditions a result meets, their parameters, and whether many photos' own words
    match (see `_candidates`)."""
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
    wanted, unwanted = _phrases(query, negated=False), _phrases(query, negated=True)
    parts: list[tuple[str, list[object]]] = []
    many = False
    if wanted:
        condition, more, many = await _candidates(svc, account, wanted, unwanted, ids)
        parts.append((condition, more))
        # A photo whose words lack a word left out may still be in an album titled with it.
        parts += [
            (f"NOT {c}", m)
            for c, m in (_in_albums(svc, account, p) for p in unwanted if p.field is None)
            if c != _NOTHING[0]
        ]
    else:
        parts += [(f"NOT {c}", m) for c, m in (_matches(svc, account, p) for p in unwanted)]
    for f in query.filters:
        if f.name not in ("camera", "lens"):
            condition, more = _filter(svc, account, f)
            parts.append((f"NOT {condition}" if f.negated else condition, more))
    for condition, more in parts:
        where.append(condition)
        params.extend(more)
    return where, params, many


def _after(after: tuple[str, int] | None) -> tuple[list[str], list[object]]:
    """The keyset condition of the rows after a cursor's."""
    if after is None:
        return [], []
    # The first part lets an index on the date start where the last page ended.
    return [f"{_DATE} <= ? AND ({_DATE} < ? OR p.id < ?)"], [after[0], after[0], after[1]]


async def _rows(
    svc: Services, viewer: User | None, where: list[str], params: list[object], size: int
) -> Sequence[Row]:
    # The page's ids are chosen and put in order first, and only the page's photos are read in
    # full: the columns (a dozen lookups each) are not worked out for every match sorted.
    # A fixed column list, and conditions that are constant strings around subqueries from
    # the database seam and access.visible_sql: every value is bound.
    chosen = (
        "SELECT p.id FROM photos p WHERE "  # noqa: S608
        + " AND ".join(where)
        + f" ORDER BY {_DATE} DESC, p.id DESC LIMIT ?"
    )
    sql = (
        f"SELECT {photos.PHOTO_COLUMNS}, {_DATE} FROM photos p"  # noqa: S608
        f" JOIN users u ON u.id = p.owner_id WHERE p.id IN ({chosen})"
        f" ORDER BY {_DATE} DESC, p.id DESC"
    )
    return await svc.db.fetchall(sql, [*photos.reading_for(viewer), *params, size + 1])


async def _window(
    svc: Services, after: tuple[str, int] | None, until: str | None, width: int
) -> tuple[int, int, str, int] | None:
    """The next `width` photos in the results' order (dated before `until`, if given),
    whoever may see them: their smallest and largest ids, and the date and id of the last;
    None when fewer are left."""
    keyset, params = _after(after)
    if until is not None:
        keyset.append(f"{_DATE} < ?")
        params.append(until)
    where = (" WHERE " + " AND ".join(keyset)) if keyset else ""
    # Constant strings; every value is bound.
    ordered = f"FROM photos p{where} ORDER BY {_DATE} DESC, p.id DESC LIMIT ?"
    last_sql = f"SELECT p.id, {_DATE} {ordered} OFFSET ?"
    last = await svc.db.fetchone(last_sql, [*params, 1, width - 1])
    if last is None:
        return None
    span_sql = f"SELECT MIN(w.id), MAX(w.id) FROM (SELECT p.id {ordered}) w"  # noqa: S608
    span = await svc.db.fetchone(span_sql, [*params, width])
    assert span is not None  # an aggregate: one row always
    return int(span[0]), int(span[1]), str(last[1]), int(last[0])


async def _windowed(
    svc: Services, viewer: User | None, query: Query, after: tuple[str, int] | None, size: int
) -> Sequence[Row] | None:
    """When many photos match: the page from the next photos in order alone, a window that
    widens until it holds a page. Where ids follow dates (photos uploaded as they are taken)
    the index then reads only the ids of the window, not every match in the archive. None
    when the window grew to all that is left (the caller asks the whole question)."""
    # Results are dated before the earliest `until` of the date filters: the window starts there.
    bounds = [f.until for f in query.filters if f.until and not f.negated]
    until = min(bounds) if bounds else None
    width = WINDOW
    while (edge := await _window(svc, after, until, width)) is not None:
        low, high, last_date, last_id = edge
        where, params, _ = await _where(svc, viewer, query, ids=(low, high))
        keyset, more = _after(after)
        where += [*keyset, f"({_DATE} > ? OR ({_DATE} = ? AND p.id >= ?))"]
        rows = await _rows(
            svc, viewer, where, [*params, *more, last_date, last_date, last_id], size
        )
        if len(rows) > size:
            return rows
        width *= 4
    return None


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
    where, params, many = await _where(svc, viewer, query)
    rows = await _windowed(svc, viewer, query, after, size) if many else None
    if rows is None:
        keyset, more = _after(after)
        rows = await _rows(svc, viewer, [*where, *keyset], [*params, *more], size)
    items = [photos.from_row(list(row)[:-1], viewer) for row in rows[:size]]
    next_cursor = cursors.encode(rows[size - 1][-1], items[-1].id) if len(rows) > size else None
    await photos.decorate(svc, items, viewer, with_comments=False)
    return items, next_cursor
