"""Upload batches: the photos one person added together, shown in the feed as one entry.

A batch is made by an adding, not by the clock: one Upload on the upload page (its files come
in several requests, and again when retried, all carrying the page's token), one API request
with several files, one `photoarchive import` run. A photo joins its batch in the transaction
that inserts it (`ingest.add`); a duplicate joins nothing. A client's token is only ever
matched for the same owner and for `TOKEN_WINDOW_SECONDS` after its batch began, so an old
or guessed token can attach photos to nobody else's batch, nor to a batch of long ago.

The feed lists entries newest first: a photo added alone, or a batch, placed where its newest
photo is. It pages by that place (keyset), so a batch is never split across pages and no photo
shows twice. Each photo keeps its own page, likes and comments; only the photos the viewer may
see in the feed (`access.visible_sql`, family photos) count and show, chosen and counted by the
database, and a batch with one of those is shown as that photo alone.

The caption given to a whole upload is the batch's own (`batch_captions`): its post and its
page show it to whoever sees more than one of its photos (and to its owner), whatever becomes
of its photos' captions (each photo is given it too, as its own, to change on its page). An
import run, captioned photo by photo, gives its batch none.
No HTTP here.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import MAX_ROWID, Backend, Transaction
from photoarchive.errors import Forbidden, Invalid, NotFound
from photoarchive.library import access, captions, photos
from photoarchive.library.photos import Photo
from photoarchive.services import Services

TOKEN_MAX = 64
TOKEN_WINDOW_SECONDS = 6 * 3600
MOSAIC = 4  # the photos a batch's feed entry shows; the rest are counted ("+21")
BATCH_GONE = "That batch does not exist (or none of its photos are left)."
_TOKEN_RE = re.compile(rf"[A-Za-z0-9_-]{{1,{TOKEN_MAX}}}")
_CLIENT, _SERVER = "c:", "s:"


@dataclass(frozen=True, slots=True)
class Adding:
    """The photos being added together: the batch they join is found or begun by its token."""

    token: str  # as stored: a client's token and a server-made one never meet
    caption: str = ""  # given to the whole upload (checked: captions.check_caption)

    @property
    def from_client(self) -> bool:
        return self.token.startswith(_CLIENT)


def client_adding(raw: str | None, caption: str = "") -> Adding | None:
    """The adding a client's token names (None without one); a malformed token is refused."""
    if raw is None or raw == "":
        return None
    if not _TOKEN_RE.fullmatch(raw):
        raise Invalid(
            f"The batch token must be 1 to {TOKEN_MAX} letters, digits, '-' or '_'.",
            field="batch",
        )
    return Adding(_CLIENT + raw, caption)


def new_adding(caption: str = "") -> Adding:
    """A batch of the server's own: one API request, one import run."""
    return Adding(_SERVER + secrets.token_hex(16), caption)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def join(tx: Transaction, owner: User, adding: Adding, photo_id: int) -> int:
    """Put the new photo `photo_id` of `owner` in the batch of `adding`; its id."""
    # Two requests of one Upload may arrive together: the second must find the first's batch.
    await tx.lock(f"batch:{owner.id}:{adding.token}")
    now = clock.now()
    since = _iso(now - TOKEN_WINDOW_SECONDS) if adding.from_client else ""
    batch_id = await tx.fetchval(
        "SELECT id FROM photo_batches WHERE owner_id = ? AND token = ? AND created_at >= ?"
        " ORDER BY created_at DESC LIMIT 1",
        (owner.id, adding.token, since),
    )
    if batch_id is None:
        batch_id = await tx.fetchval(
            "INSERT INTO photo_batches (owner_id, token, created_at) VALUES (?, ?, ?) RETURNING id",
            (owner.id, adding.token, _iso(now)),
        )
    await tx.execute(
        "INSERT INTO batch_photos (photo_id, batch_id) VALUES (?, ?)", (photo_id, batch_id)
    )
    if adding.caption:  # every request of an Upload brings it; the first one's stays
        await tx.execute(
            "INSERT INTO batch_captions (batch_id, caption) VALUES (?, ?)"
            " ON CONFLICT (batch_id) DO NOTHING",
            (batch_id, adding.caption),
        )
    return int(batch_id)


