"""Notifications: a photo's owner hears when someone else comments on it or likes it, and a
member when someone adds them to an album or adds photos to an album they are in.

A notification is written in the transaction of its cause (`commented`, `liked` and `unliked`,
called by comments.py and likes.py), so it exists exactly when its cause does:
- nobody is told of their own doing;
- one like notification per person and photo (a unique index): liking, unliking and liking
  again tells the owner once. An unlike takes back a like notification not yet read; one
  already read stays, as what happened;
- deleting a comment deletes its notification, read or not (`comment_deleted`); deleting the
  photo, or the account that acted, deletes theirs (ON DELETE CASCADE, migration 0011). A
  disabled account's notifications stay, as its comments do;
- one album notification per member and album (a unique index), taken back, read or not, when
  the member leaves or is removed (album_news.left_album); deleting the album deletes them
  (0032);
- photos added to an album tell its other members once per run (album_news.photos_added,
  0033): while
  the notification is unread, more photos from the same person join it (and bring it to the
  top); read, the next addition starts a new one. How many photos it tells of is counted
  when it is read, from the album itself: those the person added since the run began (up
  to its reading) that the member may still see, so a photo taken out or trashed since is
  not counted, and a run with none left is not shown. Leaving the album takes them back.

What a person is shown and counted is decided per photo, or per album, by library/access.py,
the same decision as every other read: a notification about a photo they may no longer see,
or an album no longer theirs to open, is left out. No HTTP here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import MAX_ROWID, Row, Transaction, placeholders
from photoarchive.errors import BadRequest
from photoarchive.library import access, albums, live, photos
from photoarchive.library.albums import Album
from photoarchive.library.photos import Photo
from photoarchive.services import Services

Kind = Literal["comment", "like", "album", "album_photos"]
# The kinds about an album rather than a photo.
ALBUM_KINDS = ("album", "album_photos")
PAGE_DEFAULT = photos.PAGE_DEFAULT
PAGE_MAX = photos.PAGE_MAX
# No photo of the 'album_photos' run of the row being marked is in the trash.
_NONE_BINNED = (
    "NOT EXISTS (SELECT 1 FROM album_photos ay JOIN trashed_photos ty ON ty.photo_id = ay.photo_id"
    " WHERE ay.album_id = notifications.album_id AND ay.added_by = notifications.actor_id"
    " AND ay.added_at >= notifications.since_at)"
)
# When a notification is read: now, or when it last changed if that is later (a run of photos
# added that grew while the marking waited for the write lock counts what it holds).
_READ_AT = "CASE WHEN created_at > ? THEN created_at ELSE ? END"
# How many ids one request may mark read (a page's worth).
MARK_MAX = PAGE_MAX
# How much of a comment the list quotes.
EXCERPT_MAX = 120
# The live stream's event for "your notifications changed"; it goes to their addressee alone.
EVENT = live.NOTIFICATIONS_EVENT


@dataclass
class Notification:
    id: int
    kind: Kind
    actor: str  # username
    actor_display: str
    photo_id: int | None  # for a comment or a like
    created_at: str
    read: bool
    comment_text: str | None  # for a comment
    photo: Photo | None = None  # filled in by `page(..., with_subjects=True)`
    album_id: int | None = None  # for the album kinds: the album
    album: Album | None = None  # filled in by `page(..., with_subjects=True)`
    photo_count: int | None = None  # for 'album_photos': how many the person may see

    @property
    def excerpt(self) -> str:
        text = " ".join((self.comment_text or "").split())
        return text if len(text) <= EXCERPT_MAX else text[: EXCERPT_MAX - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class _PhotoRef:
    """As much of a photo as access.decide asks for (access.Owned), from the notification
    queries' own join: when the decision comes to need more of a photo (its being private or
    trashed), this class stops type-checking until the queries select that too."""

    id: int
    owner_id: int
    private: bool
    album_member: int | None
    trashed: bool


# What access.decide asks of the photo, for the person told (bound first: `?`).
_FACTS = (
    "EXISTS (SELECT 1 FROM private_photos pp WHERE pp.photo_id = p.id) AS private,"
    " (SELECT am.user_id FROM album_photos ap JOIN album_members am ON am.album_id = ap.album_id"
    " AND am.user_id = ? WHERE ap.photo_id = p.id LIMIT 1) AS album_member,"
    " EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = p.id) AS trashed"
)


# What access.decide_album asks of the album, for the person told (bound first: `?`).
_ALBUM_JOINS = (
    " LEFT JOIN albums a ON a.id = n.album_id LEFT JOIN users o ON o.id = a.owner_id"
    " LEFT JOIN album_members m ON m.album_id = a.id AND m.user_id = ?"
)
_ALBUM_FACTS = "m.role AS album_role, o.disabled AS album_owner_disabled"


def _added(
    viewer: access.Viewer, notification: str, *, until_read: bool
) -> tuple[str, list[object]]:
    """How many photos of an 'album_photos' notification's run (the row named `notification`,
    an alias written in the code) the person told may see, as access.visible_sql decides:
    those of the album its actor added from `since_at` on (with `until_read`, for a run read:
    up to `read_at`, and before the next run of the same person and album began, so that no
    photo is in two runs, whatever order a marking and an addition met in). Any other kind
    counts none (its `since_at` is NULL). The condition's parameters, in order."""
    seen, params = access.visible_sql(viewer, "px")
    if notification not in ("n", "notifications"):
        raise ValueError(f"not a name of the notifications row: {notification!r}")
    n = notification
    until = (
        # Constant text around the row's name checked above.
        f" AND ({n}.read_at IS NULL OR (ax.added_at <= {n}.read_at"  # noqa: S608
        " AND NOT EXISTS (SELECT 1 FROM notifications later WHERE later.kind = 'album_photos'"
        f" AND later.album_id = {n}.album_id AND later.user_id = {n}.user_id"
        f" AND later.actor_id = {n}.actor_id AND later.id > {n}.id"
        " AND ax.added_at >= later.since_at)))"
    )
    sql = (
        # Constant text around an alias of this module and access.visible_sql's condition.
        f"(SELECT COUNT(*) FROM album_photos ax JOIN photos px ON px.id = ax.photo_id"  # noqa: S608
        f" WHERE ax.album_id = {n}.album_id AND ax.added_by = {n}.actor_id"
        f" AND ax.added_at >= {n}.since_at{until if until_read else ''} AND {seen})"
    )
    return sql, params


