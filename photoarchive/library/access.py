"""Who may do what with a photo: the one decision every read of a photo, its media, a page or an
API answer goes through. No HTTP here, and no cache in front of it: a cache may keep what was
decided (see RenditionBodies in web/mediacache.py), never decide.

A viewer is a signed-in account, a guest (the archive says whether guests may look at all), or
the holder of a share link (it sees the photos its link grants, and nothing else). A disabled
account is treated as a guest (its sessions no longer resolve either).

A photo is "family" (every member sees it; guests too when the archive lets them look) or
"private": its owner, and the members of an album holding it, see it; nobody else does, an
administrator included (privacy inside the family). A photo in the trash is nobody's to see:
its owner finds it in their trash, and nowhere else (library/trash.py). Lists ask the same rule of the database:
`visible_sql` is `decide(...).view` written as SQL, and a test holds the two to agreeing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

from photoarchive.accounts.users import User

Visibility = Literal["family", "private"]
VISIBILITIES: tuple[Visibility, ...] = ("family", "private")


class Owned(Protocol):
    """Anything with an owner: a comment's photo, say, when only the owner matters."""

    @property
    def owner_id(self) -> int: ...


class Seen(Owned, Protocol):
    """The facts a photo is decided by, read with it for one viewer: a Photo, the row a
    photo's media is looked up by, a notification's photo."""

    @property
    def id(self) -> int: ...

    @property
    def private(self) -> bool: ...

    @property
    def album_member(self) -> int | None:
        """The id of the account the photo was read for, when that account is a member of an
        album holding it; else None. Naming the account (not a bare yes) keeps a photo read
        for one person from admitting another."""
        ...

    @property
    def trashed(self) -> bool:
        """In its owner's trash: nobody sees it any more, its owner only in the trash."""
        ...


@dataclass(frozen=True, slots=True)
class Grant:
    """What a share link lets its holder see: the photos it holds (filled in by the share
    links' module when it reads a valid, unexpired, unrevoked link)."""

    photo_ids: frozenset[int]


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking. `user` is None for a guest; `public_view` is the archive's setting that
    lets guests look; `grant` makes the viewer a share link's holder."""

    user: User | None
    public_view: bool
    grant: Grant | None = None

    @property
    def account(self) -> User | None:
        """The account acting, if any: a disabled one acts as nobody."""
        if self.grant is not None:
            return None  # a link's holder acts as nobody, whoever else they may be
        return None if self.user is None or self.user.disabled else self.user


@dataclass(frozen=True, slots=True)
class Access:
    view: bool  # the photo, its media and its comments
    location: bool  # where it was taken, and the digest of its original (which would confirm it)
    edit: bool  # its caption and visibility
    delete: bool
    react: bool  # like it, comment on it
    trash: bool = False  # it is in the viewer's own trash: see it there, restore it, purge it
    # Its town and country (never its coordinates): the owner's, and others' when the owner
    # chose to show them (library/places.py); a link's holder never.
    place: bool = False


NONE = Access(view=False, location=False, edit=False, delete=False, react=False)
LOOK = Access(view=True, location=False, edit=False, delete=False, react=False)
# A trashed photo, for its owner: nowhere but in their trash (library/trash.py).
IN_TRASH = Access(
    view=False, location=True, edit=False, delete=False, react=False, trash=True, place=True
)
LOOK_WITH_PLACE = Access(
    view=True, location=False, edit=False, delete=False, react=False, place=True
)


def may_read_archive(viewer: Viewer) -> bool:
    """Whether the viewer may see the archive's pages at all (the feed, profiles)."""
    return viewer.grant is None and (viewer.account is not None or viewer.public_view)


def decide(viewer: Viewer, photo: Seen, *, places_shared: bool = False) -> Access:
    """What `viewer` may do with `photo`; `places_shared`: its owner shows their photos'
    places to others (read with the photo)."""
    if photo.trashed:  # gone for everyone, its owner aside, who finds it in their trash
        account = viewer.account
        return IN_TRASH if account is not None and account.id == photo.owner_id else NONE
    if viewer.grant is not None:
        return LOOK if photo.id in viewer.grant.photo_ids else NONE
    account = viewer.account
    if account is None:
        if not viewer.public_view or photo.private:
            return NONE
        return LOOK if not places_shared else LOOK_WITH_PLACE
    is_owner = account.id == photo.owner_id
    if photo.private and not is_owner and photo.album_member != account.id:
        return NONE
    return Access(
        view=True,
        location=is_owner,
        edit=is_owner,
        delete=is_owner or account.is_admin,
        react=True,
        place=is_owner or places_shared,
    )


def may_delete_comment(viewer: Viewer, photo: Owned, author_id: int) -> bool:
    """A comment goes by its author's hand, or by the photo owner's (it is their photo)."""
    account = viewer.account
    return account is not None and account.id in (author_id, photo.owner_id)


def may_take_out(
    account: User,
    role: str | None,
    photo_owner_id: int,
    added_by: int,
    *,
    manages: bool,
    seen: bool,
) -> bool:
    """Whether `account`, of `role` in an album (None: not a member), may take one of its
    photos out: its owner any photo, a contributor what they added, and a photo's owner their
    own photo from any album holding it, member or not (it is theirs to withdraw). Whoever
    else `manages` it (decide_album: the administrator looking after it while its owner is
    disabled) takes out what they see, as its owner would; a private photo hidden from them
    stays, as it stays hidden.

    Everyone but the photo's owner takes out only what they see (`seen`: `decide(...).view`):
    a photo in its owner's trash is not theirs to touch, so that putting it back from the
    trash puts it back in every album it was in."""
    if account.disabled:
        return False
    if account.id == photo_owner_id:
        return True
    if not seen:
        return False
    if role == "owner" or manages:
        return True
    return role == "contributor" and account.id == added_by


