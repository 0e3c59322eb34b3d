"""Who is in an album and as what: the owner adds people as viewers or contributors and
changes their roles, removes them, or hands the album to one of them; a member leaves. While
the owner's account is disabled, the administrator looking after the album does what its
owner would (access.decide_album), never giving themselves a place in it: that would show
them the private photos its members share. No HTTP here.
"""

from __future__ import annotations

from typing import Any

from photoarchive import clock
from photoarchive.accounts import users
from photoarchive.accounts.users import User
from photoarchive.db import Transaction
from photoarchive.errors import Forbidden, Invalid, NotFound
from photoarchive.library import album_news, album_photos, albums, live, notifications
from photoarchive.services import Services


async def set_member(
    svc: Services, actor: User, album_id: int, username: str, role: Any
) -> albums.Album:
    """The owner adds someone as a viewer or contributor, or changes their role."""
    album = await albums.find(svc.db, album_id, actor)
    albums.owned(album, "choose its members")
    wanted = albums.check_role(role)
    person = await users.by_username(svc.db, username)
    if person.id == album.owner_id:
        raise Invalid("The owner's role cannot change.", field="role")
    if album.looked_after and person.id == actor.id:
        raise Forbidden(_NOT_YOURSELF)
    if person.disabled:
        raise NotFound(f"There is no user called {username!r}.")
    async with svc.db.transaction() as tx:
        await tx.lock(albums.lock_name(album_id))
        album = await albums.still_managed(tx, album_id, actor, "choose its members")
        if person.id == album.owner_id:  # handed to them a moment ago
            raise Invalid("The owner's role cannot change.", field="role")
        if album.looked_after:
            await _already_in(tx, album_id, person.id)
        member_before = await _is_member(tx, album_id, person.id)
        await tx.execute(
            "INSERT INTO album_members (album_id, user_id, role, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (album_id, user_id) DO UPDATE SET role = excluded.role",
            (album_id, person.id, wanted, clock.now_iso()),
        )
        await tx.execute(
            "UPDATE albums SET updated_at = ? WHERE id = ?", (clock.now_iso(), album_id)
        )
        # Someone new in it hears who added them (a new role is no news to tell).
        told = not member_before and await album_news.added_to_album(
            tx, album_id, person.id, actor.id
        )
    if told:
        await notifications.announce(svc, person.id)
    return await albums.find(svc.db, album_id, actor)


async def may_remove(svc: Services, actor: User, album_id: int, username: str) -> User:
    """The person `actor` may remove from the album (themselves: leave it), or why not:
    NotFound (no such album to them, no such person), Forbidden, Invalid (its owner)."""
    album = await albums.find(svc.db, album_id, actor)
    if username.lower() != actor.username.lower():
        albums.owned(album, "remove its members")
    person = await users.by_username(svc.db, username)
    if person.id == album.owner_id:
        raise Invalid("The owner cannot leave the album; delete it instead.", field="username")
    return person


async def remove_member(svc: Services, actor: User, album_id: int, username: str) -> None:
    """The owner removes a member, or a member leaves; the owner cannot leave (they delete
    the album instead). The photos the member owns leave the album with them (a private one
    would otherwise stay shown to people its owner no longer shares the album with)."""
    person = await may_remove(svc, actor, album_id, username)
    leaving = person.id == actor.id
    # The album's private photos: seen through it by the one leaving (and theirs by the rest)
    # perhaps alone. Whoever saw them is told; the pages of those who no longer may drop them.
    held = await album_photos.private_ids(svc.db, album_id)
    before = await live.private_audiences(svc.db, held)
    async with svc.db.transaction() as tx:
        await tx.lock(albums.lock_name(album_id))
        # Again under the lock: handed to them a moment ago, they are its owner now, who
        # cannot leave (nor be removed: the album would be nobody's to open).
        if leaving:
            album = await albums.find(tx, album_id, actor)
        else:
            album = await albums.still_managed(tx, album_id, actor, "remove its members")
        if person.id == album.owner_id:
            raise Invalid("The owner cannot leave the album; delete it instead.", field="username")
        removed = await tx.execute(
            "DELETE FROM album_members WHERE album_id = ? AND user_id = ? AND role <> 'owner'",
            (album_id, person.id),
        )
        if not removed:
            raise NotFound(f"{username} is not a member of this album.")
        untold = await album_news.left_album(tx, album_id, person.id)
        taken = await tx.execute(
            "DELETE FROM album_photos WHERE album_id = ? AND photo_id IN"
            " (SELECT p.id FROM photos p WHERE p.owner_id = ?)",
            (album_id, person.id),
        )
        recount: list[int] = []
        if taken:
            await album_photos.forget_lost_cover(tx, album_id)
            # Their photos counted in others' news of photos added: those badges ask again.
            recount = await album_news.told_of_photos_added(tx, album_id)
    if untold:
        await notifications.announce(svc, person.id)
    await notifications.announce_all(svc, recount)
    await live.tell_changed(svc, before, held)


