"""Photos: the Photo and its JSON shape, the feed and profile pages, captions, deletion.

Adding a photo is `ingest`, its stored files `blobs`, serving them `originals`, likes `likes`,
what a live event needs of it `live`.
No HTTP here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from photoarchive.accounts import admins
from photoarchive.accounts.users import User
from photoarchive.db import Row, placeholders, row_id
from photoarchive.errors import BadRequest, NotFound
from photoarchive.library import access, blobs, live
from photoarchive.library.geocoder import Place
from photoarchive.media import images
from photoarchive.services import Services

CAPTION_MAX = 2200
PAGE_DEFAULT = 30
PAGE_MAX = 100
LATEST_COMMENTS = 3
PHOTO_GONE = "That photo does not exist (or was deleted)."


@dataclass
class Comment:
    id: int
    photo_id: int
    author: str
    text: str
    created_at: str
    can_delete: bool = False
    author_display: str = ""


@dataclass
class Photo:
    id: int
    owner: str
    owner_display: str
    owner_id: int
    caption: str
    created_at: str
    taken_at: str | None
    camera_make: str | None
    camera_model: str | None
    lens: str | None
    focal_length: float | None
    aperture: float | None
    exposure_time: str | None
    iso: int | None
    gps_lat: float | None
    gps_lon: float | None
    width: int
    height: int
    preview_width: int
    bytes: int
    content_type: str
    filename: str
    sha256: str  # of the original as stored: its owner's to see (see `tag`)
    tag: str  # random, fixed at upload: names this photo's media for everyone
    placeholder: str
    like_count: int
    comment_count: int
    private: bool  # see library/access.py: its owner's, and its albums' members', only
    album_member: int | None  # the viewer it was read for, if in an album of theirs holding it
    archived: bool  # by its owner: out of the feed and profile grid (see library/archive.py)
    trashed: bool  # in its owner's trash: nobody sees it but them, there (library/trash.py)
    rotation: int  # clockwise, by its owner, on top of EXIF (library/rotations.py); width follows
    city: str | None  # where it was taken, as a town (library/places.py), before the decision
    region: str | None
    country: str | None
    country_code: str | None
    places_shared: bool  # its owner shows their photos' places to others
    place: Place | None = None  # the town and country, as the viewer may see them
    liked_by_me: bool = False
    favorite: bool = False  # the viewer's own (see library/favorites.py)
    can_edit: bool = False
    can_delete: bool = False
    comments: list[Comment] = field(default_factory=list)

    @property
    def visibility(self) -> access.Visibility:
        return "private" if self.private else "family"

    @property
    def camera(self) -> str | None:
        make, model = self.camera_make or "", self.camera_model or ""
        if make and model.lower().startswith(make.lower().split()[0]):
            return model
        return " ".join(part for part in (make, model) if part) or None

    @property
    def date_label(self) -> str:
        """What the photo's card is dated by: when it was taken if known, else when it was
        uploaded (web/dates.py says how each is shown; the `dated` filter shows it)."""
        return "Taken" if self.taken_at else "Uploaded"

    @property
    def alt(self) -> str:
        return self.caption.strip()[:300] or f"Photo by {self.owner}"

    @property
    def thumbnail_size(self) -> tuple[int, int]:
        return images.rendition_size(self.width, self.height, images.THUMBNAIL_EDGE)

    @property
    def preview_size(self) -> tuple[int, int]:
        return images.rendition_size(self.width, self.height, images.PREVIEW_EDGE)

    def url(self, name: str) -> str:
        return media_url(self.id, name, self.tag, self.rotation)


def version(tag: str, rotation: int) -> str:
    """The `?v=` of a photo's media URLs (and their ETags), for what knows only these two."""
    return f"{tag}-r{rotation}" if rotation else tag


def media_url(photo_id: int, name: str, tag: str, rotation: int) -> str:
    """The address of a photo's file `name`, for what knows the photo by these alone (a list
    that reads no whole photo). Media is cached as immutable, and SQLite can hand a deleted
    photo's id to the next upload: the tag (and turn) in it keep browsers from showing an old
    picture."""
    return f"/media/{photo_id}/{name}?v={version(tag, rotation)}"


