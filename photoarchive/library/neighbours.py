"""The photos either side of one photo in the list it was opened from.

A photo is opened from a list: the feed, or one person's photos. The list travels with it (the
web layer carries its `key` in the address, `feed` or `user:alice`), so that previous and next
follow the order the person was looking at, and a reload or a shared address keeps that order.
Every list is newest first by photo id, as `photos.page` pages it; the neighbours are found the
same way, by keyset (a step along an index each side) filtered by the viewer's access
(`access.visible_sql`), and the neighbour is read through `photos.find` (the same decision),
so a photo the viewer may not see is never a neighbour. The feed holds family photos only.

An album (`album:12`) is a list of its own order: its neighbours come from album_photos.py, by
the album's sort key, and only its members may walk it. A person's favorites (`favorites`) are
in the order they were marked (favorites.py); their archive (`archive`) is newest first by id.
Both are the walker's own: the same key is another list for another person. The feed and
profiles leave archived photos out (photos.not_archived). The timeline (`timeline`) and a
search's results (`search:` and the words) are newest taken first, by (date taken, id): their
neighbours walk that order under the very conditions their pages are read by.
No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass

from photoarchive.accounts import users
from photoarchive.accounts.users import User
from photoarchive.db import row_id
from photoarchive.errors import Invalid, NotFound
from photoarchive.library import (
    access,
    album_photos,
    albums,
    cursors,
    favorites,
    photos,
    search,
    timeline,
)
from photoarchive.library.albums import Album
from photoarchive.library.photos import Photo
from photoarchive.services import Services

FEED = "feed"
FAVORITES = "favorites"
ARCHIVE = "archive"
TIMELINE = "timeline"
SEARCH = "search:"
_USER = "user:"
_ALBUM = "album:"


@dataclass(frozen=True, slots=True)
class PhotoList:
    """A list photos are shown in: everyone's (the feed), one owner's (a profile), an
    album's (read for the person walking it), or the walker's own `FAVORITES` or `ARCHIVE`
    (`mine`, with `owner` the walker)."""

    owner: User | None = None
    album: Album | None = None
    mine: str | None = None
    timeline: bool = False
    search: str | None = None  # the words of a search

    @property
    def key(self) -> str:
        """What names this list in an address: `parse_list(key)` gives it back."""
        if self.timeline:
            return TIMELINE
        if self.search is not None:
            return SEARCH + self.search
        if self.album is not None:
            return f"{_ALBUM}{self.album.id}"
        if self.mine is not None:
            return self.mine
        return FEED if self.owner is None else _USER + self.owner.username

    @property
    def title(self) -> str:
        if self.timeline:
            return "the timeline"
        if self.search is not None:
            return f"the search for “{self.search}”"
        if self.album is not None:
            return self.album.title
        if self.mine is not None:
            return f"your {self.mine}"
        return "the feed" if self.owner is None else f"{self.owner.username}'s photos"

    def holds(self, photo: Photo) -> bool:
        if self.mine == ARCHIVE:
            return photo.archived and self.owner is not None and photo.owner_id == self.owner.id
        if photo.archived:
            return False
        # The feed is the family's (see batches._in_feed): a private photo is on its profile.
        return not photo.private if self.owner is None else photo.owner_id == self.owner.id

    def where(self) -> tuple[str, list[int]]:
        # Constant strings only: every value is bound.
        if self.mine == ARCHIVE and self.owner is not None:
            archived = "EXISTS (SELECT 1 FROM archived_photos ar WHERE ar.photo_id = p.id)"
            return f" AND p.owner_id = ? AND {archived}", [self.owner.id]
        shown = " AND " + photos.not_archived("p")
        if self.owner is None:
            family = " AND NOT EXISTS (SELECT 1 FROM private_photos fp WHERE fp.photo_id = p.id)"
            return family + shown, []
        return " AND p.owner_id = ?" + shown, [self.owner.id]


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Where a photo stands in `within`: the photo before it (newer) and after it (older),
    None at either end, and whether it is on the list's first page."""

    within: PhotoList
    newer: Photo | None
    older: Photo | None
    on_first_page: bool
    page_cursor: str | None = None  # an album's: the cursor of the page it starts


async def parse_list(
    svc: Services, key: str | None, viewer: User | None = None
) -> PhotoList | None:
    """The list `key` names as `viewer` may walk it; None for none, an unknown kind, a user
    who is not there or an album they are not a member of (the photo is then shown on its
    own: an old or mistyped address still shows it)."""
    if key and key.startswith(_ALBUM):
        album_id = row_id(key.removeprefix(_ALBUM))
        if album_id is None:
            return None
        try:
            return PhotoList(album=await albums.find(svc.db, album_id, viewer))
        except NotFound:
            return None
    if key == FEED:
        return PhotoList()
    if key == TIMELINE:
        return PhotoList(timeline=True)
    if key and key.startswith(SEARCH) and key.removeprefix(SEARCH).strip():
        return PhotoList(search=key.removeprefix(SEARCH))
    if key in (FAVORITES, ARCHIVE):
        return None if viewer is None else PhotoList(owner=viewer, mine=key)
    if key and key.startswith(_USER):
        username = key.removeprefix(_USER)
        if not users.USERNAME_RE.fullmatch(username):
            return None
        try:
            return PhotoList(await users.by_username(svc.db, username))
        except NotFound:
            return None
    return None


