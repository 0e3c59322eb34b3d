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
from photoarchive.errors import Invalid
from photoarchive.library import access, cursors, photos, places, timeline
from photoarchive.library.photos import Photo
from photoarchive.library.search_query import Filter, Query, parse
from photoarchive.services import Services

_DATE = timeline.KEY  # date taken, else upload time on the archive's clock
_NOTHING: tuple[str, list[object]] = ("1 = 0", [])
# Fewer photos than this on the days a page can come from: they are walked by date when a word
# may be in an album's title (rather than every photo of the viewer's albums so titled read).
DATE_WALK = 500
_ALBUMS_OF_MEMBER = (
    "SELECT ap.photo_id FROM album_photos ap JOIN album_members am"
    " ON am.album_id = ap.album_id AND am.user_id = ? WHERE ap.album_id IN ({})"
)
# The same asked of one photo: its albums (a photo is in few) rather than every photo of every
# album so titled, which grows with the archive.
_IN_ALBUM_OF_MEMBER = (
    "EXISTS (SELECT 1 FROM album_photos ap JOIN album_members am"
    " ON am.album_id = ap.album_id AND am.user_id = ?"
    " WHERE ap.photo_id = p.id AND +ap.album_id IN ({}))"
)
# The photos whose place has words starting as `place:`'s do (folded: places.fold), or, quoted,
# those very words. Constant text; the pattern is bound.
_PLACE = "p.id IN (SELECT pw.photo_id FROM place_words pw WHERE pw.words LIKE ?)"


def _place(value: str, whole: bool) -> list[object]:
    """The parameter of `_PLACE` for `place:value`: its folded words in a place's, the last
    one the start of a word unless `whole` (none, so nothing found, when it has no letter or
    digit). A place's words each follow a space and end with one (places.words)."""
    folded = places.fold(value)
    return ["% " + " ".join(folded) + (" %" if whole else "%") if folded else None]


def _in_albums(
    svc: Services, account: User | None, phrase: Phrase, by_date: bool = False
) -> tuple[str, list[object]]:
    """Photos in an album the viewer is a member of whose title holds `phrase`; with
    `by_date`, asked of each photo walked (see `_candidates`)."""
    if account is None:
        return _NOTHING
    titled, params = svc.db.search.albums_titled(phrase)
    if by_date:
        return _IN_ALBUM_OF_MEMBER.format(titled), [account.id, *params]
    return "p.id IN (" + _ALBUMS_OF_MEMBER.format(titled) + ")", [account.id, *params]


def _matches(
    svc: Services,
    account: User | None,
    phrase: Phrase,
    days: tuple[int, int] | None = None,
    by_date: bool = False,
) -> tuple[str, list[object]]:
    """Photos whose own words hold `phrase` (of those indexed on `days`, if given), or that
    are in an album of the viewer's whose title does."""
    text, params = svc.db.search.photos_with([phrase], days=days)
    if account is None or phrase.field is not None:
        return f"p.id IN ({text})", params
    titles, more = _in_albums(svc, account, phrase, by_date)
    return f"(p.id IN ({text}) OR {titles})", [*params, *more]


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
        return f"({allowed} AND {_PLACE})", [*params, *_place(f.value, f.whole)]
    if me is None:  # the rest are about the viewer's own: a guest has none
        return _NOTHING
    if f.name == "is":  # favorite: the viewer's own marks
        return "EXISTS (SELECT 1 FROM favorites f WHERE f.user_id = ? AND f.photo_id = p.id)", [me]
    if f.name == "has":  # location: coordinates are their owner's alone to know
        return "(p.owner_id = ? AND p.gps_lat IS NOT NULL)", [me]
    # place: with locations stripped: none are kept after start (places.run); those an
    # archive still holds until then are their owner's alone.
    assert f.name == "place"
    return f"(p.owner_id = ? AND {_PLACE})", [me, *_place(f.value, f.whole)]


def _phrases(query: Query, negated: bool) -> list[Phrase]:
    """The words and phrases (not) left out, and `camera:` and `lens:` (which only a photo's
    own words can hold)."""
    found = [term.phrase for term in query.terms if term.negated == negated]
    for f in query.filters:
        if f.name in ("camera", "lens") and f.negated == negated:
            found.append(Phrase(f.value, field="camera" if f.name == "camera" else "lens"))
    return found


