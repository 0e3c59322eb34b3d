"""Share links: an album, or some of one's own photos, for people with no account. No HTTP here.

A link is its token. The database keeps the token's SHA-256 (what a request is looked up by)
and a random seed the token is derived from with the archive's secret key, never the token:
its creator can be shown the link again, while a copy of the database alone (a stray backup
of the file, a read through some other hole) opens nothing. A token carries 192 bits.

A link is its keeper's: a link to chosen photos stays its creator's; a link to an album is the
album's, and so its owner's now (only an album's owner shares it). Handed to someone else, the
album takes its links with it: they keep working for whoever holds them, and its new owner
sees, changes and turns them off, its previous owner no longer (`_KEEPER`, the one rule).

Every request under a link reads the link afresh (`open_link`): revoked, unknown, its album
gone, its keeper disabled -> NotFound; past its expiry -> Gone.
What it grants is read then too (a photo taken out of the album, or deleted, has left it) and
handed to library/access.py as a `Grant`: the decision stays there.

A password is kept as an argon2id hash. Checking one is throttled like signing in (per link
and per client). A holder who typed it gets a cookie bound to the link and to the password's
current hash (share_holders.unlock_value): a new password, or none, makes every such cookie
worthless. What a holder then reads is share_holders.py's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.db import Row, placeholders
from photoarchive.errors import Forbidden, Gone, Invalid, NotFound
from photoarchive.library import access, album_photos, albums
from photoarchive.services import Services

PASSWORD_MIN = 8
PASSWORD_MAX = 1024
PHOTOS_MAX = 1000
EXPIRY_YEARS_MAX = 100
PAGE_DEFAULT = 60
PAGE_MAX = 200
SEED_BYTES = 16
UNKNOWN = "This link does not exist, or it was turned off."
# What the page a person made or turned off a link from says next (Settings, the album's).
MADE_NOTICE = "Your link is made: copy it below and send it."
TURNED_OFF_NOTICE = "That link is turned off."
EXPIRED = "This link has expired."
NOT_SHARED = "That photo is not part of this link."
KEEP: Any = object()  # for `update`: leave this setting as it is

# Whose a link is: its album's owner (whoever made it), else its creator. The users row `u`
# is the keeper's: their name titles a link to photos, and their account disabled stops it.
_KEEPER = "CASE s.kind WHEN 'album' THEN a.owner_id ELSE s.creator_id END"
_COLUMNS = (
    "s.id, s.creator_id, s.kind, s.album_id, s.token_seed, s.token_hash, s.expires_at,"
    " s.password_hash, s.allow_download, s.show_metadata, s.view_count, s.revoked_at,"
    " s.created_at, u.disabled AS keeper_disabled, u.display_name, u.username,"
    " a.title, a.description, a.sort,"
    " CASE s.kind WHEN 'album'"
    " THEN (SELECT COUNT(*) FROM album_photos ap WHERE ap.album_id = s.album_id"
    " AND NOT EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = ap.photo_id))"
    " ELSE (SELECT COUNT(*) FROM share_photos sp WHERE sp.share_id = s.id"
    " AND NOT EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = sp.photo_id))"
    " END AS photo_count"
)
_FROM = f" FROM shares s LEFT JOIN albums a ON a.id = s.album_id JOIN users u ON u.id = {_KEEPER}"


@dataclass
class Share:
    id: int
    creator_id: int
    kind: str  # "album" or "photos"
    album_id: int | None
    token: str
    expires_at: str | None
    password_hash: str | None
    allow_download: bool
    show_metadata: bool
    view_count: int
    created_at: str
    photo_count: int
    title: str
    description: str
    sort: str | None
    shared_by: str  # whose the link is (display name, else username): the page says so

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def path(self) -> str:
        return f"/s/{self.token}"

    @property
    def expired(self) -> bool:
        """Past its expiry: it opens nothing (until its creator gives it a later one)."""
        return _expired(self.expires_at)


@dataclass
class Link:
    """An open link: the share, and the ids of the photos it shows now, in order."""

    share: Share
    photo_ids: list[int]

    @property
    def viewer(self) -> access.Viewer:
        return access.Viewer(None, public_view=False, grant=access.Grant(frozenset(self.photo_ids)))


def derive_token(secret: str, seed: str) -> str:
    digest = hmac.new(secret.encode(), f"share-link\0{seed}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii")  # 192 bits, 32 chars


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _share(row: Row, secret: str) -> Share:
    token = derive_token(secret, row["token_seed"])
    if not hmac.compare_digest(token_hash(token), row["token_hash"]):
        token = ""  # made under another secret key: it still opens, but cannot be shown again
    album = row["kind"] == "album"
    keeper = row["display_name"] or row["username"]
    return Share(
        id=row["id"],
        creator_id=row["creator_id"],
        kind=row["kind"],
        album_id=row["album_id"],
        token=token,
        expires_at=row["expires_at"],
        password_hash=row["password_hash"],
        allow_download=bool(row["allow_download"]),
        show_metadata=bool(row["show_metadata"]),
        view_count=row["view_count"],
        created_at=row["created_at"],
        photo_count=row["photo_count"],
        title=(row["title"] or "") if album else f"Photos from {keeper}",
        description=(row["description"] or "") if album else "",
        sort=row["sort"],
        shared_by=keeper,
    )


# --- checking what is asked -------------------------------------------------------------------


def check_expiry(value: Any) -> str | None:
    """A future moment (ISO 8601; UTC when it names no zone), as stored: UTC with a Z."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("expires_at must be an ISO 8601 date and time.", field="expires_at")
    too_far = Invalid(
        f"expires_at must be within {EXPIRY_YEARS_MAX} years; without one, the link never expires.",
        field="expires_at",
    )
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        # Stored to the second: rounded up, so a future moment is never stored as a past one.
        stored = moment.replace(microsecond=0) + timedelta(seconds=bool(moment.microsecond))
    except OverflowError:  # past the calendar's end once in UTC (9999-12-31 west of it)
        raise too_far from None
    except ValueError:
        raise Invalid("expires_at must be an ISO 8601 date and time.", field="expires_at") from None
    if moment.timestamp() <= clock.now():
        raise Invalid("expires_at must be in the future.", field="expires_at")
    if moment.timestamp() > clock.now() + EXPIRY_YEARS_MAX * 366 * 86400:
        # The date picker's "forever" (year 9999) is no date a page can show in every zone.
        raise too_far
    return stored.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_password(value: Any) -> str:
    if not isinstance(value, str) or not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise Invalid(
            f"A link's password has {PASSWORD_MIN} to {PASSWORD_MAX} characters.", field="password"
        )
    return value


