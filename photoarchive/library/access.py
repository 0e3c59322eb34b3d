"""Who may do what with a photo: the one decision every read of a photo, its media, a page or an
API answer goes through. No HTTP here, and no cache in front of it: a cache may keep what was
decided (see RenditionBodies in web/mediacache.py), never decide.

A viewer is a signed-in account or a guest; the archive says whether guests may look at all.
A disabled account is treated as a guest (its sessions no longer resolve either). A share-link
holder will be a third kind of viewer, decided here like the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from photoarchive.accounts.users import User


class Owned(Protocol):
    """Anything with an owner: a Photo, or the row a photo's media is looked up by."""

    @property
    def owner_id(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking. `user` is None for a guest; `public_view` is the archive's setting that
    lets guests look."""

    user: User | None
    public_view: bool

    @property
    def account(self) -> User | None:
        """The account acting, if any: a disabled one acts as nobody."""
        return None if self.user is None or self.user.disabled else self.user


@dataclass(frozen=True, slots=True)
class Access:
    view: bool  # the photo, its media and its comments
    location: bool  # where it was taken, and the digest of its original (which would confirm it)
    edit: bool  # its caption
    delete: bool
    react: bool  # like it, comment on it


NONE = Access(view=False, location=False, edit=False, delete=False, react=False)
LOOK = Access(view=True, location=False, edit=False, delete=False, react=False)


def may_read_archive(viewer: Viewer) -> bool:
    """Whether the viewer may see the archive's pages at all (the feed, profiles)."""
    return viewer.account is not None or viewer.public_view


def decide(viewer: Viewer, photo: Owned) -> Access:
    """What `viewer` may do with `photo`."""
    account = viewer.account
    if account is None:
        return LOOK if viewer.public_view else NONE
    is_owner = account.id == photo.owner_id
    return Access(
        view=True,
        location=is_owner,
        edit=is_owner,
        delete=is_owner or account.is_admin,
        react=True,
    )


def may_delete_comment(viewer: Viewer, photo: Owned, author_id: int) -> bool:
    """A comment goes by its author's hand, or by the photo owner's (it is their photo)."""
    account = viewer.account
    return account is not None and account.id in (author_id, photo.owner_id)


def can_view(viewer: Viewer, photo: Owned) -> bool:
    return decide(viewer, photo).view
