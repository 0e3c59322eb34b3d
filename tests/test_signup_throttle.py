"""Sign-up costs: refused before hashing, throttled per client (an IPv6 client is its /64)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path

import pytest

from photoarchive.accounts import throttle, users
from photoarchive.accounts.passwords import Passwords
from photoarchive.db import build_database
from photoarchive.errors import Conflict, Forbidden, TooManyRequests
from photoarchive.services import DecodeSlots, Services
from photoarchive.settings import Settings
from photoarchive.storage.local import LocalBlobStore
from tests.support import PASSWORD, form_post, live_server, make_settings

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


class CountingPasswords(Passwords):
    """The real hasher, counting how often it is asked to hash."""

    def __init__(self) -> None:
        super().__init__(memory_kib=1024, time_cost=1)
        self.hashed = 0

    async def hash(self, password: str) -> str:
        self.hashed += 1
        return await super().hash(password)


def run(coroutine: Coroutine[object, object, None]) -> None:
    asyncio.run(coroutine)


async def open_services(settings: Settings) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = build_database(settings)
    await db.open()
    return Services(
        settings=settings,
        db=db,
        store=LocalBlobStore(settings.data_dir / "blobs", settings.tmp_dir),
        passwords=CountingPasswords(),
        image_slots=DecodeSlots(1),
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", signup_max_per_hour=3)


def test_a_refused_sign_up_costs_no_password_hash(settings: Settings) -> None:
    async def scenario() -> None:
        svc = await open_services(settings)
        passwords = svc.passwords
        assert isinstance(passwords, CountingPasswords)
        try:
            await users.create(
                svc.db, passwords, username="first", email="f@example.org", password=PASSWORD
            )
            assert passwords.hashed == 1
            refused = [
                ({"registration": "closed"}, Forbidden),
                ({"registration": "invite"}, Forbidden),
                ({"registration": "invite", "invite": "not-a-real-invite"}, Forbidden),
                ({"registration": "open", "username": "FIRST"}, Conflict),
                ({"registration": "open", "email": "F@example.org"}, Conflict),
            ]
            for options, error in refused:
                fields = {"username": "second", "email": "s@example.org", **options}
                with pytest.raises(error):
                    await users.create(svc.db, passwords, password=PASSWORD, **fields)  # type: ignore[arg-type]
            assert passwords.hashed == 1
            await users.create(
                svc.db,
                passwords,
                username="second",
                email="s@example.org",
                password=PASSWORD,
                registration="open",
            )
            assert passwords.hashed == 2
        finally:
            await svc.db.close()

    run(scenario())


def test_clients_are_addresses_and_ipv6_clients_are_their_64() -> None:
    assert throttle.client_key("192.0.2.7") == "192.0.2.7"
    assert throttle.client_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert throttle.client_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert throttle.client_key("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert throttle.client_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert throttle.client_key("testclient") == "testclient"


def test_sign_ups_beyond_the_budget_wait_and_a_64_shares_one_budget(settings: Settings) -> None:
    async def scenario() -> None:
        svc = await open_services(settings)
        calls = 0

        async def sign_up() -> int:
            nonlocal calls
            calls += 1
            return calls

        try:
            for host in ("2001:db8::1", "2001:db8::2:3", "2001:db8::ffff"):
                await throttle.signing_up(svc, host, sign_up)
            with pytest.raises(TooManyRequests) as refused:
                await throttle.signing_up(svc, "2001:db8::4", sign_up)
            assert calls == 3  # the fourth never ran
            assert 0 < refused.value.retry_after <= 3600
            assert "Too many sign-ups" in refused.value.message
            # Another /64 and an IPv4 client have budgets of their own.
            assert await throttle.signing_up(svc, "2001:db8:0:1::1", sign_up) == 4
            assert await throttle.signing_up(svc, "192.0.2.1", sign_up) == 5
        finally:
            await svc.db.close()

    run(scenario())


def test_sign_up_over_http_is_throttled_per_client_on_the_api_and_the_page(
    tmp_path: Path,
) -> None:
    with live_server(make_settings(tmp_path / "data", signup_max_per_hour=2)) as server:
        client = server.client()
        for name in ("ann", "ben"):
            body = {"username": name, "email": f"{name}@example.org", "password": PASSWORD}
            assert client.post("/api/v1/auth/signup", json=body).status_code == 201
        body = {"username": "cat", "email": "cat@example.org", "password": PASSWORD}
        refused = client.post("/api/v1/auth/signup", json=body)
        assert refused.status_code == 429
        assert (
            refused.json()["detail"]
            == "Too many sign-ups from your network. Try again in 60 minutes."
        )
        assert int(refused.headers["retry-after"]) > 3500
        page = form_post(server.client(), "/signup", body)
        assert page.status_code == 429
        assert int(page.headers["retry-after"]) > 3500
        assert "Too many sign-ups from your network" in page.text
        assert server.count("users") == 2