def _candidates(
    svc: Services,
    account: User | None,
    wanted: list[Phrase],
    unwanted: list[Phrase],
    days: tuple[int, int] | None,
    by_date: bool = False,
) -> tuple[str, list[object]]:
    """One condition that holds for every photo that has all of `wanted` and none of
    `unwanted`: the photos whose own words say so (one question to the index), or else (a
    word may be in an album's title instead) those in the viewer's albums titled with any of
    the words wanted that hold each. What is left out by an album's title is left out by the
    caller. With `days`, only photos indexed on those days are asked of the index: the caller
    keeps every photo it may find to those days. Written so that the database starts from the
    matching photos, or with `by_date` walks photos by date (the caller bounds the dates)."""
    text, params = svc.db.search.photos_with(wanted, unwanted, days)
    driver = "+p.id" if by_date else "p.id"  # a unary plus keeps the planner off the id
    titled = [] if account is None else [p for p in wanted if p.field is None]
    if not titled:
        return f"{driver} IN ({text})", params
    if len(wanted) == 1 and not by_date:
        return _one_of_two(svc, account, wanted[0], unwanted, days, (text, params))
    anywhere = [_in_albums(svc, account, p, by_date) for p in titled]
    # With one word, being in an album titled with it is all the second branch asks.
    each = [] if len(wanted) == 1 else [_matches(svc, account, p, days, by_date) for p in wanted]
    for phrase in unwanted:  # the index's own answer left these out already
        left_out, more = svc.db.search.photos_with([phrase], days=days)
        each.append((f"NOT p.id IN ({left_out})", more))
    condition = (
        f"({driver} IN ({text}) OR (("
        + " OR ".join(c for c, _ in anywhere)
        + ")"
        + "".join(f" AND {c}" for c, _ in each)
        + "))"
    )
    values = [*params, *(v for _, m in anywhere for v in m), *(v for _, m in each for v in m)]
    return condition, values


def _one_of_two(
    svc: Services,
    account: User | None,
    phrase: Phrase,
    unwanted: list[Phrase],
    days: tuple[int, int] | None,
    own: tuple[str, list[object]],
) -> tuple[str, list[object]]:
    """`_candidates` of one word: the photos whose own words say so (`own`) and those in the
    viewer's albums titled with it (less those whose words hold a word left out), as one list
    of ids, from which the database can start: of an OR of two lists PostgreSQL can only ask
    each photo of the days a page may come from."""
    assert account is not None
    titled, params = svc.db.search.albums_titled(phrase)
    albums = _ALBUMS_OF_MEMBER.format(titled)
    values: list[object] = [*own[1], account.id, *params]
    for left_out in unwanted:  # the index's own answer left these out already
        text, more = svc.db.search.photos_with([left_out], days=days)
        albums += f" AND NOT ap.photo_id IN ({text})"
        values += more
    return f"p.id IN ({own[0]} UNION {albums})", values


Part = tuple[str, list[object]]


def _where(
    svc: Services,
    viewer: User | None,
    query: Query,
    days: tuple[int, int] | None = None,
    by_date: bool = False,
    dated: bool = True,
) -> tuple[list[Part], Part | None]:
    """The conditions a result meets, with their parameters: all but the words wanted, and
    the condition of the words wanted (see `_candidates`), if any. Without `dated`, not the
    date filters that `_days` says exactly: for a caller whose photos all come from there."""
    who = access.Viewer(viewer, public_view=svc.settings.public_view)
    parts = [access.visible_sql(who)]
    account = who.account
    # Archived photos are out of every list but their owner's (see library/archive.py).
    if account is None:
        parts.append((photos.not_archived("p"), []))
    else:
        parts.append((f"(p.owner_id = ? OR {photos.not_archived('p')})", [account.id]))
    wanted, unwanted = _phrases(query, negated=False), _phrases(query, negated=True)
    candidates = None
    if wanted:
        candidates = _candidates(svc, account, wanted, unwanted, days, by_date)
        # A photo whose words lack a word left out may still be in an album titled with it:
        # asked of each photo the words let through (its few albums), not as the list of every
        # photo in the viewer's albums so titled, which grows with the archive.
        parts += [
            (f"NOT {c}", m)
            for c, m in (
                _in_albums(svc, account, p, by_date=True) for p in unwanted if p.field is None
            )
            if c != _NOTHING[0]
        ]
    else:
        parts += [(f"NOT {c}", m) for c, m in (_matches(svc, account, p) for p in unwanted)]
    for f in query.filters:
        if f.name not in ("camera", "lens") and (dated or not _on_days(svc, f)):
            condition, more = _filter(svc, account, f)
            parts.append((f"NOT {condition}" if f.negated else condition, more))
    return parts, candidates


def _joined(parts: list[Part]) -> tuple[list[str], list[object]]:
    return [c for c, _ in parts], [v for _, m in parts for v in m]


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
    return await svc.db.fetch_replanned(sql, [*photos.reading_for(viewer), *params, size + 1])


def _on_days(svc: Services, f: Filter) -> bool:
    """Whether `f` is a date filter that `_days` turns into days exactly: a photo dated by a
    stamp of the usual shape meets it exactly when it is on those days."""
    bounds = [b for b in (f.since, f.until) if b]
    return (
        f.name in ("year", "month", "after", "before")
        and not f.negated
        and all(svc.db.search.day_of(b) is not None for b in bounds)
    )