@dataclass
class Entry:
    """One item of the feed: a photo added alone, or a batch of which the viewer may see more
    than one photo: its newest few (`MOSAIC`, newest first) and the totals of all of those."""

    key: int  # its place in the feed: the id of its newest photo
    photos: list[Photo] = field(default_factory=list)  # a batch's: the first `MOSAIC`
    batch_id: int | None = None
    count: int = 1  # the photos of it the viewer may see
    likes: int = 0  # on those photos, for a batch
    comments: int = 0
    caption: str = ""  # a batch's: the caption given to its whole upload

    @property
    def photo(self) -> Photo:
        return self.photos[0]

    @property
    def is_batch(self) -> bool:
        return self.count > 1

    @property
    def mosaic(self) -> list[Photo]:
        return self.photos[:MOSAIC]

    @property
    def more(self) -> int:
        return max(0, self.count - MOSAIC)

    @property
    def like_count(self) -> int:
        return self.likes if self.is_batch else self.photo.like_count

    @property
    def comment_count(self) -> int:
        return self.comments if self.is_batch else self.photo.comment_count


def _in_feed(who: access.Viewer, photo: str) -> tuple[str, list[object]]:
    """The feed is the family's: family photos the viewer may see, not archived. Private photos
    are on their owner's profile and in albums; a camera roll imported privately floods no
    feed; an archived photo is in its albums and on its owner's /archive."""
    visible, params = access.visible_sql(who, photo)
    # The alias is a constant of this module (checked by visible_sql); nothing else is text.
    family = f" AND NOT EXISTS (SELECT 1 FROM private_photos fp WHERE fp.photo_id = {photo}.id)"  # noqa: S608
    return visible + family + " AND " + photos.not_archived(photo), params


def feed_sql(who: access.Viewer, start: int, size: int) -> tuple[str, list[object]]:
    """The first `size` entries placed at or before photo id `start`, and the parameters:
    `(key, batch_id, count, likes, comments, caption, photo...)` rows, entry by entry, newest first. An entry's place is a photo of no batch, or
    the newest photo of a batch the viewer sees in the feed; the scan by id steps over a
    batch's other photos. A batch brings its newest `MOSAIC` photos and its totals, counted
    in the database: a batch of thousands reads no more rows than one of five."""
    p_cond, p_params = _in_feed(who, "p")
    q_cond, q_params = _in_feed(who, "q")
    # Conditions from access.visible_sql and a fixed column list; every value is bound.
    sql = (
        "WITH entries (key, batch_id) AS ("  # noqa: S608
        " SELECT p.id, bp.batch_id FROM photos p"
        " LEFT JOIN batch_photos bp ON bp.photo_id = p.id"
        f" WHERE p.id <= ? AND {p_cond} AND (bp.batch_id IS NULL OR p.id ="
        " (SELECT x.photo_id FROM batch_photos x JOIN photos q ON q.id = x.photo_id"
        f" WHERE x.batch_id = bp.batch_id AND {q_cond} ORDER BY x.photo_id DESC LIMIT 1))"
        " ORDER BY p.id DESC LIMIT ?),"
        # Counted from the page's batches outwards: joined from `entries`, SQLite chose to
        # scan every photo of the archive (bench: 10,600 steps a page, now 4,600).
        " totals (batch_id, n, likes, comments) AS ("
        " SELECT x.batch_id, COUNT(*), SUM(q.like_count), SUM(q.comment_count)"
        " FROM batch_photos x JOIN photos q ON q.id = x.photo_id"
        f" WHERE {q_cond} AND x.batch_id IN"
        " (SELECT batch_id FROM entries WHERE batch_id IS NOT NULL) GROUP BY x.batch_id)"
        f" SELECT e.key, e.batch_id, 1, 0, 0, '', {photos.PHOTO_COLUMNS} FROM entries e"
        " JOIN photos p ON p.id = e.key JOIN users u ON u.id = p.owner_id"
        " WHERE e.batch_id IS NULL"
        " UNION ALL"
        " SELECT e.key, e.batch_id, t.n, t.likes, t.comments, COALESCE(bc.caption, ''),"
        f" {photos.PHOTO_COLUMNS}"
        " FROM entries e JOIN totals t ON t.batch_id = e.batch_id"
        " LEFT JOIN batch_captions bc ON bc.batch_id = e.batch_id"
        " JOIN photos p ON p.id IN (SELECT x.photo_id FROM batch_photos x"
        f" JOIN photos q ON q.id = x.photo_id WHERE x.batch_id = e.batch_id AND {q_cond}"
        " ORDER BY x.photo_id DESC LIMIT ?)"
        " JOIN users u ON u.id = p.owner_id"
        " ORDER BY 1 DESC, 7 DESC"
    )
    reading = photos.reading_for(who.user)
    # In the order the statement binds them.
    return sql, [
        start,
        *p_params,
        *q_params,
        size,
        *q_params,
        *reading,
        *reading,
        *q_params,
        MOSAIC,
    ]


