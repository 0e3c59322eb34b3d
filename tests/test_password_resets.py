"""Password-reset links: the rules (single use, expiry, a newer link replaces an older one,
every session ended) and the pages, the admin action and the command that make them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from photoarchive.accounts import resets, sessions, users
from photoarchive.accounts.passwords import Passwords
from photoarchive.accounts.users import User
from photoarchive.db import Database, build_database
from photoarchive.errors import Conflict, Invalid, NotAuthenticated, NotFound
from tests.cloud import Pool, S3Server, cognito_sign_up, make_pool
from tests.processes import run_cli
from tests.support import (
    PASSWORD,
    FrozenClock,
    LiveServer,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

NEW_PASSWORD = "a brand new passphrase"
HOUR = 3600.0
PASSWORDS = Passwords(memory_kib=1024, time_cost=1)


# --- the rules ----------------------------------------------------------------------------


def with_archive(tmp_path: Path, scenario: Callable[[Database], Awaitable[None]]) -> None:
    """Run `scenario` on a fresh archive holding alice (the administrator) and bob."""

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


async def can_sign_in(db: Database, password: str) -> bool:
    try:
        await users.authenticate(db, PASSWORDS, "bob", password)
    except NotAuthenticated:
        return False
    return True


def test_a_link_sets_a_new_password_once_and_ends_every_session(tmp_path: Path) -> None:
    async def scenario(db: Database) -> None:
        bob = await users.by_username(db, "bob")
        cookie = await sessions.create(db, bob.id, "cookie")
        bearer = await sessions.create(db, bob.id, "bearer")
        token, _ = await resets.create(db, "bob", created_by=1)
        assert (await resets.holder(db, token)).id == bob.id
        await resets.use(db, PASSWORDS, token, NEW_PASSWORD)
        assert not await can_sign_in(db, PASSWORD)
        assert await can_sign_in(db, NEW_PASSWORD)
        for token_, kind in ((cookie, "cookie"), (bearer, "bearer")):
            assert await sessions.resolve(db, token_, kind, 1e9, 1e9) is None
        with pytest.raises(NotFound):
            await resets.use(db, PASSWORDS, token, "yet another passphrase")
        assert await can_sign_in(db, NEW_PASSWORD)
        stored = await db.fetchall("SELECT token_hash FROM password_resets")
        assert [bytes(r["token_hash"]) for r in stored] != [token.encode()]
        assert len(token) >= 43  # 256 bits, base64url

    with_archive(tmp_path, scenario)


def test_two_tabs_cannot_both_use_one_link(tmp_path: Path) -> None:
    async def scenario(db: Database) -> None:
        token, _ = await resets.create(db, "bob", created_by=1)
        results = await asyncio.gather(
            resets.use(db, PASSWORDS, token, NEW_PASSWORD),
            resets.use(db, PASSWORDS, token, "the other tab's passphrase"),
            return_exceptions=True,
        )
        assert sorted(type(r).__name__ for r in results) == ["NotFound", "User"]
        winner = (
            NEW_PASSWORD if not isinstance(results[0], Exception) else "the other tab's passphrase"
        )
        assert await can_sign_in(db, winner)

    with_archive(tmp_path, scenario)


def test_a_link_expires_after_a_day(tmp_path: Path, frozen_clock: FrozenClock) -> None:
    async def scenario(db: Database) -> None:
        token, expires = await resets.create(db, "bob", created_by=1)
        assert expires == frozen_clock.moment + resets.RESET_HOURS * HOUR
        frozen_clock.advance(resets.RESET_HOURS * HOUR - 1)
        await resets.holder(db, token)
        frozen_clock.advance(1)
        with pytest.raises(NotFound) as refused:
            await resets.use(db, PASSWORDS, token, NEW_PASSWORD)
        assert refused.value.message == resets.UNUSABLE
        assert await can_sign_in(db, PASSWORD)

    with_archive(tmp_path, scenario)


def test_a_newer_link_replaces_the_older_one(tmp_path: Path) -> None:
    async def scenario(db: Database) -> None:
        older, _ = await resets.create(db, "bob", created_by=1)
        alices, _ = await resets.create(db, "alice", created_by=1)
        newer, _ = await resets.create(db, "bob", created_by=1)
        with pytest.raises(NotFound):
            await resets.holder(db, older)
        assert (await resets.holder(db, newer)).username == "bob"
        assert (await resets.holder(db, alices)).username == "alice"  # others' links stay

    with_archive(tmp_path, scenario)


def test_a_mailed_link_leaves_the_administrators_link_alone(tmp_path: Path) -> None:
    """Anyone may type bob's address on /forgot; that must not cancel the link the
    administrator just gave bob. Using either link ends the other."""

    async def scenario(db: Database) -> None:
        handed, _ = await resets.create(db, "bob", created_by=1)
        mailed, _ = await resets.create(db, "bob", created_by=None, replace=False)
        assert (await resets.holder(db, handed)).username == "bob"
        assert (await resets.holder(db, mailed)).username == "bob"
        await resets.use(db, PASSWORDS, handed, "a brand new passphrase")
        with pytest.raises(NotFound):
            await resets.holder(db, mailed)

    with_archive(tmp_path, scenario)


def test_the_new_password_follows_the_sign_up_rules(tmp_path: Path) -> None:
    async def scenario(db: Database) -> None:
        token, _ = await resets.create(db, "bob", created_by=1)
        with pytest.raises(Invalid):
            await resets.use(db, PASSWORDS, token, "short")
        await resets.use(db, PASSWORDS, token, NEW_PASSWORD)  # the refusal did not use it up

    with_archive(tmp_path, scenario)


def test_unknown_links_and_disabled_accounts_are_refused_alike(tmp_path: Path) -> None:
    async def scenario(db: Database) -> None:
        token, _ = await resets.create(db, "bob", created_by=1)
        alice = await users.by_username(db, "alice")
        await users.set_disabled(db, alice, "bob", True)
        for attempt in (token, "no-such-token", "", "x" * 500):
            with pytest.raises(NotFound) as refused:
                await resets.use(db, PASSWORDS, attempt, NEW_PASSWORD)
            assert refused.value.message == resets.UNUSABLE
        with pytest.raises(NotFound):
            await resets.create(db, "nobody", created_by=1)

    with_archive(tmp_path, scenario)


async def update_profile(db: Database, user: User, *, email: str, display_name: str) -> User:
    """The person's email and display name changed, as /settings changes them."""
    async with db.transaction() as tx:
        await users.update_profile(tx, user, email=email, display_name=display_name)
    found = await users.by_id(db, user.id)
    assert found is not None
    return found