# What a photo's access is decided by (access.Seen) and its files are named by, as every
# read of a photo (`p`) writes it: whether it is private, the viewer's id when they are a
# member of an album holding it, whether it is in its owner's trash, and how far it is turned.
PRIVATE_SQL = "EXISTS (SELECT 1 FROM private_photos pp WHERE pp.photo_id = p.id)"
TRASHED_SQL = "EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = p.id)"
ROTATION_SQL = "COALESCE((SELECT ro.rotation FROM photo_rotations ro WHERE ro.photo_id = p.id), 0)"


def album_member_sql(viewer: str) -> str:
    """The viewer's id when they are a member of an album holding the photo, else NULL; the
    viewer is one of two constant expressions ("?" or the media lookup's session column)."""
    assert viewer in ("?", "s.user_id")
    return (
        "(SELECT am.user_id FROM album_photos ap JOIN album_members am"  # noqa: S608 (fixed text)
        f" ON am.album_id = ap.album_id AND am.user_id = {viewer} WHERE ap.photo_id = p.id LIMIT 1)"
    )


# A Photo's columns in the order of its fields, so that a row becomes a photo positionally:
# looking thirty values up by name, for thirty photos a page, cost more than the query. Some are
# what library/access.py decides by: whether the photo is private, and the viewer's id when
# they are a member of an album holding it (the viewer is `?`, bound by `reading_for`); then
# whether its owner archived it, whether it is in their trash (decided by too), how far they
# turned it, its place, and whether its owner shows places to others.
def _columns(viewer: str) -> str:
    return (
        "p.id, u.username, u.display_name, p.owner_id, p.caption, p.created_at, p.taken_at,"  # noqa: S608 (fixed text)
        " p.camera_make, p.camera_model, p.lens, p.focal_length, p.aperture, p.exposure_time,"
        " p.iso, p.gps_lat, p.gps_lon, p.width, p.height, p.preview_width, p.bytes,"
        " p.content_type, p.filename, p.sha256, p.tag, p.placeholder, p.like_count, p.comment_count,"
        f" {PRIVATE_SQL}, {album_member_sql(viewer)},"
        " EXISTS (SELECT 1 FROM archived_photos ar WHERE ar.photo_id = p.id),"
        f" {TRASHED_SQL}, {ROTATION_SQL},"
        " (SELECT pl.city FROM photo_places pl WHERE pl.photo_id = p.id),"
        " (SELECT pl.region FROM photo_places pl WHERE pl.photo_id = p.id),"
        " (SELECT pl.country FROM photo_places pl WHERE pl.photo_id = p.id),"
        " (SELECT pl.country_code FROM photo_places pl WHERE pl.photo_id = p.id),"
        " EXISTS (SELECT 1 FROM place_sharing ps WHERE ps.user_id = p.owner_id)"
    )


_PHOTO_COLUMNS = _columns("?")
# For the other lists of photos (the feed's entries, a batch: library/batches.py). Its one
# parameter comes first in a statement that selects it: bind `reading_for(viewer)` there.
PHOTO_COLUMNS = _PHOTO_COLUMNS


# The columns above are the fields before the first one filled in after the read.
_PHOTO_WIDTH = [f.name for f in fields(Photo)].index("place")
# The same columns read for the account of a session (`s`) looked up with the photo (see
# library/media_lookup.py), and how many there are.
SESSION_PHOTO_COLUMNS = _columns("s.user_id")
PHOTO_WIDTH = _PHOTO_WIDTH


def not_archived(photo: str) -> str:
    """The condition that the photos row named `photo` (an alias written in the code) is not
    archived: archived photos leave the feed, profiles and their counts for everyone."""
    assert photo in ("p", "q")
    return f"NOT EXISTS (SELECT 1 FROM archived_photos ar WHERE ar.photo_id = {photo}.id)"  # noqa: S608


def reading_for(viewer: User | None) -> list[object]:
    """The parameters of `PHOTO_COLUMNS` for photos read for `viewer`."""
    return [None if viewer is None else viewer.id]


