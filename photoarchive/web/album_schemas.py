"""The album API's bodies and answers as types (see schemas.py for the photo answers)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from photoarchive.library.albums import MEMBER_ROLES, SORTS, Album
from photoarchive.web.schemas import OwnerOut


class AlbumBody(msgspec.Struct, forbid_unknown_fields=True):
    # Limits (title 1-200, description up to 2,000) are the domain's: a breach is 422.
    title: str
    description: str | None = None


class AlbumEditBody(msgspec.Struct, forbid_unknown_fields=True):
    """Any of these: what is left out stays as it is."""

    title: str | UnsetType = UNSET
    description: str | UnsetType = UNSET
    # A photo in the album; null goes back to the automatic cover (the photo added last).
    cover_photo_id: int | UnsetType | None = UNSET
    sort: Annotated[str, msgspec.Meta(examples=list(SORTS))] | UnsetType = UNSET


class PhotoIdsBody(msgspec.Struct, forbid_unknown_fields=True):
    # At most 1,000 ids (more is 422).
    photo_ids: list[int]


class MemberBody(msgspec.Struct, forbid_unknown_fields=True):
    role: Annotated[str, msgspec.Meta(examples=list(MEMBER_ROLES))]


class OwnerBody(msgspec.Struct, forbid_unknown_fields=True):
    # Who owns the album from now on (added as a member if they are not one); the owner before
    # them stays a contributor.
    username: str


class MemberOut(msgspec.Struct):
    username: str
    role: Literal["owner", "contributor", "viewer"]


class AlbumOut(msgspec.Struct):
    id: int
    title: str
    description: str
    owner: OwnerOut
    # The caller's own role in the album; "caretaker": an administrator looking after an
    # album whose owner's account is disabled (not a member: its private photos stay hidden).
    role: Literal["owner", "contributor", "viewer", "caretaker"]
    members: list[MemberOut]
    # The photos the caller may see (every photo of the album, for a member).
    photo_count: int
    # The cover's thumbnail URL; null for an empty album.
    cover: str | None
    sort: Literal["taken_desc", "taken_asc", "added_desc"]
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, album: Album) -> AlbumOut:
        return cls(
            id=album.id,
            title=album.title,
            description=album.description,
            owner=OwnerOut(album.owner),
            role=album.role,
            members=[MemberOut(m.username, m.role) for m in album.members],
            photo_count=album.photo_count,
            cover=album.cover,
            sort=album.sort,
            created_at=album.created_at,
            updated_at=album.updated_at,
        )


class AlbumPage(msgspec.Struct):
    items: list[AlbumOut]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class SkippedOut(msgspec.Struct):
    id: int
    # not_found (not there, or not one you may see), not_yours, already_in_album
    reason: Literal["not_found", "not_yours", "already_in_album"]


class AddedOut(msgspec.Struct):
    added: list[int]
    skipped: list[SkippedOut]


class RemovedOut(msgspec.Struct):
    removed: list[int]