async def feed_page(
    svc: Services, viewer: User | None, *, cursor: str | None = None, limit: int | None = None
) -> tuple[list[Entry], str | None]:
    """One page of the feed's entries, newest first, in a fixed number of queries."""
    size = photos.check_limit(limit)
    before = photos.parse_cursor(cursor)
    who = access.Viewer(viewer, svc.settings.public_view)
    start = MAX_ROWID if before is None else before - 1
    rows = await svc.db.fetch_indexed(*feed_sql(who, start, size + 1))
    places: list[int] = []
    found: dict[int, Entry] = {}
    for row in rows:
        key = row[0]
        if key not in found:
            places.append(key)
            found[key] = Entry(
                key,
                batch_id=row[1],
                count=row[2],
                likes=row[3],
                comments=row[4],
                caption=row[5],
            )
        found[key].photos.append(photos.from_row(row[6:], viewer))
    shown = places[:size]
    next_cursor = str(shown[-1]) if len(places) > size else None
    entries = [found[key] for key in shown]
    # Likes and the latest comments for the cards of single photos; a batch shows totals.
    await photos.decorate(
        svc, [e.photo for e in entries if not e.is_batch], viewer, with_comments=True
    )
    return entries, next_cursor


# Photo ids asked about in one statement: well under either engine's limit on bound values.
IDS_PER_QUERY = 500


async def of_photos(db: Backend, photo_ids: Sequence[int]) -> dict[int, int]:
    """The batch each of the photos is in, by photo id (a photo sent alone is in none). Any
    number of ids: they are asked about IDS_PER_QUERY at a time."""
    found: dict[int, int] = {}
    for start in range(0, len(photo_ids), IDS_PER_QUERY):
        part = tuple(photo_ids[start : start + IDS_PER_QUERY])
        marks = ", ".join("?" * len(part))
        rows = await db.fetchall(
            # Only placeholders are put in; every id is bound.
            f"SELECT photo_id, batch_id FROM batch_photos WHERE photo_id IN ({marks})",  # noqa: S608
            part,
        )
        found.update((row[0], row[1]) for row in rows)
    return found


@dataclass
class Batch:
    id: int
    owner: str
    owner_display: str
    created_at: str
    photos: list[Photo]  # one page of them, newest first
    caption: str  # given to its whole upload; "" for none
    mine: bool  # the viewer added it: theirs to caption anew
    total: int  # of its photos the viewer sees, on every page
    next_cursor: str | None = None  # the next page's, if any