async def around(
    svc: Services, photo: Photo, viewer: User | None, within: PhotoList
) -> Neighbours | None:
    """The neighbours of `photo` in `within` as `viewer` sees that list; None when the photo is
    not in it (another person's photo under a profile's key)."""
    if within.album is not None:
        if viewer is None:
            return None
        step = await album_photos.around(svc, within.album, photo, viewer)
        if step is None:
            return None
        return Neighbours(
            within, step.newer, step.older, step.page_cursor is None, step.page_cursor
        )
    if within.timeline or within.search is not None:
        return await _by_date_taken(svc, photo, viewer, within)
    if within.mine == FAVORITES:
        assert viewer is not None  # parse_list names no one's favorites for a guest
        marked = await favorites.around(svc, viewer, photo)
        if marked is None:
            return None
        start = marked.page_cursor
        return Neighbours(within, marked.newer, marked.older, start is None, start)
    if not within.holds(photo):
        return None
    who = access.Viewer(viewer, svc.settings.public_view)
    return Neighbours(
        within,
        newer=await _step(svc, who, within, photo.id, older=False),
        older=await _step(svc, who, within, photo.id, older=True),
        on_first_page=await _on_first_page(svc, who, within, photo.id),
    )


async def _step(
    svc: Services, who: access.Viewer, within: PhotoList, start: int, *, older: bool
) -> Photo | None:
    """The nearest photo past `start` in one direction that `who` may see, found by the
    database (access.visible_sql) and read through `photos.find` (the same decision)."""
    extra, params = within.where()
    visible, allowed = access.visible_sql(who)
    # Two constant statements; the filters are constant strings and every value is bound.
    sql = (
        f"SELECT p.id FROM photos p WHERE p.id < ?{extra} AND {visible} ORDER BY p.id DESC LIMIT 1"  # noqa: S608
        if older
        else f"SELECT p.id FROM photos p WHERE p.id > ?{extra} AND {visible} ORDER BY p.id LIMIT 1"  # noqa: S608
    )
    cursor = start
    while True:
        row = await svc.db.fetch_by_key(sql, [cursor, *params, *allowed])
        if row is None:
            return None
        try:
            return await photos.find(svc, row[0], who.user)
        except NotFound:  # deleted (or made private) since the step above
            cursor = row[0]


async def _on_first_page(
    svc: Services, who: access.Viewer, within: PhotoList, photo_id: int
) -> bool:
    """Whether fewer photos than a page come before it, so the list's first page shows it."""
    extra, params = within.where()
    visible, allowed = access.visible_sql(who)
    row = await svc.db.fetch_by_key(
        # Constant filter strings; every value is bound. At most a page of index steps.
        f"SELECT p.id FROM photos p WHERE p.id > ?{extra} AND {visible}"  # noqa: S608
        " ORDER BY p.id LIMIT 1 OFFSET ?",
        [photo_id, *params, *allowed, photos.PAGE_DEFAULT - 1],
    )
    return row is None


async def _by_date_taken(
    svc: Services, photo: Photo, viewer: User | None, within: PhotoList
) -> Neighbours | None:
    """The neighbours in the timeline or a search's results: newest taken first, by (date
    taken, else upload time; id), as timeline.page and search.page read them. The older one
    is the first of the page after this photo; the newer ones are walked the other way under
    the same conditions, each read through `photos.find` (the access decision). None when the
    photo is not in the list (archived, say, or not matching the words)."""
    if within.search is not None:
        try:
            where, params = search.conditions(svc, viewer, within.search)
        except Invalid:
            return None
    else:
        condition, params = timeline.condition(viewer)
        where = [condition]
    held = " AND ".join(where)
    # A search's words are planned with, every time (see Backend.fetch_replanned).
    read = svc.db.fetchall if within.search is None else svc.db.fetch_replanned
    # Conditions from access.visible_sql and search's own (constant strings): values bound.
    date = timeline.KEY
    # The photo's own place in the list, as the list's pages read it (its stamp as stored).
    held_here = await read(
        f"SELECT {date} FROM photos p WHERE p.id = ? AND {held}",  # noqa: S608
        [photo.id, *params],
    )
    if not held_here:
        return None
    key = str(held_here[0][0])
    after = cursors.encode(key, photo.id)
    if within.search is not None:
        next_page, _ = await search.page(svc, viewer, within.search, cursor=after, limit=1)
    else:
        next_page, _ = await timeline.page(svc, viewer, cursor=after, limit=1)
    # A page's worth of the newer ones, nearest first (the same fixed expressions).
    rows = await read(
        f"SELECT p.id, {date} FROM photos p WHERE {held} AND {date} >= ?"  # noqa: S608
        f" AND ({date} > ? OR p.id > ?) ORDER BY {date}, p.id LIMIT ?",
        [*params, key, key, photo.id, photos.PAGE_DEFAULT],
    )
    newer = None
    for row in rows:
        try:
            newer = await photos.find(svc, row[0], viewer)
            break
        except NotFound:  # gone since the step above
            continue
    # Fewer newer than a page: the list's first page shows it; else the page after the
    # nearest newer one starts with it.
    start = None if len(rows) < photos.PAGE_DEFAULT else cursors.encode(rows[0][1], rows[0][0])
    older = next_page[0] if next_page else None
    return Neighbours(within, newer, older, start is None, start)