def _photo(row: Row | Sequence[Any], viewer: User | None) -> Photo:
    photo = Photo(*row)
    photo.private = bool(photo.private)
    photo.archived = bool(photo.archived)
    photo.trashed = bool(photo.trashed)
    # Reading was allowed before the read (access.may_read_archive); the rest is per photo.
    allowed = access.decide(
        access.Viewer(viewer, public_view=True), photo, places_shared=bool(photo.places_shared)
    )
    if allowed.place and photo.country_code is not None:
        photo.place = Place(photo.city, photo.region, photo.country, photo.country_code)
    photo.city = photo.region = photo.country = photo.country_code = None  # `place` says it
    if not allowed.location:  # where a photo was taken is its owner's to know
        photo.gps_lat = photo.gps_lon = None
    photo.can_edit = allowed.edit
    photo.can_delete = allowed.delete
    return photo


def from_row(row: Row | Sequence[Any], viewer: User | None) -> Photo:
    """A photo of a row that starts with `PHOTO_COLUMNS`, as `viewer` may see it."""
    return _photo(row, viewer)


def parse_cursor(cursor: str | None) -> int | None:
    if cursor in (None, ""):
        return None
    value = row_id(cursor)
    if value is None:
        raise BadRequest("The cursor is not valid.", field="cursor")
    return value


def check_limit(limit: int | None) -> int:
    if limit is None:
        return PAGE_DEFAULT
    if not 1 <= limit <= PAGE_MAX:
        raise BadRequest(f"limit must be between 1 and {PAGE_MAX}.", field="limit")
    return limit


async def page(
    svc: Services,
    viewer: User | None,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    owner_id: int | None = None,
    with_comments: bool = True,
) -> tuple[list[Photo], str | None]:
    """One page of photos, newest first, in a fixed number of queries (keyset pagination)."""
    size = check_limit(limit)
    before = parse_cursor(cursor)
    # Only what the viewer may see (reading was allowed before: see access.may_read_archive).
    visible, params = access.visible_sql(access.Viewer(viewer, public_view=True))
    where = [visible, not_archived("p")]  # archived: out for everyone (see library/archive.py)
    if owner_id is not None:
        where.append("p.owner_id = ?")
        params.append(owner_id)
    if before is not None:
        where.append("p.id < ?")
        params.append(before)
    # A fixed column list, and WHERE parts that are constant strings: every value is bound.
    sql = f"SELECT {_PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id"  # noqa: S608
    sql += " WHERE " + " AND ".join(where) + " ORDER BY p.id DESC LIMIT ?"
    rows = await svc.db.fetch_indexed(sql, [*reading_for(viewer), *params, size + 1])
    photos = [_photo(row, viewer) for row in rows[:size]]
    next_cursor = str(photos[-1].id) if len(rows) > size else None
    await decorate(svc, photos, viewer, with_comments=with_comments)
    return photos, next_cursor


async def decorate(
    svc: Services, photos: list[Photo], viewer: User | None, *, with_comments: bool
) -> None:
    """The viewer's likes and favorites, and with `with_comments` each photo's latest comments."""
    if not photos:
        return
    ids = [p.id for p in photos]
    by_id = {p.id: p for p in photos}
    if viewer is not None:
        # Likes and favorites in one trip: a page's count of queries stays what it was.
        marks = placeholders(len(ids))
        rows = await svc.db.fetch_indexed(
            # Only "?" placeholders, one per id; every value is bound.
            f"SELECT photo_id, 0 FROM likes WHERE user_id = ? AND photo_id IN ({marks})"  # noqa: S608
            f" UNION ALL SELECT photo_id, 1 FROM favorites WHERE user_id = ? AND photo_id IN ({marks})",
            [viewer.id, *ids, viewer.id, *ids],
        )
        for photo_id, is_favorite in rows:
            setattr(by_id[photo_id], "favorite" if is_favorite else "liked_by_me", True)
    if with_comments:
        # The latest few of each photo, each photo's taken from the end of its index entry:
        # a window over all of a page's comments cost more as they piled up.
        rows = await svc.db.fetch_indexed(latest_comments_sql(len(ids)), [*ids, LATEST_COMMENTS])
        for row in rows:
            photo = by_id[row["photo_id"]]
            photo.comments.append(_comment(row, photo, viewer))


