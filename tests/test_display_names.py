"""Cards and comments name people by display name, else by username: no member may come to be
called what another already is, whichever letters the names are written in, and whether the
name is chosen on /settings or at sign-up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from photoarchive.accounts import users
from photoarchive.accounts.passwords import Passwords
from photoarchive.db import Database, build_database
from photoarchive.errors import Conflict
from tests.support import PASSWORD, LiveServer, form_post, make_settings, parse, sign_up

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PASSWORDS = Passwords(memory_kib=1024, time_cost=1)


def with_archive(tmp_path: Path, scenario: Callable[[Database], Awaitable[None]]) -> None:
    """Run `scenario` on a fresh archive holding alice and bob."""

    async def run() -> None:
        db = build_database(make_settings(tmp_path))
        await db.open()
        try:
            for name in ("alice", "bob"):
                await users.create(
                    db, PASSWORDS, username=name, email=f"{name}@example.org", password=PASSWORD
                )
            await scenario(db)
        finally:
            await db.close()

    asyncio.run(run())


async def update_profile(
    db: Database, user: users.User, *, email: str, display_name: str
) -> users.User:
    """The profile saved in a transaction of its own; the account as saved."""
    async with db.transaction() as tx:
        await users.update_profile(tx, user, email=email, display_name=display_name)
    return await users.by_username(db, user.username)


def test_a_name_given_before_the_rule_stays_when_the_email_changes(tmp_path: Path) -> None:
    """Two names that read alike under today's rule, given when the rule let them be: each
    member may still change their email (their name is not asked again), but not take
    another name that reads like a member's."""

    async def scenario(db: Database) -> None:
        for name, shown in (("alice", "Émile"), ("bob", "ÉMILE")):
            await db.execute("UPDATE users SET display_name = ? WHERE username = ?", (shown, name))
        bob = await users.by_username(db, "bob")
        moved = await update_profile(db, bob, email="bob@new.example.org", display_name="ÉMILE")
        assert moved.email == "bob@new.example.org" and moved.display_name == "ÉMILE"
        with pytest.raises(Conflict):
            await update_profile(db, bob, email="bob@new.example.org", display_name="ALICE")

    with_archive(tmp_path, scenario)


@pytest.mark.parametrize(
    ("hers", "his"),
    [
        ("Émile", "Émile"),  # the very same name
        ("Émile", "émile"),
        ("Øystein", "ØYSTEIN"),
        ("Анна", "анна"),
        ("Grandma", "Ｇｒａｎｄｍａ"),  # full-width letters read the same
    ],
)
def test_a_name_in_any_letters_is_taken_once(tmp_path: Path, hers: str, his: str) -> None:
    async def scenario(db: Database) -> None:
        alice = await users.by_username(db, "alice")
        bob = await users.by_username(db, "bob")
        await update_profile(db, alice, email="alice@example.org", display_name=hers)
        with pytest.raises(Conflict) as refused:
            await update_profile(db, bob, email="bob@example.org", display_name=his)
        assert refused.value.field == "display_name"
        assert (await users.by_username(db, "bob")).display_name == ""
        # Alice may write her own name otherwise.
        await update_profile(db, alice, email="alice@example.org", display_name=his)

    with_archive(tmp_path, scenario)


def test_nobody_signs_up_under_a_members_display_name(tmp_path: Path) -> None:
    async def scenario(db: Database) -> None:
        alice = await users.by_username(db, "alice")
        await update_profile(db, alice, email="alice@example.org", display_name="Grandma")
        for name in ("grandma", "GRANDMA"):
            with pytest.raises(Conflict) as refused:
                await users.create(
                    db, PASSWORDS, username=name, email="m@example.org", password=PASSWORD
                )
            assert refused.value.field == "username"
        assert [u.username for u in await users.list_all(db)] == ["alice", "bob"]
        await users.create(
            db, PASSWORDS, username="grandpa", email="g@example.org", password=PASSWORD
        )

    with_archive(tmp_path, scenario)


def test_the_sign_up_form_says_the_name_is_taken(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    assert form_post(
        alice, "/settings/profile", {"display_name": "Grandma", "email": "alice@example.org"}
    ).is_redirect
    refused = form_post(
        server.client(),
        "/signup",
        {"username": "grandma", "email": "m@example.org", "password": PASSWORD},
    )
    assert refused.status_code == 409
    page = parse(refused.text)
    assert "Another member is already called that" in page.text
    (field,) = page.find_all("input", id="username")
    assert field["aria-invalid"] == "true"
    assert field["value"] == "grandma"