async def set_password(db: Database, user: User, password: str) -> None:
    """A new password, as /settings stores it once the current one is confirmed."""
    hashed = await PASSWORDS.hash(password)
    async with db.transaction() as tx:
        await users.set_password(tx, user.id, hashed)


def test_a_password_change_or_disabling_retires_open_links(tmp_path: Path) -> None:
    """A link sent to a chat that bob no longer trusts dies when bob changes his password, and
    one an administrator stopped by disabling bob does not come back when bob is let in again."""

    async def scenario(db: Database) -> None:
        alice = await users.by_username(db, "alice")
        bob = await users.by_username(db, "bob")
        changed, _ = await resets.create(db, "bob", created_by=alice.id)
        await set_password(db, bob, "bob's own new phrase")
        with pytest.raises(NotFound):
            await resets.use(db, PASSWORDS, changed, NEW_PASSWORD)
        leaked, _ = await resets.create(db, "bob", created_by=alice.id)
        await users.set_disabled(db, alice, "bob", True)
        await users.set_disabled(db, alice, "bob", False)
        with pytest.raises(NotFound):
            await resets.use(db, PASSWORDS, leaked, NEW_PASSWORD)
        assert await can_sign_in(db, "bob's own new phrase")

    with_archive(tmp_path, scenario)