def _visible(svc: Services, user: User, row: Row) -> bool:
    viewer = access.Viewer(user, public_view=svc.settings.public_view)
    if row["kind"] in ALBUM_KINDS:
        decided = access.decide_album(
            viewer, row["album_role"], owner_disabled=bool(row["album_owner_disabled"])
        )
        return decided.role is not None and (row["kind"] == "album" or row["photo_count"] > 0)
    photo = _PhotoRef(
        row["photo_id"],
        row["owner_id"],
        bool(row["private"]),
        row["album_member"],
        bool(row["trashed"]),
    )
    return access.can_view(viewer, photo)


# --- written with their cause ------------------------------------------------------------


async def commented(
    tx: Transaction, photo: Photo, author_id: int, comment_id: int, created_at: str
) -> bool:
    """Tell the photo's owner of a new comment; False when there is nobody to tell."""
    if author_id == photo.owner_id:
        return False
    await tx.execute(
        "INSERT INTO notifications (user_id, actor_id, kind, photo_id, comment_id, created_at)"
        " VALUES (?, ?, 'comment', ?, ?, ?)",
        (photo.owner_id, author_id, photo.id, comment_id, created_at),
    )
    return True


async def comment_deleted(tx: Transaction, comment_id: int) -> bool:
    """Take back the notification of a comment being deleted; True if there was one."""
    removed = await tx.execute("DELETE FROM notifications WHERE comment_id = ?", (comment_id,))
    return removed > 0


async def liked(tx: Transaction, photo: Photo, actor_id: int) -> bool:
    """Tell the owner of a new like, unless they were told of this person's like before."""
    if actor_id == photo.owner_id:
        return False
    added = await tx.execute(
        "INSERT INTO notifications (user_id, actor_id, kind, photo_id, created_at)"
        " VALUES (?, ?, 'like', ?, ?)"
        " ON CONFLICT (photo_id, actor_id) WHERE kind = 'like' DO NOTHING",
        (photo.owner_id, actor_id, photo.id, clock.now_iso()),
    )
    return added > 0


