"""There is always an enabled administrator, and a disabled one can do no administrator's act,
even when two administrators act at the same moment: the actor is checked again inside the
transaction, under the administrators' named lock, on either engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from photoarchive.accounts import invites, resets, users
from photoarchive.accounts.users import User
from photoarchive.errors import Forbidden
from photoarchive.library import usage
from photoarchive.services import Services
from tests.support import PASSWORD, make_settings, services

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


async def two_admins(svc: Services) -> tuple[User, User]:
    ann = await users.create(
        svc.db, svc.passwords, username="ann", email="ann@example.org", password=PASSWORD
    )
    ben = await users.create(
        svc.db,
        svc.passwords,
        username="ben",
        email="ben@example.org",
        password=PASSWORD,
        is_admin=True,
    )
    assert ann.is_admin and ben.is_admin
    return ann, ben


async def enabled_admins(svc: Services) -> list[str]:
    return [u.username for u in await users.list_all(svc.db) if u.is_admin and not u.disabled]


def test_two_admins_disabling_each_other_at_once_leave_one(tmp_path: Path) -> None:
    async def main() -> None:
        async with services(make_settings(tmp_path / "data")) as svc:
            ann, ben = await two_admins(svc)
            outcomes = await asyncio.gather(
                users.set_disabled(svc.db, ann, "ben", True),
                users.set_disabled(svc.db, ben, "ann", True),
                return_exceptions=True,
            )
            refused = [o for o in outcomes if isinstance(o, BaseException)]
            assert len(refused) == 1, outcomes
            assert isinstance(refused[0], Forbidden)
            assert len(await enabled_admins(svc)) == 1

    asyncio.run(main())


def test_an_admin_disabled_a_moment_ago_can_do_no_admin_act(tmp_path: Path) -> None:
    """`ben` as his request saw him when it began: an administrator, enabled."""

    async def main() -> None:
        async with services(make_settings(tmp_path / "data")) as svc:
            ann, ben = await two_admins(svc)
            await users.create(
                svc.db, svc.passwords, username="cat", email="cat@example.org", password=PASSWORD
            )
            await users.set_disabled(svc.db, ann, "ben", True)
            token, _ = await invites.create(svc.db, ann.id)
            (pending,) = await invites.pending(svc.db)
            acts = [
                users.set_disabled(svc.db, ben, "ann", True),
                users.set_disabled(svc.db, ben, "cat", True),
                invites.create(svc.db, ben.id),
                invites.withdraw(svc.db, ben.id, pending.id),
                usage.set_quota(svc.db, ben, "cat", 1),
                # A reset link is an account handed over: the loser of a race must not mint one.
                resets.create(svc.db, "ann", created_by=ben.id),
            ]
            for act in acts:
                with pytest.raises(Forbidden):
                    await act
            assert await enabled_admins(svc) == ["ann"]
            assert [u.disabled for u in await users.list_all(svc.db)] == [False, True, False]
            assert len(await invites.pending(svc.db)) == 1
            assert (await invites.look_up(svc.db, token)).usable
            assert await svc.db.fetchval("SELECT COUNT(*) FROM password_resets") == 0

    asyncio.run(main())