def test_a_new_email_retires_the_links_sent_to_the_old_one(tmp_path: Path) -> None:
    """Bob moves off a mailbox he no longer trusts: a link already mailed there (or handed out
    before) must not let whoever reads it take the account. A change of display name alone
    leaves an open link be."""

    async def scenario(db: Database) -> None:
        alice = await users.by_username(db, "alice")
        bob = await users.by_username(db, "bob")
        kept, _ = await resets.create(db, "bob", created_by=None, replace=False)
        bob = await update_profile(db, bob, email="BOB@example.org", display_name="Bob")
        assert (await resets.holder(db, kept)).id == bob.id  # the same address, in other case
        await update_profile(db, bob, email="bob@new.example.org", display_name="Bob")
        with pytest.raises(NotFound):
            await resets.use(db, PASSWORDS, kept, NEW_PASSWORD)
        # Alice's own link is hers alone to lose.
        hers, _ = await resets.create(db, "alice", created_by=None)
        await update_profile(db, bob, email="bob@other.example.org", display_name="Bob")
        assert (await resets.holder(db, hers)).id == alice.id
        assert await can_sign_in(db, PASSWORD)

    with_archive(tmp_path, scenario)


def test_nobody_takes_another_members_name_as_display_name(tmp_path: Path) -> None:
    """Cards and comments name people by display name: mallory cannot show up as alice."""

    async def scenario(db: Database) -> None:
        alice = await users.by_username(db, "alice")
        bob = await users.by_username(db, "bob")
        for taken in ("alice", "ALICE", "Grandma Rose"):
            if taken == "Grandma Rose":
                await update_profile(
                    db, alice, email="alice@example.org", display_name="Grandma Rose"
                )
                taken = "grandma rose"
            with pytest.raises(Conflict) as refused:
                await update_profile(db, bob, email="bob@example.org", display_name=taken)
            assert refused.value.field == "display_name"
        kept = await update_profile(db, bob, email="bob@example.org", display_name="Bob")
        assert kept.display_name == "Bob"
        # One's own name is no conflict, nor is keeping one's display name.
        await update_profile(db, bob, email="bob@example.org", display_name="bob")
        await update_profile(db, alice, email="alice@example.org", display_name="Grandma Rose")

    with_archive(tmp_path, scenario)


# --- the pages ----------------------------------------------------------------------------


@pytest.fixture
def people(server: LiveServer) -> tuple[httpx.Client, httpx.Client]:
    """alice (the administrator, signed up first) and bob, each signed in."""
    return sign_up(server, "alice"), sign_up(server, "bob")


def make_link(admin: httpx.Client, username: str) -> str:
    made = form_post(admin, f"/admin/reset-links/{username}")
    assert made.status_code == 200, made.text
    (field,) = parse(made.text).find_all("input", id="reset-url")
    assert field["value"]
    return field["value"]


def signs_in(server: LiveServer, password: str) -> bool:
    browser = server.client()
    answer = form_post(browser, "/login", {"login": "bob", "password": password})
    return answer.status_code == 303


def test_admin_makes_a_link_and_bob_sets_a_new_password(
    server: LiveServer, people: tuple[httpx.Client, httpx.Client]
) -> None:
    admin, bob = people
    page = parse(admin.get("/admin").text)
    assert page.find_all("button", **{"aria-label": "Reset link for bob"})
    link = make_link(admin, "bob")
    assert link.startswith(f"{server.settings.public_url}{resets.PATH}/")
    path = urlsplit(link).path

    stranger = server.client()
    form = parse(stranger.get(path).text)
    assert form.find_all("form", action=path) and form.find_all("input", name="password")
    assert form.find_all("input", name="password_again")  # asked twice: a typo locks out
    short = form_post(stranger, path, {"password": "short", "password_again": "short"})
    assert short.status_code == 422
    typo = form_post(
        stranger, path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"}
    )
    assert typo.status_code == 422
    refusal = parse(typo.text)
    assert "The two passwords are not the same." in refusal.text
    assert refusal.find_all("input", id="password_again", **{"aria-invalid": "true"})
    assert signs_in(server, PASSWORD)  # nothing changed, and the link still works
    both = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    changed = form_post(stranger, path, both)
    assert changed.status_code == 303
    assert changed.headers["location"] == "/login?notice=reset"

    assert bob.get("/api/v1/me").status_code == 401  # every other session ended
    assert not signs_in(server, PASSWORD)
    assert signs_in(server, NEW_PASSWORD)

    used = stranger.get(path)
    assert used.status_code == 404
    assert resets.UNUSABLE in parse(used.text).text
    assert not parse(used.text).find_all("input", name="password")
    again = form_post(stranger, path, {"password": "yet another passphrase"})
    assert again.status_code == 404
    assert signs_in(server, NEW_PASSWORD)


