"""The access decision for every kind of viewer, without HTTP: the one function every read of a
photo, its media, a page or an API answer goes through."""

# On no engine: no database here, the decision is a function of the facts it is given.

from __future__ import annotations

from dataclasses import dataclass

import pytest

from photoarchive.accounts.users import User
from photoarchive.library.access import (
    LOOK,
    NONE,
    Access,
    Grant,
    Viewer,
    can_view,
    decide,
    may_delete_comment,
    may_read_archive,
)


@dataclass
class _Photo:
    owner_id: int
    id: int = 10
    private: bool = False
    album_member: int | None = None
    trashed: bool = False


PHOTO = _Photo(owner_id=1)
PRIVATE = _Photo(owner_id=1, private=True)
TRASHED = _Photo(owner_id=1, trashed=True)


def _user(user_id: int, *, admin: bool = False, disabled: bool = False) -> User:
    return User(user_id, f"user{user_id}", f"u{user_id}@example.org", "", admin, disabled, "")


OWNER = _user(1)
MEMBER = _user(2)
ADMIN = _user(3, admin=True)
DISABLED_OWNER = _user(1, disabled=True)


@pytest.mark.parametrize("public_view", [False, True])
def test_the_owner_may_do_everything(public_view: bool) -> None:
    assert decide(Viewer(OWNER, public_view), PHOTO) == Access(
        view=True, location=True, edit=True, delete=True, react=True, place=True
    )


def test_a_member_sees_and_reacts_but_learns_no_location_and_changes_nothing() -> None:
    assert decide(Viewer(MEMBER, False), PHOTO) == Access(
        view=True, location=False, edit=False, delete=False, react=True
    )


def test_an_admin_may_delete_but_not_edit_nor_learn_the_location() -> None:
    assert decide(Viewer(ADMIN, False), PHOTO) == Access(
        view=True, location=False, edit=False, delete=True, react=True
    )


def test_a_guest_sees_only_a_public_archive_and_only_looks() -> None:
    assert not can_view(Viewer(None, False), PHOTO)
    assert not may_read_archive(Viewer(None, False))
    public = decide(Viewer(None, True), PHOTO)
    assert public.view and not (public.location or public.edit or public.delete or public.react)
    assert may_read_archive(Viewer(None, True))


@pytest.mark.parametrize("public_view", [False, True])
def test_a_disabled_account_is_a_guest_even_for_its_own_photos(public_view: bool) -> None:
    assert decide(Viewer(DISABLED_OWNER, public_view), PHOTO) == decide(
        Viewer(None, public_view), PHOTO
    )
    assert may_read_archive(Viewer(DISABLED_OWNER, public_view)) == public_view


def test_members_read_a_private_archive() -> None:
    assert may_read_archive(Viewer(MEMBER, False))
    assert may_read_archive(Viewer(ADMIN, False))


def test_a_comment_goes_by_its_author_or_the_photos_owner_and_nobody_else() -> None:
    author = _user(4)
    for viewer, allowed in (
        (author, True),
        (OWNER, True),
        (MEMBER, False),
        (ADMIN, False),
        (_user(4, disabled=True), False),
        (None, False),
    ):
        assert may_delete_comment(Viewer(viewer, True), PHOTO, author.id) is allowed, viewer


def test_a_private_photo_is_its_owners_and_its_album_members_only() -> None:
    assert decide(Viewer(OWNER, False), PRIVATE) == decide(Viewer(OWNER, False), PHOTO)
    assert decide(Viewer(MEMBER, False), PRIVATE) == NONE
    # Privacy inside the family: an administrator does not see it, so cannot delete it either.
    assert decide(Viewer(ADMIN, False), PRIVATE) == NONE
    assert decide(Viewer(None, True), PRIVATE) == NONE
    assert decide(Viewer(DISABLED_OWNER, True), PRIVATE) == NONE
    in_album = _Photo(owner_id=1, private=True, album_member=MEMBER.id)
    assert decide(Viewer(MEMBER, False), in_album) == Access(
        view=True, location=False, edit=False, delete=False, react=True
    )
    # The album fact names the viewer it was read for: it admits nobody else.
    assert decide(Viewer(_user(5), False), in_album) == NONE
    admin_in_album = _Photo(owner_id=1, private=True, album_member=ADMIN.id)
    assert decide(Viewer(ADMIN, False), admin_in_album).delete  # an admin deletes what they see


def test_a_share_links_holder_sees_only_what_the_link_grants_and_only_looks() -> None:
    granted = Viewer(None, False, Grant(frozenset({PRIVATE.id})))
    assert decide(granted, PRIVATE) == LOOK
    assert decide(granted, _Photo(owner_id=1, id=11)) == NONE
    # A link opened by a signed-in member is still only the link.
    assert decide(Viewer(MEMBER, True, Grant(frozenset())), PHOTO) == NONE
    assert not may_read_archive(granted)


@pytest.mark.parametrize("public_view", [False, True])
def test_a_trashed_photo_is_nobodys_but_its_owners_in_the_trash(public_view: bool) -> None:
    in_album = _Photo(owner_id=1, trashed=True, album_member=2)
    assert decide(Viewer(OWNER, public_view), TRASHED) == Access(
        view=False, location=True, edit=False, delete=False, react=False, trash=True, place=True
    )
    for viewer in (MEMBER, ADMIN, DISABLED_OWNER, None):
        assert decide(Viewer(viewer, public_view), TRASHED) == NONE
    assert decide(Viewer(MEMBER, public_view), in_album) == NONE
    granted = Viewer(None, public_view, Grant(frozenset({TRASHED.id})))
    assert decide(granted, TRASHED) == NONE