async def get(
    svc: Services,
    batch_id: int,
    viewer: User | None,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    counted: bool = True,
) -> Batch:
    """A page of the batch's photos `viewer` may see and its owner has not archived (as the
    feed's entry counts them), newest first, keyset on the photo id (NotFound: none). An
    import is one batch: thousands of photos, read a page at a time as any grid's, walked
    down the batch's own index. Not `counted`: `total` is 0 (a grid's next page)."""
    size = photos.check_limit(limit)
    before = photos.parse_cursor(cursor)
    visible, params = access.visible_sql(access.Viewer(viewer, svc.settings.public_view))
    # A condition from access.visible_sql; every value is bound.
    seen = (
        " FROM batch_photos bp JOIN photos p ON p.id = bp.photo_id JOIN users u ON u.id = p.owner_id"
        f" WHERE bp.batch_id = ? AND {visible} AND {photos.not_archived('p')}"
    )
    total = await svc.db.fetchval("SELECT COUNT(*)" + seen, (batch_id, *params)) if counted else 0
    head = await svc.db.fetchone(
        "SELECT b.created_at, COALESCE(bc.caption, ''), u.username, u.display_name, b.owner_id"
        " FROM photo_batches b JOIN users u ON u.id = b.owner_id"
        " LEFT JOIN batch_captions bc ON bc.batch_id = b.id WHERE b.id = ?",
        (batch_id,),
    )
    rows = await svc.db.fetchall(
        # A fixed column list, the condition above; every value is bound.
        f"SELECT {photos.PHOTO_COLUMNS}{seen}"
        # By the batch's own column: SQLite then walks its index, in order, a page's worth
        # (by p.id it read the whole batch and sorted it, for every page).
        + (" AND bp.photo_id < ?" if before is not None else "")
        + " ORDER BY bp.photo_id DESC LIMIT ?",
        (
            *photos.reading_for(viewer),
            batch_id,
            *params,
            *([before] if before is not None else []),
            size + 1,
        ),
    )
    if head is None:
        raise NotFound(BATCH_GONE)
    mine = viewer is not None and head[4] == viewer.id
    if not rows:  # past its end (the rest archived meanwhile), or none of it to this viewer
        if not counted:
            total = await svc.db.fetchval("SELECT COUNT(*)" + seen, (batch_id, *params))
        if not total:
            raise NotFound(BATCH_GONE)
        return Batch(batch_id, head[2], head[3], head[0], [], "", mine, total)
    shown = [photos.from_row(row, viewer) for row in rows[:size]]
    first = shown[0]
    # Seen as one photo (as the feed shows it), the batch has no words of the whole for this
    # viewer: those may be about the photos they do not see.
    caption = head[1] if mine or total > 1 else ""
    more = str(shown[-1].id) if len(rows) > size else None
    return Batch(
        batch_id, first.owner, first.owner_display, head[0], shown, caption, mine, total, more
    )


async def set_caption(svc: Services, actor: User, batch_id: int, caption: object) -> Batch:
    """The batch's owner changes the caption of the whole upload ("" takes it away). Its
    photos keep their own captions: each was given the batch's as its own, to change on its
    page. NotFound where the batch is not there for `actor`, as its page."""
    found = await get(svc, batch_id, actor)
    if not found.mine:
        raise Forbidden("Only the person who added these photos can change their caption.")
    text = captions.check_caption(caption)
    if text:
        await svc.db.execute(
            "INSERT INTO batch_captions (batch_id, caption) VALUES (?, ?)"
            " ON CONFLICT (batch_id) DO UPDATE SET caption = excluded.caption",
            (batch_id, text),
        )
    else:
        await svc.db.execute("DELETE FROM batch_captions WHERE batch_id = ?", (batch_id,))
    return await get(svc, batch_id, actor)