_NOT_YOURSELF = "An administrator looking after an album cannot give themselves a place in it."
_MEMBERS_ONLY = (
    "An administrator looking after an album can change its members' roles, remove them or"
    " hand it to one of them, but not add anyone: a newcomer would see the private photos its"
    " members share."
)


async def _already_in(tx: Transaction, album_id: int, user_id: int) -> None:
    """For the administrator looking after an album: `user_id` must be a member already.
    Adding anyone would hand them the members' private photos, which the administrator, no
    member, may not see either (the care must not be a way round that)."""
    if not await _is_member(tx, album_id, user_id):
        raise Forbidden(_MEMBERS_ONLY)


async def _is_member(tx: Transaction, album_id: int, user_id: int) -> bool:
    found = await tx.fetchval(
        "SELECT 1 FROM album_members WHERE album_id = ? AND user_id = ?", (album_id, user_id)
    )
    return bool(found)


async def hand_over(svc: Services, actor: User, album_id: int, username: str) -> None:
    """The owner, or the administrator looking after the album, makes someone its owner (a
    member, or for the owner someone added so); the owner before them stays in it as a contributor (their
    photos stay with them). An administrator's care ends there: the album is no longer theirs
    to open, unless they are a member. Handed on by the administrator, the album's share
    links end: they stopped when its owner was disabled, and nobody now chose to open them
    again (the account may have been disabled for what was shared)."""
    album = await albums.find(svc.db, album_id, actor)
    albums.owned(album, "hand it to someone else")
    person = await users.by_username(svc.db, username)
    if person.id == album.owner_id:
        raise Invalid(f"{person.username} already owns this album.", field="username")
    if person.disabled:
        raise NotFound(f"There is no user called {username!r}.")
    if album.looked_after and person.id == actor.id:
        raise Forbidden(_NOT_YOURSELF)
    now = clock.now_iso()
    async with svc.db.transaction() as tx:
        await tx.lock(albums.lock_name(album_id))
        album = await albums.still_managed(tx, album_id, actor, "hand it to someone else")
        owner_id = album.owner_id
        if owner_id == person.id:  # handed to them a moment ago
            raise Invalid(f"{person.username} already owns this album.", field="username")
        if album.looked_after:
            await _already_in(tx, album_id, person.id)
        member_before = await _is_member(tx, album_id, person.id)
        await tx.execute(
            "INSERT INTO album_members (album_id, user_id, role, added_at)"
            " VALUES (?, ?, 'owner', ?)"
            " ON CONFLICT (album_id, user_id) DO UPDATE SET role = excluded.role",
            (album_id, person.id, now),
        )
        await tx.execute(
            "UPDATE album_members SET role = 'contributor' WHERE album_id = ? AND user_id = ?",
            (album_id, owner_id),
        )
        await tx.execute(
            "UPDATE albums SET owner_id = ?, updated_at = ? WHERE id = ?",
            (person.id, now, album_id),
        )
        if album.looked_after:
            await tx.execute(
                "UPDATE shares SET revoked_at = ? WHERE album_id = ? AND revoked_at IS NULL",
                (now, album_id),
            )
        # Someone not in it before is added as its owner: told as anyone added is.
        told = not member_before and await album_news.added_to_album(
            tx, album_id, person.id, actor.id
        )
    if told:
        await notifications.announce(svc, person.id)