def _expired(expires_at: str | None) -> bool:
    if expires_at is None:
        return False
    return datetime.fromisoformat(expires_at.replace("Z", "+00:00")).timestamp() <= clock.now()


# --- the creator's side -----------------------------------------------------------------------


async def create(
    svc: Services,
    actor: User,
    *,
    album_id: int | None = None,
    photo_ids: list[int] | None = None,
    expires_at: Any = None,
    password: Any = None,
    allow_download: bool = False,
    show_metadata: bool = False,
) -> Share:
    """A new link to an album of `actor`'s, or to photos of theirs."""
    if (album_id is None) == (photo_ids is None):
        raise Invalid("Share either an album (album_id) or photos (photo_ids).")
    expiry = check_expiry(expires_at)
    hashed = None if password is None else await svc.passwords.hash(check_password(password))
    if album_id is not None:
        # As the album's pages decide: NotFound where it is not there for `actor`. Its members
        # and the administrator looking after it (who may not share what a disabled account
        # kept: a hand-over ends its links) see it, but only its owner shares it.
        album = await albums.find(svc.db, album_id, actor)
        if album.role != "owner":
            raise Forbidden("Only the album's owner can share it.")
    ids = list(dict.fromkeys(photo_ids or []))
    if photo_ids is not None:
        if not 1 <= len(ids) <= PHOTOS_MAX:
            raise Invalid(f"Share 1 to {PHOTOS_MAX} photos.", field="photo_ids")
        rows = await svc.db.fetchall(
            # Only "?" placeholders, one per id; the ids are bound.
            f"SELECT id FROM photos WHERE owner_id = ? AND id IN ({placeholders(len(ids))})",  # noqa: S608
            [actor.id, *ids],
        )
        if len(rows) != len(ids):
            raise Invalid("A link holds only your own photos.", field="photo_ids")
    seed = secrets.token_hex(SEED_BYTES)
    token = derive_token(svc.settings.secret_key, seed)
    async with svc.db.transaction() as tx:
        share_id = await tx.fetchval(
            "INSERT INTO shares (creator_id, token_hash, token_seed, kind, album_id, expires_at,"
            " password_hash, allow_download, show_metadata, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                actor.id,
                token_hash(token),
                seed,
                "album" if album_id is not None else "photos",
                album_id,
                expiry,
                hashed,
                int(allow_download),
                int(show_metadata),
                clock.now_iso(),
            ),
        )
        for position, photo_id in enumerate(ids):
            await tx.execute(
                "INSERT INTO share_photos (share_id, photo_id, position) VALUES (?, ?, ?)",
                (share_id, photo_id, position),
            )
    return await get(svc, actor, share_id)


async def mine(svc: Services, actor: User) -> list[Share]:
    """`actor`'s links that still work or may again (revoked ones are gone), newest first:
    those they made to their photos, and those to the albums they own, whoever made them."""
    rows = await svc.db.fetchall(
        f"SELECT {_COLUMNS}{_FROM} WHERE {_KEEPER} = ? AND s.revoked_at IS NULL ORDER BY s.id DESC",
        (actor.id,),
    )
    return [_share(row, svc.settings.secret_key) for row in rows]