def test_unknown_and_expired_links_say_the_same_thing(
    server: LiveServer, people: tuple[httpx.Client, httpx.Client], frozen_clock: FrozenClock
) -> None:
    admin, _bob = people
    path = urlsplit(make_link(admin, "bob")).path
    unknown = server.client().get(f"{resets.PATH}/not-a-real-token")
    frozen_clock.advance(resets.RESET_HOURS * HOUR + 1)
    expired = server.client().get(path)
    for answer in (unknown, expired):
        assert answer.status_code == 404
        assert resets.UNUSABLE in parse(answer.text).text


def test_only_an_administrator_makes_links(
    server: LiveServer, people: tuple[httpx.Client, httpx.Client]
) -> None:
    _admin, bob = people
    assert form_post(bob, "/admin/reset-links/alice").status_code == 403
    guest = form_post(server.client(), "/admin/reset-links/alice")
    assert guest.status_code == 401
    assert server.count("password_resets") == 0


def test_making_a_link_needs_the_csrf_token(
    server: LiveServer, people: tuple[httpx.Client, httpx.Client]
) -> None:
    admin, _bob = people
    assert admin.post("/admin/reset-links/bob").status_code == 403
    assert server.count("password_resets") == 0


def test_the_command_prints_a_link_that_works(server: LiveServer) -> None:
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    done = run_cli(
        server.settings.data_dir,
        "users",
        "reset-link",
        "bob",
        PHOTOARCHIVE_PUBLIC_URL=server.url,
        PHOTOARCHIVE_DATABASE_URL=server.settings.database_url,
    )
    assert done.returncode == 0, done.stderr
    link = done.stdout.strip()
    assert link.startswith(f"{server.url}{resets.PATH}/")
    changed = form_post(server.client(), urlsplit(link).path, {"password": NEW_PASSWORD})
    assert changed.status_code == 303
    assert bob.get("/api/v1/me").status_code == 401
    assert signs_in(server, NEW_PASSWORD)

    nobody = run_cli(
        server.settings.data_dir,
        "users",
        "reset-link",
        "nobody",
        PHOTOARCHIVE_DATABASE_URL=server.settings.database_url,
    )
    assert nobody.returncode == 1 and "nobody" in nobody.stderr


def test_the_command_refuses_in_cognito_mode(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = run_cli(
        data,
        "users",
        "reset-link",
        "alice",
        PHOTOARCHIVE_AUTH="cognito",
        PHOTOARCHIVE_COGNITO_REGION="eu-west-1",
        PHOTOARCHIVE_COGNITO_USER_POOL_ID="eu-west-1_Pool",
        PHOTOARCHIVE_COGNITO_CLIENT_ID="client",
    )
    assert done.returncode == 2
    assert "Cognito user pool" in done.stderr
    assert not (data / "photoarchive.sqlite3").exists()


@pytest.fixture
def cognito_server(moto: S3Server, tmp_path: Path) -> Iterator[LiveServer]:
    pool: Pool = make_pool(moto)
    with live_server(make_settings(tmp_path / "data", **pool.settings())) as live:
        yield live


def test_cognito_archives_offer_no_reset_links(cognito_server: LiveServer) -> None:
    admin = cognito_sign_up(cognito_server, "alice")
    cognito_sign_up(cognito_server, "bob")
    page = parse(admin.get("/admin").text)
    assert page.find_all("form", action="/admin/reset-links/alice") == []
    assert page.find_all("form", action="/admin/reset-links/bob") == []
    assert form_post(admin, "/admin/reset-links/bob").status_code == 404
    assert cognito_server.client().get(f"{resets.PATH}/anything").status_code == 404
