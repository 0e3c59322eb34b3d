"""Whose failures a password check may be refused for, on the throttle's functions directly:
share-link guesses have a budget per link and client, apart from sign-in's; a signed-in
member confirming their own password answers for their account only, not for their address."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from photoarchive.accounts import throttle, users
from photoarchive.errors import Invalid, NotAuthenticated, TooManyRequests
from photoarchive.services import Services
from tests.support import PASSWORD, make_settings, services

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

HOME = "192.0.2.7"
ELSEWHERE = "198.51.100.9"
LIMIT = 3


def run(tmp_path: Path, body: Callable[[Services, users.User], Awaitable[None]]) -> None:
    async def main() -> None:
        async with services(make_settings(tmp_path, login_max_failures=LIMIT)) as svc:
            alice = await users.create(
                svc.db, svc.passwords, username="alice", email="a@example.org", password=PASSWORD
            )
            await body(svc, alice)

    asyncio.run(main())


async def wrong() -> None:
    raise NotAuthenticated("That is not this link's password.")


async def right() -> str:
    return "unlocked"


async def guess_link(svc: Services, share_id: int, client: str) -> type[Exception]:
    try:
        await throttle.guarding_link(svc, share_id, client, wrong)
    except (NotAuthenticated, TooManyRequests) as exc:
        return type(exc)
    raise AssertionError("a wrong password was let through")


def test_a_links_guesses_spend_only_that_links_budget_from_that_client(tmp_path: Path) -> None:
    async def body(svc: Services, alice: users.User) -> None:
        seen = [await guess_link(svc, 1, HOME) for _ in range(LIMIT + 2)]
        assert seen == [NotAuthenticated] * LIMIT + [TooManyRequests] * 2
        with pytest.raises(TooManyRequests):  # even the right password waits
            await throttle.guarding_link(svc, 1, HOME, right)
        # The household's sign-ins, another link, and the link elsewhere are untouched.
        assert (await throttle.sign_in(svc, "alice", PASSWORD, HOME)).id == alice.id
        assert await throttle.guarding_link(svc, 2, HOME, right) == "unlocked"
        assert await throttle.guarding_link(svc, 1, ELSEWHERE, right) == "unlocked"

    run(tmp_path, body)


def test_a_links_guesses_from_many_clients_meet_the_links_own_budget(tmp_path: Path) -> None:
    """Ten clients' worth of guesses at one link, each client spending its own budget: the link
    is then closed to guesses from any address, and to the right password too, until they
    age; another link is not."""

    async def body(svc: Services, alice: users.User) -> None:
        clients = [f"2001:db8:0:{n:x}::1" for n in range(throttle.LINK_WIDE + 1)]  # /64s
        for client in clients[:-1]:
            seen = [await guess_link(svc, 1, client) for _ in range(LIMIT)]
            assert seen == [NotAuthenticated] * LIMIT
        assert await guess_link(svc, 1, clients[-1]) is TooManyRequests
        with pytest.raises(TooManyRequests, match="Too many wrong passwords for this link"):
            await throttle.guarding_link(svc, 1, clients[-1], right)
        assert await throttle.guarding_link(svc, 2, clients[-1], right) == "unlocked"

    run(tmp_path, body)


def test_failed_sign_ins_do_not_spend_a_links_budget(tmp_path: Path) -> None:
    async def body(svc: Services, alice: users.User) -> None:
        for _ in range(LIMIT):
            with pytest.raises(NotAuthenticated):
                await throttle.sign_in(svc, "nobody", "guess-guess", HOME)
        with pytest.raises(TooManyRequests):
            await throttle.sign_in(svc, "alice", PASSWORD, HOME)
        assert await throttle.guarding_link(svc, 1, HOME, right) == "unlocked"

    run(tmp_path, body)


def test_confirming_ones_password_is_not_refused_for_others_at_the_same_address(
    tmp_path: Path,
) -> None:
    async def body(svc: Services, alice: users.User) -> None:
        for number in range(LIMIT):  # someone else at home mistypes other names
            with pytest.raises(NotAuthenticated):
                await throttle.sign_in(svc, f"cousin{number}", "guess-guess", HOME)
        with pytest.raises(TooManyRequests):
            await throttle.sign_in(svc, "alice", PASSWORD, HOME)
        await throttle.confirm_password(svc, alice, PASSWORD, HOME)

    run(tmp_path, body)


def test_confirming_ones_password_counts_on_ones_own_account_only(tmp_path: Path) -> None:
    async def body(svc: Services, alice: users.User) -> None:
        await users.create(
            svc.db, svc.passwords, username="bob", email="b@example.org", password=PASSWORD
        )
        for _ in range(LIMIT):
            with pytest.raises(Invalid):
                await throttle.confirm_password(svc, alice, "guess-guess", HOME)
        with pytest.raises(TooManyRequests):  # a stolen session cannot keep guessing
            await throttle.confirm_password(svc, alice, PASSWORD, HOME)
        with pytest.raises(TooManyRequests):  # nor by signing in
            await throttle.sign_in(svc, "alice", PASSWORD, ELSEWHERE)
        # Bob, at the same address, signs in as before.
        assert (await throttle.sign_in(svc, "bob", PASSWORD, HOME)).username == "bob"

    run(tmp_path, body)