AlbumRole = Literal["owner", "contributor", "viewer", "caretaker"]
_MEMBER_ROLES: dict[str, AlbumRole] = {
    "owner": "owner",
    "contributor": "contributor",
    "viewer": "viewer",
}


@dataclass(frozen=True, slots=True)
class AlbumAccess:
    """What someone may do with an album. `role` is None when the album is not there for them
    (NotFound: never Forbidden, which would tell them it exists)."""

    role: AlbumRole | None
    # Rename it, choose its cover and members, take photos out (those they see), delete it,
    # hand it over.
    manage: bool = False
    add: bool = False  # put photos of their own in it


def decide_album(viewer: Viewer, member_role: str | None, *, owner_disabled: bool) -> AlbumAccess:
    """An album is its members' (`member_role`: the viewer's role in it, None for anyone
    else); its owner manages it. While its owner's account is disabled nobody could, so an
    administrator looks after it (the `caretaker`): they manage it as its owner would, but are
    no member, so its private photos stay hidden from them as any private photo does
    (`decide`), and they never make themselves one (album rules: albums.py)."""
    account = viewer.account
    if account is None:
        return AlbumAccess(None)
    caretaker = owner_disabled and account.is_admin and member_role != "owner"
    role = _MEMBER_ROLES.get(member_role or "")
    if role is not None:
        return AlbumAccess(role, manage=role == "owner" or caretaker, add=role != "viewer")
    return AlbumAccess("caretaker", manage=True) if caretaker else AlbumAccess(None)


def album_sql(viewer: Viewer, album: str = "a", owner: str = "o") -> tuple[str, list[object]]:
    """`decide_album(...).role is not None` as a condition on the albums row named `album` and
    its owner's users row named `owner` (aliases written in the code, never values)."""
    if not (_ALIAS.fullmatch(album) and _ALIAS.fullmatch(owner)):
        raise ValueError(f"not table aliases: {album!r}, {owner!r}")
    account = viewer.account
    if account is None:
        return "1 = 0", []
    # Constant strings around the aliases checked above; the viewer's id is bound.
    member = (
        f"EXISTS (SELECT 1 FROM album_members am WHERE am.album_id = {album}.id"  # noqa: S608
        " AND am.user_id = ?)"
    )
    if not account.is_admin:
        return member, [account.id]
    return f"({member} OR {owner}.disabled <> 0)", [account.id]


def can_view(viewer: Viewer, photo: Seen) -> bool:
    return decide(viewer, photo).view


@dataclass(frozen=True, slots=True)
class _Facts:
    id: int
    owner_id: int
    private: bool
    album_member: int | None
    trashed: bool


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may see one photo, read once for a message that goes to many (a live event: see
    web/events.py): its owner, whether it is private, the members of the albums holding it.
    `admits` is `can_view` for each of them."""

    photo_id: int
    owner_id: int
    private: bool
    album_members: frozenset[int]
    trashed: bool = False

    def admits(self, viewer: Viewer) -> bool:
        account = viewer.account
        member = account.id if account and account.id in self.album_members else None
        return can_view(
            viewer, _Facts(self.photo_id, self.owner_id, self.private, member, self.trashed)
        )


_ALIAS = re.compile(r"[a-z_][a-z0-9_]*")


def visible_sql(viewer: Viewer, photo: str = "p") -> tuple[str, list[object]]:
    """`decide(viewer, photo).view` as a condition on the photos row named `photo` (an alias
    written in the code, never a value), and the parameters it binds, in order."""
    if not _ALIAS.fullmatch(photo):
        raise ValueError(f"not a table alias: {photo!r}")
    # Constant strings around the alias checked above; every value is bound.
    kept = f"NOT EXISTS (SELECT 1 FROM trashed_photos tp WHERE tp.photo_id = {photo}.id)"  # noqa: S608
    if viewer.grant is not None:
        ids = sorted(viewer.grant.photo_ids)
        if not ids:
            return "1 = 0", []
        return f"{photo}.id IN ({', '.join('?' for _ in ids)}) AND {kept}", list(ids)
    family = f"NOT EXISTS (SELECT 1 FROM private_photos pp WHERE pp.photo_id = {photo}.id)"  # noqa: S608
    account = viewer.account
    if account is None:
        return (f"{family} AND {kept}", []) if viewer.public_view else ("1 = 0", [])
    member = (
        "EXISTS (SELECT 1 FROM album_photos ap JOIN album_members am"  # noqa: S608
        f" ON am.album_id = ap.album_id AND am.user_id = ? WHERE ap.photo_id = {photo}.id)"
    )
    return f"({photo}.owner_id = ? OR {family} OR {member}) AND {kept}", [account.id, account.id]


def place_sql(viewer: Viewer, photo: str = "p") -> tuple[str, list[object]]:
    """`decide(viewer, photo, places_shared=...).place` as a condition on the photos row named
    `photo` (the places list, a `place:` search): `visible_sql`, and the photo is the viewer's
    own or its owner shows their photos' places."""
    if viewer.grant is not None:
        return "1 = 0", []
    visible, params = visible_sql(viewer, photo)
    # Constant strings around the alias visible_sql checked; the viewer's id is bound.
    shared = f"EXISTS (SELECT 1 FROM place_sharing ps WHERE ps.user_id = {photo}.owner_id)"  # noqa: S608
    account = viewer.account
    if account is None:
        return f"{visible} AND {shared}", params
    return f"{visible} AND ({photo}.owner_id = ? OR {shared})", [*params, account.id]