async def unliked(tx: Transaction, photo: Photo, actor_id: int) -> bool:
    """Take back an unread like notification; True if there was one."""
    removed = await tx.execute(
        "DELETE FROM notifications WHERE kind = 'like' AND photo_id = ? AND actor_id = ?"
        " AND read_at IS NULL",
        (photo.id, actor_id),
    )
    return removed > 0


async def announce(svc: Services, user_id: int) -> None:
    """After the commit: the person's notifications changed (their badge asks again)."""
    await svc.publish(EVENT, {"user_id": user_id})


async def announce_all(svc: Services, members: Iterable[int], told: set[int] | None = None) -> None:
    """`announce` to each of `members` once, or, with `told` (a bulk request going photo by
    photo), put them in it for the caller to announce once at its end."""
    if told is not None:
        told.update(members)
        return
    for member_id in sorted(set(members)):
        await announce(svc, member_id)


# --- read by the person told ---------------------------------------------------------------


def check_limit(limit: int | None) -> int:
    if limit is None:
        return PAGE_DEFAULT
    if not 1 <= limit <= PAGE_MAX:
        raise BadRequest(f"limit must be between 1 and {PAGE_MAX}.", field="limit")
    return limit


def _notification(row: Row) -> Notification:
    return Notification(
        id=row["id"],
        kind=row["kind"],
        actor=row["username"],
        actor_display=row["display_name"],
        photo_id=row["photo_id"],
        created_at=row["created_at"],
        read=row["read_at"] is not None,
        comment_text=row["text"],
        album_id=row["album_id"],
        photo_count=row["photo_count"] if row["kind"] == "album_photos" else None,
    )


async def page(
    svc: Services,
    user: User,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    with_subjects: bool = False,
) -> tuple[list[Notification], str | None, int | None]:
    """One page of the person's notifications, newest first (keyset on id), and the cursor of
    the next page. Those about photos they may not see (or albums they may not open) are left
    out, so a page can hold fewer than `limit`; the cursor still moves past them. Also returns
    the newest id looked at (for `mark_read(..., up_to=)`), None when there was none.
    `with_subjects`: each with its photo or album, as the person sees it (for a list)."""
    size = check_limit(limit)
    before = photos.parse_cursor(cursor)
    added, seen = _added(access.Viewer(user, svc.settings.public_view), "n", until_read=True)
    rows = await svc.db.fetchall(
        # A constant column list and _added's condition; every value is bound.
        "SELECT n.id, n.kind, n.photo_id, n.album_id, n.created_at, n.read_at, u.username,"  # noqa: S608
        f" u.display_name, c.text, p.owner_id, {_FACTS}, {_ALBUM_FACTS},"
        f" {added} AS photo_count FROM notifications n"
        " JOIN users u ON u.id = n.actor_id LEFT JOIN photos p ON p.id = n.photo_id"
        f" LEFT JOIN comments c ON c.id = n.comment_id{_ALBUM_JOINS}"
        " WHERE n.user_id = ? AND n.id <= ? ORDER BY n.id DESC LIMIT ?",
        (
            user.id,
            *seen,
            user.id,
            user.id,
            MAX_ROWID if before is None else before - 1,
            size + 1,
        ),
    )
    looked_at = rows[:size]
    next_cursor = str(looked_at[-1]["id"]) if len(rows) > size else None
    items = [_notification(r) for r in looked_at if _visible(svc, user, r)]
    if with_subjects:
        items = await _with_subjects(svc, user, items)
    return items, next_cursor, (looked_at[0]["id"] if looked_at else None)


