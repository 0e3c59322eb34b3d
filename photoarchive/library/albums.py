"""Albums: a title, an owner and some members, each with a role (`owner`, `contributor`,
`viewer`). The photos an album holds are album_photos.py's; who may see them is access.py's
(a member of an album holding a private photo sees it).

An album is there only for its members: to anyone else, an administrator included, it is
NotFound, never Forbidden (a 403 would tell them it exists). Among members, what only the
owner may do is Forbidden. One exception, decided in access.decide_album: while the owner's
account is disabled, an administrator looks after the album (renames it, chooses its members,
takes out the photos they see, deletes it, or hands it to a member), without becoming a member.
No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from photoarchive import clock
from photoarchive.accounts import admins
from photoarchive.accounts.users import User
from photoarchive.db import MAX_ROWID, Reader, Transaction, placeholders
from photoarchive.errors import BadRequest, Forbidden, Invalid, NotFound
from photoarchive.library import access, live, photos
from photoarchive.services import Services

TITLE_MAX = 200
DESCRIPTION_MAX = 2000
PAGE_DEFAULT = 30
PAGE_MAX = 100
Sort = Literal["taken_desc", "taken_asc", "added_desc"]
SORTS: tuple[Sort, ...] = ("taken_desc", "taken_asc", "added_desc")
SORT_LABELS = {
    "taken_desc": "Newest first (date taken)",
    "taken_asc": "Oldest first (date taken)",
    "added_desc": "Recently added first",
}
Role = Literal["owner", "contributor", "viewer"]
MEMBER_ROLES: tuple[Role, ...] = ("viewer", "contributor")  # what the owner may give
ALBUM_GONE = "That album does not exist (or you are not one of its members)."


@dataclass(frozen=True, slots=True)
class Member:
    username: str
    role: Role


@dataclass
class Album:
    id: int
    owner_id: int
    owner: str
    title: str
    description: str
    cover_photo_id: int | None  # the cover chosen (None: automatic), if theirs to know
    sort: Sort
    created_at: str
    updated_at: str
    role: access.AlbumRole  # the role of the person it was read for
    manages: bool = False  # they may change it, choose its members, delete it, hand it over
    photo_count: int = 0
    cover: str | None = None  # the cover's thumbnail URL
    members: list[Member] = field(default_factory=list)

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def may_add(self) -> bool:
        return self.role in ("owner", "contributor")

    @property
    def looked_after(self) -> bool:
        """Managed by an administrator who is not its owner: the owner's account is disabled."""
        return self.manages and not self.is_owner


def check_title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("An album needs a title.", field="title")
    title = " ".join(value.split())
    if len(title) > TITLE_MAX:
        raise Invalid(f"Titles can be at most {TITLE_MAX} characters.", field="title")
    return title