def _days(svc: Services, query: Query, after: tuple[str, int] | None) -> tuple[int, int]:
    """The days (YYYYMMDD, both included) the results can be on, by the date filters and the
    cursor: a stamp of another shape bounds nothing. `until` is left out (`before:` a day is
    not on it; the next month's start, 20220800, is no day)."""
    low, high = 0, 99991231
    for f in query.filters:
        if f.negated:
            continue
        since = svc.db.search.day_of(f.since) if f.since else None
        until = svc.db.search.day_of(f.until) if f.until else None
        low = max(low, since) if since is not None else low
        high = min(high, until - 1) if until is not None else high
    last = svc.db.search.day_of(after[0]) if after is not None else None
    return low, min(high, last) if last is not None else high


async def _by_day(
    svc: Services, viewer: User | None, query: Query, after: tuple[str, int] | None, size: int
) -> Sequence[Row]:
    """The page when words are wanted, in two short questions whatever the archive's size.
    First the index hands over the photos whose own words match, newest day first, and those
    that are results are counted until a page and one more: all of a page's results are then
    from that last one's day or later (a result found only by an album's title as well: the
    photos found by their words are enough to fill it). Then the page itself is read among
    the results of those days alone, in the exact order."""
    low, high = _days(svc, query, after)
    wanted, unwanted = _phrases(query, negated=False), _phrases(query, negated=True)
    # The driver hands over photos of those days alone, which meet the date filters: the
    # planner, asked them again, would count them twice and misjudge how many are found.
    others, _ = _where(svc, viewer, query, dated=False)
    keyset, more = _after(after)
    conditions, params = _joined(others)
    driver, first = svc.db.search.newest_first(wanted, unwanted, (low, high))
    # A subquery from the database seam and conditions as in `_rows`: every value is bound.
    counted = (
        f"SELECT w.day FROM ({driver}) w JOIN photos p ON p.id = w.photo_id WHERE "  # noqa: S608
        + " AND ".join([*conditions, *keyset])
        + " ORDER BY w.code DESC LIMIT ?"
    )
    found = await svc.db.fetch_replanned(counted, [*first, *params, *more, size + 1])
    since: list[str] = []
    if len(found) > size:
        low = int(found[-1][0])
        since = [f"{low // 10000:04d}-{low // 100 % 100:02d}-{low % 100:02d}"]
    # Few photos of any kind on those days: walk them by date (the photos in the viewer's
    # albums whose title holds a word are then asked of each, not read all); else start from
    # the matching photos.
    by_date = False
    titled = viewer is not None and any(p.field is None for p in wanted)
    if since and titled:
        # A constant condition (the cursor's); values bound. At most DATE_WALK index steps.
        few = f"SELECT COUNT(*) FROM (SELECT 1 FROM photos p WHERE {_DATE} >= ?"  # noqa: S608
        few += "".join(f" AND {c}" for c in keyset) + " LIMIT ?) w"
        counted_days = await svc.db.fetch_indexed(few, [*since, *more, DATE_WALK])
        by_date = counted_days[0][0] < DATE_WALK
    parts, candidates = _where(svc, viewer, query, (low, high), by_date)
    assert candidates is not None  # words are wanted
    # The words first: of the photos walked by date, those they let through are few, and
    # SQLite asks conditions with correlated subqueries in the order they are written.
    conditions, params = _joined([candidates, *parts])
    if since:  # every result found by an album's title too is kept to those days
        conditions.append(f"{_DATE} >= ?")
        params += since
    return await _rows(svc, viewer, [*conditions, *keyset], [*params, *more], size)


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
    rows = None
    # The index gives matches in the results' order, unless a stamp of another shape is there
    # (an index answers that at once: no trip to a reader thread).
    ordered = _phrases(query, negated=False) and await svc.db.fetch_by_key(
        svc.db.search.day_ordered()
    )
    if ordered and ordered[0]:
        rows = await _by_day(svc, viewer, query, after, size)
    if rows is None:
        parts, candidates = _where(svc, viewer, query)
        where, params = _joined([*parts, *([candidates] if candidates else [])])
        keyset, more = _after(after)
        rows = await _rows(svc, viewer, [*where, *keyset], [*params, *more], size)
    items = [photos.from_row(list(row)[:-1], viewer) for row in rows[:size]]
    next_cursor = cursors.encode(rows[size - 1][-1], items[-1].id) if len(rows) > size else None
    await photos.decorate(svc, items, viewer, with_comments=False)
    return items, next_cursor


def conditions(svc: Services, viewer: User | None, q: str) -> tuple[list[str], list[object]]:
    """What a photo meets to be a result of `q` for `viewer` (on the photos row `p`), and the
    parameters: a list that walks the results another way (library/neighbours.py) asks this.
    Invalid (field `q`) for a query that cannot be read or asks for nothing."""
    query = parse(q)
    if query.empty:
        raise Invalid("Type something to search for.", field="q")
    parts, candidates = _where(svc, viewer, query)
    return _joined([*parts, *([candidates] if candidates else [])])