async def links_to(svc: Services, photo_id: int, owner: User) -> int:
    """How many of `owner`'s working links to chosen photos show this photo of theirs: a
    private photo stays in them (their holder was given it), which its page says."""
    rows = await svc.db.fetchall(
        "SELECT s.expires_at FROM share_photos sp JOIN shares s ON s.id = sp.share_id"
        " WHERE sp.photo_id = ? AND s.creator_id = ? AND s.kind = 'photos'"
        " AND s.revoked_at IS NULL",
        (photo_id, owner.id),
    )
    return sum(1 for row in rows if not _expired(row[0]))


async def get(svc: Services, actor: User, share_id: int) -> Share:
    """One of `actor`'s own links (NotFound for anyone else's: it is not theirs to know of)."""
    row = await svc.db.fetchone(
        f"SELECT {_COLUMNS}{_FROM} WHERE s.id = ? AND {_KEEPER} = ? AND s.revoked_at IS NULL",
        (share_id, actor.id),
    )
    if row is None:
        raise NotFound("There is no such link.")
    return _share(row, svc.settings.secret_key)


async def update(
    svc: Services,
    actor: User,
    share_id: int,
    *,
    expires_at: Any = KEEP,
    password: Any = KEEP,
    allow_download: Any = KEEP,
    show_metadata: Any = KEEP,
) -> Share:
    """Change a link of `actor`'s; `password=None` removes the password, `expires_at=None`
    the expiry."""
    await get(svc, actor, share_id)
    changes: dict[str, Any] = {}
    if expires_at is not KEEP:
        changes["expires_at"] = check_expiry(expires_at)
    if password is not KEEP:
        changes["password_hash"] = (
            None if password is None else await svc.passwords.hash(check_password(password))
        )
    for name, value in (("allow_download", allow_download), ("show_metadata", show_metadata)):
        if value is not KEEP:
            if not isinstance(value, bool):
                raise Invalid(f"{name} must be true or false.", field=name)
            changes[name] = int(value)
    async with svc.db.transaction() as tx:
        for column, value in changes.items():  # column names from the fixed list above
            await tx.execute(
                f"UPDATE shares SET {column} = ? WHERE id = ?",  # noqa: S608
                (value, share_id),
            )
    return await get(svc, actor, share_id)


async def revoke(svc: Services, actor: User, share_id: int) -> None:
    """Turn a link off for good, from the next request on (nothing caches a link)."""
    await get(svc, actor, share_id)
    await svc.db.execute(
        "UPDATE shares SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
        (clock.now_iso(), share_id),
    )


# --- the holder's side ------------------------------------------------------------------------


async def open_link(svc: Services, token: str) -> Link:
    """The link `token` names, as it is now: NotFound (unknown, revoked, dead), Gone (expired)."""
    if not 16 <= len(token) <= 64:
        raise NotFound(UNKNOWN)
    row = await svc.db.fetch_by_key(
        f"SELECT {_COLUMNS}{_FROM} WHERE s.token_hash = ?",
        (token_hash(token),),
    )
    return await _opened(svc, row, token)


async def reopen(svc: Services, link: Link, *, only: int | None = None) -> Link:
    """`link` as it is now, by the same rules as `open_link`: for what takes long under one
    request (a zip), so that turning the link off, or its expiry, stops it there. With `only`,
    its photos are read for that one photo alone (it, or none): a zip asks once per photo, and
    reading the whole list each time would cost the square of its length."""
    row = await svc.db.fetch_by_key(f"SELECT {_COLUMNS}{_FROM} WHERE s.id = ?", (link.share.id,))
    return await _opened(svc, row, link.share.token, only=only)


async def _opened(svc: Services, row: Row | None, token: str, *, only: int | None = None) -> Link:
    if row is None or row["revoked_at"] is not None or row["keeper_disabled"]:
        raise NotFound(UNKNOWN)
    # The holder's own token: its pages and media are addressed by it, even where the server's
    # secret key has changed since (and the stored seed no longer derives it).
    share = replace(_share(row, svc.settings.secret_key), token=token)
    if _expired(share.expires_at):
        raise Gone(EXPIRED)
    return Link(share, await _photo_ids(svc, share, only))


async def _photo_ids(svc: Services, share: Share, only: int | None = None) -> list[int]:
    if share.album_id is not None:  # the album's own order, as its page shows it
        return await album_photos.ids_in_order(
            svc, share.album_id, share.sort or "taken_desc", only=only
        )
    one = "" if only is None else " AND p.id = ?"
    rows = await svc.db.fetchall(
        # A fixed condition or none; every value is bound.
        "SELECT sp.photo_id FROM share_photos sp JOIN photos p ON p.id = sp.photo_id"  # noqa: S608
        " WHERE sp.share_id = ? AND p.owner_id = ?"
        + one
        + " AND NOT EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = p.id)"
        " ORDER BY sp.position",
        (share.id, share.creator_id) if only is None else (share.id, share.creator_id, only),
    )
    return [row[0] for row in rows]