def check_description(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid("The description must be text.", field="description")
    text = value.replace("\r\n", "\n").strip()
    if len(text) > DESCRIPTION_MAX:
        raise Invalid(
            f"Descriptions can be at most {DESCRIPTION_MAX:,} characters.", field="description"
        )
    return text


def check_sort(value: Any) -> Sort:
    for known in SORTS:
        if value == known:
            return known
    raise Invalid(f"sort must be one of: {', '.join(SORTS)}.", field="sort")


def check_role(value: Any) -> Role:
    for known in MEMBER_ROLES:
        if value == known:
            return known
    raise Invalid(f"role must be one of: {', '.join(MEMBER_ROLES)}.", field="role")


# The album as one person sees it: their role (none for a non-member), whether its owner is
# disabled, and its cover (the one chosen while still in it, else the photo added last; never
# one in the trash; for a non-member, the caretaker, never a private one: none would tell).
_SELECT = (
    "SELECT a.id, a.owner_id, o.username AS owner, a.title, a.description, a.cover_photo_id,"
    " a.sort, a.created_at, a.updated_at, m.role, o.disabled AS owner_disabled,"
    " c.id AS cover_id, c.tag AS cover_tag,"
    " EXISTS (SELECT 1 FROM private_photos pp WHERE pp.photo_id = a.cover_photo_id)"
    " AS chosen_private,"
    " COALESCE((SELECT ro.rotation FROM photo_rotations ro WHERE ro.photo_id = c.id), 0)"
    " AS cover_rotation"
    " FROM albums a LEFT JOIN album_members m ON m.album_id = a.id AND m.user_id = ?"
    " JOIN users o ON o.id = a.owner_id"
    " LEFT JOIN photos c ON c.id = COALESCE("
    " (SELECT cp.photo_id FROM album_photos cp"
    "  WHERE cp.album_id = a.id AND cp.photo_id = a.cover_photo_id"
    "  AND NOT EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = cp.photo_id)"
    "  AND (m.role IS NOT NULL"
    "  OR NOT EXISTS (SELECT 1 FROM private_photos pp WHERE pp.photo_id = cp.photo_id))),"
    " (SELECT lp.photo_id FROM album_photos lp WHERE lp.album_id = a.id"
    "  AND NOT EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = lp.photo_id)"
    "  AND (m.role IS NOT NULL"
    "  OR NOT EXISTS (SELECT 1 FROM private_photos pp WHERE pp.photo_id = lp.photo_id))"
    "  ORDER BY lp.added_at DESC, lp.photo_id DESC LIMIT 1))"
)


def _album(row: Any, actor: User) -> Album | None:
    """The album as `actor` may have it; None when it is not there for them."""
    decided = access.decide_album(
        access.Viewer(actor, public_view=False),
        row["role"],
        owner_disabled=bool(row["owner_disabled"]),
    )
    if decided.role is None:
        return None
    # The administrator looking after it is no member: a private photo of the album is not
    # theirs to see, nor, then, as the cover (see _SELECT), nor its id as the cover chosen
    # (for them there is none: what they send as a cover is never compared with it).
    caretaker = decided.role == "caretaker"
    chosen = None if caretaker and row["chosen_private"] else row["cover_photo_id"]
    cover = (
        None
        if row["cover_id"] is None
        else photos.media_url(row["cover_id"], "thumbnail", row["cover_tag"], row["cover_rotation"])
    )
    return Album(
        id=row["id"],
        owner_id=row["owner_id"],
        owner=row["owner"],
        title=row["title"],
        description=row["description"],
        cover_photo_id=chosen,
        sort=check_sort(row["sort"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        role=decided.role,
        manages=decided.manage,
        cover=cover,
    )


async def _complete(db: Reader, albums: list[Album], actor: User) -> list[Album]:
    """Fill in members and photo counts, in two queries for any number of albums."""
    if not albums:
        return albums
    ids = [a.id for a in albums]
    by_id = {a.id: a for a in albums}
    rows = await db.fetchall(
        # Only "?" placeholders, one per id.
        "SELECT am.album_id, u.username, am.role FROM album_members am"  # noqa: S608
        f" JOIN users u ON u.id = am.user_id WHERE am.album_id IN ({placeholders(len(ids))})"
        " ORDER BY am.role = 'owner' DESC, u.username_key",
        ids,
    )
    for row in rows:
        by_id[row[0]].members.append(Member(row[1], row[2]))
    # Only what the person may see (every photo, for a member; the rule is asked all the same).
    visible, params = access.visible_sql(access.Viewer(actor, public_view=False))
    counts = await db.fetchall(
        # A condition from access.visible_sql and "?" placeholders; every value is bound.
        "SELECT ap.album_id, COUNT(*) FROM album_photos ap JOIN photos p ON p.id = ap.photo_id"  # noqa: S608
        f" WHERE ap.album_id IN ({placeholders(len(ids))}) AND {visible} GROUP BY ap.album_id",
        [*ids, *params],
    )
    for row in counts:
        by_id[row[0]].photo_count = row[1]
    return albums


async def find(db: Reader, album_id: int, actor: User | None) -> Album:
    """The album as `actor` (a member) sees it; NotFound for anyone else."""
    if actor is None or actor.disabled or not 0 < album_id <= MAX_ROWID:
        raise NotFound(ALBUM_GONE)
    row = await db.fetchone(_SELECT + " WHERE a.id = ?", (actor.id, album_id))
    album = None if row is None else _album(row, actor)
    if album is None:
        raise NotFound(ALBUM_GONE)
    return (await _complete(db, [album], actor))[0]


async def find_many(db: Reader, album_ids: list[int], actor: User) -> dict[int, Album]:
    """The albums of `album_ids` that `actor` may open, as `find` gives each, by id, in three
    queries however many they are; one not theirs (or gone) is left out."""
    ids = [album_id for album_id in dict.fromkeys(album_ids) if 0 < album_id <= MAX_ROWID]
    if actor.disabled or not ids:
        return {}
    rows = await db.fetchall(
        # _SELECT is a constant; "?" placeholders, one per id.
        _SELECT + f" WHERE a.id IN ({placeholders(len(ids))})",
        (actor.id, *ids),
    )
    found = [album for row in rows if (album := _album(row, actor)) is not None]
    return {album.id: album for album in await _complete(db, found, actor)}


def lock_name(album_id: int) -> str:
    """The named lock of an album's members and photos: who is in it is decided under it, so
    that nobody's photos go in as they leave (see album_photos.add)."""
    return f"album:{album_id}"


def owned(album: Album, what: str) -> None:
    """Forbidden unless `album` was read for someone who manages it."""
    if not album.manages:
        raise Forbidden(f"Only the album's owner can {what}.")


async def still_managed(tx: Transaction, album_id: int, actor: User, what: str) -> Album:
    """Under the album's lock: the album read again, still `actor`'s to manage (an
    administrator looking after it confirmed one, as every administrator's act is)."""
    album = await find(tx, album_id, actor)
    owned(album, what)
    if album.looked_after:
        await admins.confirm(tx, actor.id)
    return album


async def page(
    svc: Services, actor: User, *, cursor: str | None = None, limit: int | None = None
) -> tuple[list[Album], str | None]:
    """The albums `actor` belongs to (theirs and those shared with them), and for an
    administrator those they look after, newest first."""
    size = PAGE_DEFAULT if limit is None else limit
    if not 1 <= size <= PAGE_MAX:
        raise BadRequest(f"limit must be between 1 and {PAGE_MAX}.", field="limit")
    before = photos.parse_cursor(cursor)
    mine, params = access.album_sql(access.Viewer(actor, public_view=False))
    rows = await svc.db.fetchall(
        # A condition from access.album_sql; every value is bound.
        _SELECT + f" WHERE {mine} AND a.id < ? ORDER BY a.id DESC LIMIT ?",
        (actor.id, *params, MAX_ROWID if before is None else before, size + 1),
    )
    found = [album for row in rows[:size] if (album := _album(row, actor)) is not None]
    albums = await _complete(svc.db, found, actor)
    return albums, (str(albums[-1].id) if len(rows) > size else None)


async def to_add_to(svc: Services, actor: User) -> list[Album]:
    """The albums `actor` may add photos to (as owner or contributor), by title."""
    rows = await svc.db.fetchall(
        _SELECT + " WHERE m.role IN ('owner', 'contributor') ORDER BY a.title, a.id", (actor.id,)
    )
    return [album for row in rows if (album := _album(row, actor)) is not None and album.may_add]


async def create(
    svc: Services,
    actor: User,
    title: Any,
    description: Any = None,
    *,
    photo_id: int | None = None,
) -> Album:
    """A new album of `actor`'s; with `photo_id` (made from a photo's page), holding that
    photo of theirs from the start, in the same transaction (never an empty album for a
    photo that could not go in)."""
    clean_title, clean_description = check_title(title), check_description(description)
    if photo_id is not None:
        photo = await photos.find(svc, photo_id, actor)  # NotFound: not one they may see
        if photo.owner_id != actor.id:
            raise Invalid("Only the photo's owner can put it in an album.", field="photo_id")
    now = clock.now_iso()
    async with svc.db.transaction() as tx:
        album_id = await tx.fetchval(
            "INSERT INTO albums (owner_id, title, description, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (actor.id, clean_title, clean_description, now, now),
        )
        await tx.execute(
            "INSERT INTO album_members (album_id, user_id, role, added_at)"
            " VALUES (?, ?, 'owner', ?)",
            (album_id, actor.id, now),
        )
        if photo_id is not None:
            await tx.execute(
                "INSERT INTO album_photos (album_id, photo_id, added_by, added_at)"
                " VALUES (?, ?, ?, ?)",
                (album_id, photo_id, actor.id, now),
            )
    return await find(svc.db, album_id, actor)


_UNCHANGED: Any = object()


async def update(
    svc: Services,
    actor: User,
    album_id: int,
    *,
    title: Any = _UNCHANGED,
    description: Any = _UNCHANGED,
    cover_photo_id: Any = _UNCHANGED,
    sort: Any = _UNCHANGED,
) -> Album:
    """The owner changes what they send; `cover_photo_id` None goes back to the automatic
    cover, and any other value must be a photo in the album (one they see: a cover chosen
    that is hidden from them is no cover they can keep or drop, see `_album`)."""
    album = await find(svc.db, album_id, actor)
    owned(album, "change it")
    changes: dict[str, object] = {}
    if title is not _UNCHANGED:
        changes["title"] = check_title(title)
    if description is not _UNCHANGED:
        changes["description"] = check_description(description)
    if sort is not _UNCHANGED:
        changes["sort"] = check_sort(sort)
    if cover_photo_id is not _UNCHANGED and cover_photo_id != album.cover_photo_id:
        changes["cover_photo_id"] = await _check_cover(svc.db, album_id, cover_photo_id, actor)
    if all(sent is _UNCHANGED for sent in (title, description, cover_photo_id, sort)):
        raise Invalid("Send at least one of: title, description, cover_photo_id, sort.")
    if not changes:  # the cover chosen is the cover already: nothing to write
        return album
    changes["updated_at"] = clock.now_iso()
    # Column names from the fixed keys above; every value is bound.
    assignments = ", ".join(f"{name} = ?" for name in changes)
    await svc.db.execute(
        f"UPDATE albums SET {assignments} WHERE id = ?",  # noqa: S608
        (*changes.values(), album_id),
    )
    return await find(svc.db, album_id, actor)


async def _check_cover(db: Reader, album_id: int, value: Any, actor: User) -> int | None:
    """A photo of the album that `actor` sees (an administrator looking after an album sees
    none of its private photos, and so cannot show one to everyone as its cover)."""
    if value is None:
        return None
    visible, params = access.visible_sql(access.Viewer(actor, public_view=False))
    held = (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 0 < value <= MAX_ROWID
        and await db.fetchval(
            # A condition from access.visible_sql; every value is bound.
            "SELECT 1 FROM album_photos ap JOIN photos p ON p.id = ap.photo_id"  # noqa: S608
            f" WHERE ap.album_id = ? AND ap.photo_id = ? AND {visible}",
            (album_id, value, *params),
        )
    )
    if not held:
        raise Invalid("The cover must be a photo in this album.", field="cover_photo_id")
    return int(value)


async def may_delete(db: Reader, album_id: int, actor: User) -> Album:
    """The album `actor` may delete, or NotFound (not theirs to see) or Forbidden."""
    album = await find(db, album_id, actor)
    owned(album, "delete it")
    return album


async def delete(svc: Services, actor: User, album_id: int) -> None:
    """The owner deletes the album; its photos stay where they are, their owners'."""
    await may_delete(svc.db, album_id, actor)
    async with svc.db.transaction() as tx:
        await tx.lock(lock_name(album_id))
        await still_managed(tx, album_id, actor, "delete it")
        members = await tx.fetchall(
            "SELECT user_id FROM album_members WHERE album_id = ?", (album_id,)
        )
        await tx.execute("DELETE FROM albums WHERE id = ?", (album_id,))
    # Its notifications went with it (being added to it): its members' badges ask again.
    for member in members:
        await svc.publish(live.NOTIFICATIONS_EVENT, {"user_id": member[0]})