async def _with_subjects(
    svc: Services, user: User, items: list[Notification]
) -> list[Notification]:
    """Each item with its photo (for its thumbnail) or album (its title and cover), as the
    person sees them; one gone meanwhile drops its items."""
    photo_ids = [item.photo_id for item in items if item.photo_id is not None]
    found = await photos.find_many(svc, photo_ids, user)
    album_ids = [item.album_id for item in items if item.album_id is not None]
    shown = await albums.find_many(svc.db, album_ids, user)
    for item in items:
        if item.album_id is not None:
            item.album = shown.get(item.album_id)
        elif item.photo_id is not None:
            item.photo = found.get(item.photo_id)
    return [item for item in items if item.photo is not None or item.album is not None]


async def unread_count(svc: Services, user: User) -> int:
    """How many unread notifications the person may see."""
    added, seen = _added(access.Viewer(user, svc.settings.public_view), "n", until_read=False)
    rows = await svc.db.fetchall(
        # A constant column list and _added's condition; every value is bound.
        f"SELECT n.kind, n.photo_id, p.owner_id, {_FACTS}, {_ALBUM_FACTS},"  # noqa: S608
        f" {added} AS photo_count, COUNT(*) AS unread"
        f" FROM notifications n LEFT JOIN photos p ON p.id = n.photo_id{_ALBUM_JOINS}"
        " WHERE n.user_id = ? AND n.read_at IS NULL"
        " GROUP BY n.kind, n.photo_id, p.id, p.owner_id, n.album_id, m.role, o.disabled,"
        " n.actor_id, n.since_at",
        (user.id, *seen, user.id, user.id),
    )
    return sum(row["unread"] for row in rows if _visible(svc, user, row))


async def mark_read(
    svc: Services, user: User, ids: Sequence[int] | None = None, *, up_to: int | None = None
) -> int:
    """Mark the person's notifications read: those of `ids` (others' ids are passed over), or
    with `ids` None all that they may be shown now (only those up to id `up_to`, when given:
    the ones a page showed, not one that arrived since). Returns the unread count after."""
    if ids is not None and len(ids) > MARK_MAX:
        raise BadRequest(f"At most {MARK_MAX} ids at once.", field="ids")
    if ids is not None and not all(isinstance(i, int) and 0 < i <= MAX_ROWID for i in ids):
        raise BadRequest("ids must be notification ids.", field="ids")
    now = clock.now_iso()
    if ids is not None:
        if not ids:
            return await unread_count(svc, user)
        marks = placeholders(len(ids))
        changed = await svc.db.execute(
            # Only "?" placeholders, one per id; the ids are bound.
            f"UPDATE notifications SET read_at = {_READ_AT} WHERE user_id = ? AND read_at IS NULL AND id IN ({marks})",  # noqa: S608
            (now, now, user.id, *ids),
        )
    else:
        # Only those the person may be shown now (as `page` and `unread_count` decide): one
        # about a photo hidden from them (in their trash) stays news for when it comes back.
        viewer = access.Viewer(user, svc.settings.public_view)
        seen, params = access.visible_sql(viewer)
        opened, album_params = access.album_sql(viewer, "a", "o")
        # A run of photos added with none the person may see now is not shown: while one of
        # them is in the trash, it stays news for when it comes back (with nothing left at
        # all, it is marked, or it would stay unread for ever).
        added, added_params = _added(viewer, "notifications", until_read=False)
        changed = await svc.db.execute(
            # Conditions from access.visible_sql, access.album_sql and _added around constant
            # text; every value is bound.
            f"UPDATE notifications SET read_at = {_READ_AT} WHERE user_id = ?"  # noqa: S608
            # Asked of each notification's own photo or album, not worked out for them all.
            " AND read_at IS NULL AND id <= ? AND (EXISTS (SELECT 1 FROM photos p"
            f" WHERE p.id = notifications.photo_id AND {seen})"
            " OR EXISTS (SELECT 1 FROM albums a JOIN users o ON o.id = a.owner_id"
            f" WHERE a.id = notifications.album_id AND {opened}"
            f" AND (notifications.kind <> 'album_photos' OR {added} > 0 OR {_NONE_BINNED})))",
            (
                now,
                now,
                user.id,
                MAX_ROWID if up_to is None else up_to,
                *params,
                *album_params,
                *added_params,
            ),
        )
    if changed:
        await announce(svc, user.id)  # the person's other tabs and devices
    return await unread_count(svc, user)