def latest_comments_sql(count: int) -> str:
    """The latest comments (a bound number) of each of `count` photos (their ids bound)."""
    # Only "(?)" rows, one per id.
    return (
        f"WITH page (photo_id) AS (VALUES {', '.join('(?)' for _ in range(count))})"  # noqa: S608
        " SELECT c.id, c.photo_id, c.author_id, c.text, c.created_at, u.username, u.display_name"
        # The photo's own comments first: joined on the id alone, PostgreSQL asked the
        # subquery for every comment of the archive against every photo of the page.
        " FROM page JOIN comments c ON c.photo_id = page.photo_id AND c.id IN"
        " (SELECT id FROM comments WHERE photo_id = page.photo_id ORDER BY id DESC LIMIT ?)"
        " JOIN users u ON u.id = c.author_id ORDER BY c.id"
    )


def _comment(row: Row, photo: Photo, viewer: User | None) -> Comment:
    # Only accounts can delete, so the archive's public_view setting does not matter here.
    can_delete = access.may_delete_comment(
        access.Viewer(viewer, public_view=False), photo, row["author_id"]
    )
    return Comment(
        row["id"],
        row["photo_id"],
        row["username"],
        row["text"],
        row["created_at"],
        can_delete,
        row["display_name"],
    )


async def find(svc: Services, photo_id: int, viewer: User | None) -> Photo:
    """The photo as `viewer` may see it, without its likes and comments: NotFound when it is
    not there or not theirs to see (a private photo is not there, for others). Reading the
    archive was allowed before (access.may_read_archive)."""
    row = await svc.db.fetch_by_key(
        f"SELECT {_PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id WHERE p.id = ?",  # noqa: S608 (a fixed column list)
        (*reading_for(viewer), photo_id),
    )
    if row is None:
        raise NotFound(PHOTO_GONE)
    photo = _photo(row, viewer)
    if not access.can_view(access.Viewer(viewer, public_view=True), photo):
        raise NotFound(PHOTO_GONE)
    return photo


async def find_many(
    svc: Services, photo_ids: Sequence[int], viewer: User | None
) -> dict[int, Photo]:
    """`find` of several photos in one query: those `viewer` may see, by id (others left out)."""
    wanted = list(dict.fromkeys(photo_ids))
    if not wanted:
        return {}
    rows = await svc.db.fetchall(
        # A fixed column list and "?" placeholders; every value is bound.
        f"SELECT {_PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id"  # noqa: S608
        f" WHERE p.id IN ({placeholders(len(wanted))})",
        (*reading_for(viewer), *wanted),
    )
    shown = (_photo(row, viewer) for row in rows)
    return {
        photo.id: photo
        for photo in shown
        if access.can_view(access.Viewer(viewer, public_view=True), photo)
    }


async def get(
    svc: Services, photo_id: int, viewer: User | None, *, all_comments: bool = False
) -> Photo:
    photo = await find(svc, photo_id, viewer)
    await decorate(svc, [photo], viewer, with_comments=not all_comments)
    if all_comments:
        photo.comments = await comments_of(svc, photo, viewer)
    return photo


async def comments_of(svc: Services, photo: Photo, viewer: User | None) -> list[Comment]:
    rows = await svc.db.fetchall(
        "SELECT c.*, u.username, u.display_name FROM comments c JOIN users u ON u.id = c.author_id"
        " WHERE c.photo_id = ? ORDER BY c.id",
        (photo.id,),
    )
    return [_comment(row, photo, viewer) for row in rows]


async def remove(svc: Services, photo: Photo, *, admin: tuple[int, str] | None = None) -> None:
    """Delete the photo for good (the caller decided it may: see library/trash.py), and its
    files unless another photo uses them. With `admin` (an administrator's id, the refusal),
    they are confirmed one in the delete's own transaction (accounts/admins.py)."""
    heard_by = await live.audience(svc.db, photo.id)  # read while the albums holding it are known
    if admin is None:
        await svc.db.execute("DELETE FROM photos WHERE id = ?", (photo.id,))
    else:
        async with svc.db.transaction() as tx:
            await admins.confirm(tx, *admin)
            await tx.execute("DELETE FROM photos WHERE id = ?", (photo.id,))
    # After the commit, outside any transaction: deleting the files may be slow.
    await blobs.discard_unreferenced(svc.db, svc.store, photo.sha256)
    await svc.publish("photo-deleted", {"id": photo.id, live.AUDIENCE: heard_by})
