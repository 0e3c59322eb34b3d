"""Share links on the domain functions (library/shares.py, share_holders.py) against a real
SQLite file, no HTTP: what the database keeps of a token, who may make which link, expiry on a
frozen clock, revocation, passwords, and the grant a link hands to library/access.py."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from photoarchive.accounts.users import User
from photoarchive.errors import Forbidden, Gone, Invalid, NotAuthenticated, NotFound
from photoarchive.library import access, photos, share_holders, shares, trash, visibility
from photoarchive.services import Services
from tests.support import FrozenClock
from tests.test_access_sql import album
from tests.test_neighbours import person, photo_of, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

SECRET_KEY = "the archive's secret key, for these tests"
PASSWORD = "a family secret"


def run(tmp_path: Path, body: Callable[[Services], Awaitable[None]]) -> None:
    scenario(tmp_path, body, secret_key=SECRET_KEY)


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


async def granted(svc: Services, share: shares.Share) -> set[int]:
    grant = (await shares.open_link(svc, share.token)).viewer.grant
    assert grant is not None
    return set(grant.photo_ids)


def test_a_token_has_192_random_bits_and_the_database_keeps_no_usable_one(
    tmp_path: Path,
) -> None:
    async def body(svc: Services) -> None:
        owner = await person(svc, "owner")
        photo_id = await photo_of(svc, owner)
        made = [await shares.create(svc, owner, photo_ids=[photo_id]) for _ in range(20)]
        tokens = [share.token for share in made]
        assert len(set(tokens)) == len(tokens)
        for token in tokens:
            assert len(base64.urlsafe_b64decode(token)) * 8 == 192
        # 20 tokens of 192 random bits: every bit position takes both values somewhere.
        bits = [int.from_bytes(base64.urlsafe_b64decode(t), "big") for t in tokens]
        assert all(any(b >> i & 1 for b in bits) for i in range(192))
        assert all(any(not b >> i & 1 for b in bits) for i in range(192))

        share = made[0]
        row = await svc.db.fetchone("SELECT * FROM shares WHERE id = ?", (share.id,))
        assert row is not None
        stored = [str(value) for value in tuple(row)]
        assert not any(share.token in value for value in stored)
        assert row["token_hash"] == hashlib.sha256(share.token.encode()).hexdigest()
        assert len(row["token_seed"]) == 2 * shares.SEED_BYTES
        # What is stored opens nothing; the token is the seed and the secret key together.
        for stored_value in (row["token_hash"], row["token_seed"]):
            with pytest.raises(NotFound):
                await shares.open_link(svc, stored_value)
        assert shares.derive_token("another key", row["token_seed"]) != share.token
        assert shares.derive_token(SECRET_KEY, row["token_seed"]) == share.token
        assert (await shares.open_link(svc, share.token)).share.id == share.id
        # A link made under another secret key still opens, but is not shown again.
        # Its creator is shown it again.
        (mine,) = [s for s in await shares.mine(svc, owner) if s.id == share.id]
        assert mine.token == share.token

    run(tmp_path, body)


def test_a_link_made_under_another_secret_key_opens_but_is_not_shown(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        owner = await person(svc, "owner")
        share = await shares.create(svc, owner, photo_ids=[await photo_of(svc, owner)])
        # As if the secret key had changed: the seed no longer derives the token.
        await svc.db.execute("UPDATE shares SET token_seed = ? WHERE id = ?", ("0" * 32, share.id))
        assert shares.derive_token(SECRET_KEY, "0" * 32) != share.token
        (listed,) = await shares.mine(svc, owner)
        assert listed.token == ""
        assert (await shares.open_link(svc, share.token)).share.id == share.id

    run(tmp_path, body)


def test_only_an_album_s_owner_shares_it_and_photo_links_hold_one_s_own_photos(
    tmp_path: Path,
) -> None:
    async def body(svc: Services) -> None:
        owner, member, other = [await person(svc, n) for n in ("owner", "member", "other")]
        mine = [await photo_of(svc, owner) for _ in range(2)]
        theirs = await photo_of(svc, other)
        album_id = await album(svc, owner, [member], mine)

        made = await shares.create(svc, owner, album_id=album_id)
        assert (made.kind, made.album_id, made.photo_count) == ("album", album_id, 2)
        with pytest.raises(Forbidden):
            await shares.create(svc, member, album_id=album_id)
        with pytest.raises(NotFound):  # not a member: the album is not theirs to know of
            await shares.create(svc, other, album_id=album_id)
        with pytest.raises(NotFound):
            await shares.create(svc, owner, album_id=album_id + 100)

        photo_link = await shares.create(svc, owner, photo_ids=[mine[1], mine[0], mine[1]])
        assert (photo_link.kind, photo_link.album_id, photo_link.photo_count) == ("photos", None, 2)
        assert (await shares.open_link(svc, photo_link.token)).photo_ids == [mine[1], mine[0]]
        for refused in ([theirs], [mine[0], theirs], [], [mine[0] + 1000]):
            with pytest.raises(Invalid) as caught:
                await shares.create(svc, owner, photo_ids=refused)
            assert caught.value.field == "photo_ids"
        for neither_or_both in ({}, {"album_id": album_id, "photo_ids": mine}):
            with pytest.raises(Invalid):
                await shares.create(svc, owner, **neither_or_both)  # type: ignore[arg-type]
        # Nothing refused was made.
        assert {s.id for s in await shares.mine(svc, owner)} == {made.id, photo_link.id}
        assert await shares.mine(svc, member) == []

    run(tmp_path, body)


def test_an_expired_link_is_gone_and_expiry_must_be_in_the_future(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    async def body(svc: Services) -> None:
        owner = await person(svc, "owner")
        photo_id = await photo_of(svc, owner)
        frozen_clock.moment = float(int(frozen_clock.moment))  # expiries are to the second
        share = await shares.create(
            svc, owner, photo_ids=[photo_id], expires_at=iso(frozen_clock.moment + 60)
        )
        assert share.expires_at is not None and share.expires_at.endswith("Z")
        await shares.open_link(svc, share.token)
        frozen_clock.advance(59)
        await shares.open_link(svc, share.token)
        frozen_clock.advance(1)
        with pytest.raises(Gone):
            await shares.open_link(svc, share.token)
        # Still its creator's to see and to give a new expiry, which opens it again.
        assert [s.id for s in await shares.mine(svc, owner)] == [share.id]
        await shares.update(svc, owner, share.id, expires_at=iso(frozen_clock.moment + 3600))
        await shares.open_link(svc, share.token)
        await shares.update(svc, owner, share.id, expires_at=None)
        frozen_clock.advance(10 * 365 * 86400)
        await shares.open_link(svc, share.token)

        for bad in (iso(frozen_clock.moment), iso(frozen_clock.moment - 1), "soon", 1234):
            with pytest.raises(Invalid) as caught:
                await shares.create(svc, owner, photo_ids=[photo_id], expires_at=bad)
            assert caught.value.field == "expires_at"
        # A moment with no zone is UTC; one with a zone is stored in UTC.
        naive = datetime.fromtimestamp(frozen_clock.moment + 7200, UTC).replace(tzinfo=None)
        stored = shares.check_expiry(naive.isoformat(timespec="seconds"))
        assert stored == naive.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert shares.check_expiry("2099-01-01T02:00:00+02:00") == "2099-01-01T00:00:00Z"

    run(tmp_path, body)


def test_an_expiry_less_than_a_second_away_is_not_stored_as_already_past(
    tmp_path: Path, frozen_clock: FrozenClock
) -> None:
    async def body(svc: Services) -> None:
        owner = await person(svc, "owner")
        frozen_clock.moment = float(int(frozen_clock.moment)) + 0.25
        share = await shares.create(
            svc,
            owner,
            photo_ids=[await photo_of(svc, owner)],
            expires_at=iso(frozen_clock.moment + 0.5),
        )
        await shares.open_link(svc, share.token)  # accepted as future: it opens
        frozen_clock.advance(1)
        with pytest.raises(Gone):
            await shares.open_link(svc, share.token)

    run(tmp_path, body)


@pytest.mark.parametrize("far", ["9999-12-31T23:59:59-12:00", "99999-01-01T00:00:00Z"])
def test_an_expiry_past_the_calendar_is_refused_as_invalid(far: str) -> None:
    with pytest.raises(Invalid):
        shares.check_expiry(far)


def test_revoking_ends_a_link_for_good_and_only_its_creator_may(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        owner, other = await person(svc, "owner"), await person(svc, "other")
        share = await shares.create(svc, owner, photo_ids=[await photo_of(svc, owner)])
        for not_theirs in (
            shares.revoke(svc, other, share.id),
            shares.update(svc, other, share.id, allow_download=True),
            shares.get(svc, other, share.id),
        ):
            with pytest.raises(NotFound):
                await not_theirs
        await shares.open_link(svc, share.token)
        await shares.revoke(svc, owner, share.id)
        with pytest.raises(NotFound):
            await shares.open_link(svc, share.token)
        assert await shares.mine(svc, owner) == []
        for after in (
            shares.get(svc, owner, share.id),
            shares.revoke(svc, owner, share.id),
            shares.update(svc, owner, share.id, show_metadata=True),
        ):
            with pytest.raises(NotFound):
                await after

    run(tmp_path, body)


def test_a_link_dies_with_its_creator_s_account_or_album(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        owner = await person(svc, "owner")
        photo_id = await photo_of(svc, owner)
        album_id = await album(svc, owner, [], [photo_id])
        album_link = await shares.create(svc, owner, album_id=album_id)
        photo_link = await shares.create(svc, owner, photo_ids=[photo_id])
        await svc.db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (owner.id,))
        for share in (album_link, photo_link):
            with pytest.raises(NotFound):
                await shares.open_link(svc, share.token)
        await svc.db.execute("UPDATE users SET disabled = 0 WHERE id = ?", (owner.id,))
        await shares.open_link(svc, album_link.token)
        await svc.db.execute("DELETE FROM albums WHERE id = ?", (album_id,))
        with pytest.raises(NotFound):
            await shares.open_link(svc, album_link.token)
        await shares.open_link(svc, photo_link.token)

    run(tmp_path, body)


def test_passwords_are_argon2id_hashes_set_changed_and_removed(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        owner = await person(svc, "owner")
        share = await shares.create(
            svc, owner, photo_ids=[await photo_of(svc, owner)], password=PASSWORD
        )

        async def stored() -> str | None:
            value = await svc.db.fetchval(
                "SELECT password_hash FROM shares WHERE id = ?", (share.id,)
            )
            return None if value is None else str(value)

        first = await stored()
        assert first is not None and first.startswith("$argon2id$") and PASSWORD not in first
        assert share.has_password
        link = await shares.open_link(svc, share.token)
        await share_holders.try_password(svc, link, PASSWORD, "127.0.0.1")
        with pytest.raises(NotAuthenticated):
            await share_holders.try_password(svc, link, "not the password", "127.0.0.1")
        cookie = share_holders.unlock_value(SECRET_KEY, link.share)
        assert PASSWORD not in cookie and first not in cookie
        assert share_holders.is_unlocked(SECRET_KEY, link, cookie)
        assert not share_holders.is_unlocked(SECRET_KEY, link, None)
        assert not share_holders.is_unlocked(SECRET_KEY, link, "0" * len(cookie))

        changed = await shares.update(svc, owner, share.id, password="another password")
        second = await stored()
        assert changed.has_password and second is not None and second.startswith("$argon2id$")
        assert second != first and "another password" not in second
        link = await shares.open_link(svc, share.token)
        assert not share_holders.is_unlocked(SECRET_KEY, link, cookie)  # the old cookie is dead
        with pytest.raises(NotAuthenticated):
            await share_holders.try_password(svc, link, PASSWORD, "127.0.0.1")
        await share_holders.try_password(svc, link, "another password", "127.0.0.1")

        for bad in ("short", "x" * (shares.PASSWORD_MAX + 1), 12345678):
            with pytest.raises(Invalid) as caught:
                await shares.update(svc, owner, share.id, password=bad)
            assert caught.value.field == "password"
        assert await stored() == second
        kept = await shares.update(svc, owner, share.id, allow_download=True)
        assert kept.has_password and await stored() == second

        removed = await shares.update(svc, owner, share.id, password=None)
        assert not removed.has_password and await stored() is None
        link = await shares.open_link(svc, share.token)
        assert share_holders.is_unlocked(SECRET_KEY, link, None)

    run(tmp_path, body)


def test_settings_change_only_when_asked_and_only_to_true_or_false(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        owner = await person(svc, "owner")
        share = await shares.create(svc, owner, photo_ids=[await photo_of(svc, owner)])
        assert (share.allow_download, share.show_metadata) == (False, False)
        share = await shares.update(svc, owner, share.id, allow_download=True)
        assert (share.allow_download, share.show_metadata) == (True, False)
        share = await shares.update(svc, owner, share.id, show_metadata=True)
        assert (share.allow_download, share.show_metadata) == (True, True)
        with pytest.raises(Invalid):
            await shares.update(svc, owner, share.id, allow_download="yes")
        assert (await shares.get(svc, owner, share.id)).allow_download is True

    run(tmp_path, body)


def test_a_link_grants_exactly_the_photos_it_holds_now(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        owner, contributor = await person(svc, "owner"), await person(svc, "contributor")
        in_album = [await photo_of(svc, owner) for _ in range(3)]
        private_in = await photo_of(svc, owner)
        private_out = await photo_of(svc, owner)
        theirs = await photo_of(svc, contributor)  # a member's private photo in the album
        for photo_id in (private_in, private_out, theirs):
            async with svc.db.transaction() as tx:
                await visibility.mark(tx, photo_id, "private")
        album_id = await album(svc, owner, [contributor], [*in_album, private_in, theirs])
        album_link = await shares.create(svc, owner, album_id=album_id)
        photo_link = await shares.create(svc, owner, photo_ids=[in_album[0], private_out])
        everything = {*in_album, private_in, private_out, theirs}

        assert await granted(svc, album_link) == {*in_album, private_in, theirs}
        assert await granted(svc, photo_link) == {in_album[0], private_out}

        # The grant is what access.decide judges by: the link's photos, and nothing else.
        link = await shares.open_link(svc, album_link.token)
        viewer = link.viewer
        assert viewer.account is None and not access.may_read_archive(viewer)
        for photo_id in everything:
            photo = await photos.find(svc, photo_id, owner)
            assert access.can_view(viewer, photo) == (photo_id in link.photo_ids)
            assert not access.decide(viewer, photo).location
        shown, _ = await share_holders.page(svc, link, limit=shares.PAGE_MAX)
        assert {p.id for p in shown} == {*in_album, private_in, theirs}
        with pytest.raises(NotFound):
            await share_holders.photo(svc, link, private_out)

        # Taken out of the album, or deleted: gone from the link on the next read.
        await svc.db.execute(
            "DELETE FROM album_photos WHERE album_id = ? AND photo_id = ?", (album_id, in_album[1])
        )
        await trash.move(svc, owner, in_album[0])
        assert await granted(svc, album_link) == {in_album[2], private_in, theirs}
        assert await granted(svc, photo_link) == {private_out}
        assert (await shares.get(svc, owner, photo_link.id)).photo_count == 1
        stale = link  # opened before: its own grant is fixed, but every request opens afresh
        assert in_album[0] in stale.photo_ids
        with pytest.raises(NotFound):
            await share_holders.photo(svc, stale, in_album[0])

        # Added to the album: in the link at once.
        newcomer = await photo_of(svc, owner)
        await svc.db.execute(
            "INSERT INTO album_photos (album_id, photo_id, added_by, added_at)"
            " VALUES (?, ?, ?, 'now')",
            (album_id, newcomer, owner.id),
        )
        assert newcomer in await granted(svc, album_link)

    run(tmp_path, body)


def test_a_photo_link_drops_a_photo_that_is_no_longer_its_creator_s(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        owner, other = await person(svc, "owner"), await person(svc, "other")
        kept, moved = await photo_of(svc, owner), await photo_of(svc, owner)
        share = await shares.create(svc, owner, photo_ids=[kept, moved])
        await svc.db.execute("UPDATE photos SET owner_id = ? WHERE id = ?", (other.id, moved))
        assert await granted(svc, share) == {kept}

    run(tmp_path, body)


async def visit(svc: Services, token: str) -> None:
    link = await shares.open_link(svc, token)
    await share_holders.count_view(
        svc, link, cursor=None, user_agent="Mozilla/5.0 (X11)", head=False
    )


def test_views_are_counted_per_link(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        owner: User = await person(svc, "owner")
        photo_id = await photo_of(svc, owner)
        first = await shares.create(svc, owner, photo_ids=[photo_id])
        second = await shares.create(svc, owner, photo_ids=[photo_id])
        assert first.view_count == 0
        for _ in range(3):
            await visit(svc, first.token)
        await visit(svc, second.token)
        counts = {s.id: s.view_count for s in await shares.mine(svc, owner)}
        assert counts == {first.id: 3, second.id: 1}

    run(tmp_path, body)


def test_unknown_and_malformed_tokens_open_nothing(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        owner = await person(svc, "owner")
        share = await shares.create(svc, owner, photo_ids=[await photo_of(svc, owner)])
        for token in ("", "short", "A" * 32, share.token[:-1], share.token + "A", "\udc80" * 20):
            with pytest.raises(NotFound):
                await shares.open_link(svc, token)

    run(tmp_path, body)


def test_reopening_for_one_photo_reads_that_photo_alone(tmp_path: Path) -> None:
    """A zip asks before each photo whether the link still holds it: `reopen(only=)` answers
    for that photo by the same rules as the whole list (trash, album, owner), without reading
    the list (which would cost a zip the square of its length)."""

    async def body(svc: Services) -> None:
        owner, other = await person(svc, "owner"), await person(svc, "other")
        ids = [await photo_of(svc, owner) for _ in range(4)]
        outside = await photo_of(svc, owner)
        album_id = await album(svc, owner, [], ids)
        made = [
            await shares.create(svc, owner, album_id=album_id),
            await shares.create(svc, owner, photo_ids=ids),
        ]

        async def answers_as_the_list(expected: list[set[int]]) -> None:
            for share, held in zip(made, expected, strict=True):
                link = await shares.open_link(svc, share.token)
                assert set(link.photo_ids) == held
                for photo_id in [*ids, outside]:
                    one = (await shares.reopen(svc, link, only=photo_id)).photo_ids
                    assert one == ([photo_id] if photo_id in held else []), (share.id, photo_id)

        await answers_as_the_list([set(ids), set(ids)])
        await trash.move(svc, owner, ids[0])
        await svc.db.execute("UPDATE photos SET owner_id = ? WHERE id = ?", (other.id, ids[1]))
        await svc.db.execute(
            "DELETE FROM album_photos WHERE album_id = ? AND photo_id = ?", (album_id, ids[2])
        )
        # The album keeps a photo its owner gave away (albums hold members' photos); the photo
        # link holds only its creator's own.
        await answers_as_the_list([{ids[1], ids[3]}, {ids[2], ids[3]}])

    run(tmp_path, body)
