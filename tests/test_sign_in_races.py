"""A sign-in whose password check overlaps a change of password or a disable (argon2 takes
its time): no session outlives the change, and a stronger re-hash of the old password never
puts it back. On the domain functions, both engines; the change is made while the check runs."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from photoarchive.accounts import sessions, users
from photoarchive.accounts.passwords import Passwords
from photoarchive.accounts.provider import LocalAccounts
from photoarchive.errors import NotAuthenticated
from photoarchive.services import Services
from tests.support import (
    PASSWORD,
    form_post,
    live_server,
    make_settings,
    run_sql,
    services,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

NEW_PASSWORD = "a new one, typed today"


class CheckedSlowly(Passwords):
    """Passwords whose check lets one other act happen while it runs, as a busy box would."""

    meanwhile: Callable[[], Awaitable[None]] | None = None

    async def verify(self, stored_hash: str | None, password: str) -> tuple[bool, str | None]:
        result = await super().verify(stored_hash, password)
        act, self.meanwhile = self.meanwhile, None
        if act is not None:
            await act()
        return result


def run(tmp_path: Path, body: Callable[[Services, CheckedSlowly], Awaitable[None]]) -> None:
    async def main() -> None:
        async with services(make_settings(tmp_path)) as svc:
            await users.create(
                svc.db, svc.passwords, username="admin", email="ad@example.org", password=PASSWORD
            )
            await users.create(
                svc.db, svc.passwords, username="alice", email="a@example.org", password=PASSWORD
            )
            slow = CheckedSlowly(memory_kib=2048, time_cost=2)  # stronger: re-hashes on sign-in
            await body(dataclasses.replace(svc, passwords=slow), slow)

    asyncio.run(main())


async def new_password(svc: Services) -> None:
    alice = await users.by_username(svc.db, "alice")
    hashed = await svc.passwords.hash(NEW_PASSWORD)
    async with svc.db.transaction() as tx:
        await users.set_password(tx, alice.id, hashed)
        await sessions.end_all_for_user(tx, alice.id)


async def session_count(svc: Services) -> int:
    return int(await svc.db.fetchval("SELECT COUNT(*) FROM sessions"))


def test_a_password_changed_during_the_check_leaves_no_session_and_stays(tmp_path: Path) -> None:
    async def body(svc: Services, slow: CheckedSlowly) -> None:
        slow.meanwhile = lambda: new_password(svc)
        signed = await LocalAccounts().sign_in(svc, "alice", PASSWORD)
        assert signed.password_hash is not None
        with pytest.raises(NotAuthenticated):
            await sessions.create_signed_in(
                svc.db, signed.user.id, "cookie", password_hash=signed.password_hash
            )
        assert await session_count(svc) == 0
        # The re-hash of the old password did not overwrite the new one.
        with pytest.raises(NotAuthenticated):
            await users.authenticate(svc.db, svc.passwords, "alice", PASSWORD)
        again = await LocalAccounts().sign_in(svc, "alice", NEW_PASSWORD)
        assert again.password_hash is not None
        await sessions.create_signed_in(
            svc.db, again.user.id, "bearer", password_hash=again.password_hash
        )
        assert await session_count(svc) == 1

    run(tmp_path, body)


def test_an_account_disabled_during_the_check_gets_no_session(tmp_path: Path) -> None:
    async def body(svc: Services, slow: CheckedSlowly) -> None:
        admin = await users.by_username(svc.db, "admin")

        async def disable() -> None:
            await users.set_disabled(svc.db, admin, "alice", True)

        slow.meanwhile = disable
        signed = await LocalAccounts().sign_in(svc, "alice", PASSWORD)
        assert signed.password_hash is not None
        with pytest.raises(NotAuthenticated):
            await sessions.create_signed_in(
                svc.db, signed.user.id, "bearer", password_hash=signed.password_hash
            )
        assert await session_count(svc) == 0

    run(tmp_path, body)


def test_a_sign_in_re_hashes_and_its_session_is_made(tmp_path: Path) -> None:
    async def body(svc: Services, slow: CheckedSlowly) -> None:
        before = await svc.db.fetchval("SELECT password_hash FROM users WHERE username = 'alice'")
        signed = await LocalAccounts().sign_in(svc, "alice", PASSWORD)
        after = await svc.db.fetchval("SELECT password_hash FROM users WHERE username = 'alice'")
        assert after != before and signed.password_hash == after  # the stronger hash
        await sessions.create_signed_in(
            svc.db, signed.user.id, "cookie", password_hash=signed.password_hash
        )
        assert await session_count(svc) == 1

    run(tmp_path, body)


def test_through_the_form_and_the_api_a_sign_in_overtaken_by_a_change_gets_no_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same moment through HTTP: the handlers hand the checked hash on to the session."""
    with live_server(make_settings(tmp_path / "data")) as server:
        sign_up(server, "admin")
        sign_up(server, "bob")
        real = Passwords.verify
        changes: list[str] = []

        async def then_changed(self: Passwords, stored: str | None, password: str) -> Any:
            result = await real(self, stored, password)
            if changes:  # bob's password is changed elsewhere while his sign-in is checked
                run_sql(
                    server.settings,
                    "UPDATE users SET password_hash = ? WHERE username = ?",
                    (changes.pop(), "bob"),
                )
            return result

        monkeypatch.setattr(Passwords, "verify", then_changed)
        changes.append("$argon2id$changed-meanwhile")
        page = form_post(server.client(), "/login", {"login": "bob", "password": PASSWORD})
        assert page.status_code == 401 and "session" not in page.cookies
        changes.append("$argon2id$changed-again")
        api = server.client().post(
            "/api/v1/auth/login", json={"login": "bob", "password": PASSWORD}
        )
        assert api.status_code == 401, api.text
        bob_sessions = run_sql(
            server.settings,
            "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = ?",
            ("bob",),
        )
        assert bob_sessions[0][0] == 1  # his sign-up's browser alone
