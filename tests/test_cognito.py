"""Accounts kept in a Cognito user pool (moto_server), through the app's own pages and API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient
from moto.cognitoidp.utils import check_secret_hash

from photoarchive import clock
from photoarchive.accounts import tokens
from photoarchive.accounts.cognito import CognitoAccounts
from photoarchive.accounts.cognito_pool import CognitoPool
from photoarchive.accounts.provider import AccountsUnavailable
from photoarchive.app import create_app
from photoarchive.settings import Settings
from photoarchive.web.server import CannotStart
from tests.cloud import JwksServer, Key, Pool, S3Server, cognito_sign_up, make_pool
from tests.processes import run_cli
from tests.support import PASSWORD, LiveServer, form_post, live_server, make_settings, parse

NEW_PASSWORD = "a brand new passphrase"

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


@pytest.fixture
def pool(moto: S3Server) -> Pool:
    return make_pool(moto)


@pytest.fixture
def server(pool: Pool, tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(make_settings(tmp_path / "data", **pool.settings())) as live:
        yield live


def sign_up_only(server: LiveServer, username: str, password: str = PASSWORD) -> None:
    body = {"username": username, "email": f"{username}@example.org", "password": password}
    created = server.client().post("/api/v1/auth/signup", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["confirmation_required"] is True
    confirmed = server.client().post(
        "/api/v1/auth/confirm", json={"username": username, "code": "123456"}
    )
    assert confirmed.status_code == 200, confirmed.text


def sign_in(server: LiveServer, login: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    client = server.client()
    return client, form_post(client, "/login", {"login": login, "password": password})


def test_accounts_live_in_the_pool_and_link_to_local_users_by_sub(
    server: LiveServer, pool: Pool
) -> None:
    sign_up_only(server, "alice")
    bob = cognito_sign_up(server, "bob")  # the first to sign in, though second to sign up
    alice, entered = sign_in(server, "alice@example.org")  # the email works as well
    assert entered.status_code == 303
    assert bob.get("/api/v1/me").json()["user"]["is_admin"] is True
    assert alice.get("/api/v1/me").json()["user"]["is_admin"] is False
    idp = pool.idp()
    for name in ("alice", "bob"):
        found = idp.list_users(UserPoolId=pool.pool_id, Filter=f'email = "{name}@example.org"')
        (user,) = found["Users"]
        attributes = {a["Name"]: a["Value"] for a in user["Attributes"]}
        assert attributes["preferred_username"] == name
        with server.db() as conn:
            row = conn.execute(
                "SELECT external_id, password_hash FROM users WHERE username = ?", (name,)
            ).fetchone()
        assert row["external_id"] == attributes["sub"]
        assert row["password_hash"] is None  # the password lives in Cognito only


def test_admins_setting_decides_who_is_admin(pool: Pool, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", admins=("carol",), **pool.settings())
    with live_server(settings) as server:
        alice = cognito_sign_up(server, "alice")
        carol = cognito_sign_up(server, "carol")
        assert alice.get("/api/v1/me").json()["user"]["is_admin"] is False
        assert carol.get("/api/v1/me").json()["user"]["is_admin"] is True
        assert form_post(alice, "/admin/invites").status_code == 403


def test_admins_listed_by_email_count_once_the_pool_verified_it(pool: Pool, tmp_path: Path) -> None:
    """An address in PHOTOARCHIVE_ADMINS names whoever proved it theirs: anyone may sign up
    giving an address, so until the pool says it is verified, it makes nobody an admin."""
    settings = make_settings(tmp_path / "data", admins=("dora@example.org",), **pool.settings())
    with live_server(settings) as server:
        dora = cognito_sign_up(server, "dora")  # moto leaves the address unverified
        assert dora.get("/api/v1/me").json()["user"]["is_admin"] is False
        pool.idp().admin_update_user_attributes(
            UserPoolId=pool.pool_id,
            Username="dora@example.org",
            UserAttributes=[{"Name": "email_verified", "Value": "true"}],
        )
        again, entered = sign_in(server, "dora")
        assert entered.status_code == 303, entered.text
        assert again.get("/api/v1/me").json()["user"]["is_admin"] is True


def test_an_admin_taken_off_the_list_is_none_from_the_next_start(
    pool: Pool, tmp_path: Path
) -> None:
    """The list is applied at start too: a name taken off it is no admin from then on, in the
    sessions it already has, not only at its next sign-in."""
    first = make_settings(tmp_path / "data", admins=("carol", "erin"), **pool.settings())
    with live_server(first) as server:
        carol = cognito_sign_up(server, "carol")
        erin = cognito_sign_up(server, "erin")
        assert carol.get("/api/v1/me").json()["user"]["is_admin"] is True
        carol_cookies, erin_cookies = dict(carol.cookies), dict(erin.cookies)
    with live_server(replace(first, admins=("erin", "frank"))) as server:
        carol = server.client()
        carol.cookies.update(carol_cookies)
        erin = server.client()
        erin.cookies.update(erin_cookies)
        me = carol.get("/api/v1/me")
        assert me.status_code == 200, me.text
        assert me.json()["user"]["is_admin"] is False
        assert erin.get("/api/v1/me").json()["user"]["is_admin"] is True
        assert carol.get("/api/v1/admin/users").status_code == 403


def test_cognito_errors_become_clear_form_messages(server: LiveServer, pool: Pool) -> None:
    body = {"username": "alice", "email": "alice@example.org", "password": PASSWORD}
    assert server.client().post("/api/v1/auth/signup", json=body).status_code == 201

    _, early = sign_in(server, "alice")
    assert early.status_code == 403
    page = parse(early.text)
    assert "Confirm your email address first" in page.text
    assert page.find_all("form", action="/confirm")  # shown where to enter the code
    assert page.find_all("input", name="username", value="alice")

    bad_code = form_post(server.client(), "/confirm", {"username": "alice", "code": "12 34"})
    assert bad_code.status_code == 422
    assert "Enter the code" in parse(bad_code.text).text
    form_post(server.client(), "/confirm", {"username": "alice", "code": "123456"})

    _, wrong = sign_in(server, "alice", "not the password")
    _, nobody = sign_in(server, "nobody@example.org", "not the password")
    assert wrong.status_code == nobody.status_code == 401
    assert "Wrong username or password." in parse(wrong.text).text
    assert "Wrong username or password." in parse(nobody.text).text

    # an email Cognito already has (an account made outside this app)
    pool.idp().sign_up(ClientId=pool.client_id, Username="dave@example.org", Password=PASSWORD)
    taken = form_post(
        server.client(),
        "/signup",
        {"username": "dave", "email": "dave@example.org", "password": PASSWORD},
    )
    assert taken.status_code == 409
    assert "An account with that email already exists." in parse(taken.text).text
    assert server.count("users") == 1

    # a name taken here is refused before Cognito makes an account for it
    again = form_post(
        server.client(),
        "/signup",
        {"username": "ALICE", "email": "other@example.org", "password": PASSWORD},
    )
    assert again.status_code == 409 and "username is taken" in parse(again.text).text
    assert "other@example.org" not in pool.emails()


def test_weak_password_is_explained(moto: S3Server, tmp_path: Path) -> None:
    strict = make_pool(moto, strict=True)
    with live_server(make_settings(tmp_path / "data", **strict.settings())) as server:
        weak = form_post(
            server.client(),
            "/signup",
            {"username": "alice", "email": "alice@example.org", "password": "all lowercase"},
        )
        assert weak.status_code == 422
        page = parse(weak.text)
        assert "That password is too weak" in page.text
        assert page.find_all("input", name="password", **{"aria-invalid": "true"})
        assert server.count("users") == 0 and strict.emails() == []


def test_closed_registration_is_kept_before_cognito_is_asked(pool: Pool, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", registration="closed", **pool.settings())
    with live_server(settings) as server:
        cognito_sign_up(server, "alice")  # the very first account may always sign up
        refused = server.client().post(
            "/api/v1/auth/signup",
            json={"username": "bob", "email": "bob@example.org", "password": PASSWORD},
        )
        assert refused.status_code == 403 and "closed" in refused.json()["detail"]
        assert pool.emails() == ["alice@example.org"]
        # an account made in Cognito directly is not let in either
        pool.idp().admin_create_user(
            UserPoolId=pool.pool_id,
            Username="eve@example.org",
            UserAttributes=[{"Name": "preferred_username", "Value": "eve"}],
        )
        pool.idp().admin_set_user_password(
            UserPoolId=pool.pool_id, Username="eve@example.org", Password=PASSWORD, Permanent=True
        )
        _, eve = sign_in(server, "eve@example.org")
        assert eve.status_code == 403 and "closed" in parse(eve.text).text
        assert server.count("users") == 1


def test_two_sign_ups_at_once_leave_no_account_in_the_pool_without_a_row(
    pool: Pool, server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both passed the checks, both made a Cognito account; the second's row was refused
    (the name taken by then), and its account stayed in the pool, keeping that address out.
    Here each SignUp waits up to two seconds for the other to reach the pool too."""
    cognito_sign_up(server, "alice")
    asked = []
    ask = CognitoPool.ask

    async def meeting(self: CognitoPool, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if action == "SignUp":
            asked.append(body["Username"])
            for _ in range(40):
                if len(asked) > 1:
                    break
                await asyncio.sleep(0.05)
        return await ask(self, action, body)

    monkeypatch.setattr(CognitoPool, "ask", meeting)

    def sign_up(email: str) -> int:
        body = {"username": "bob", "email": email, "password": PASSWORD}
        return server.client().post("/api/v1/auth/signup", json=body).status_code

    with ThreadPoolExecutor(2) as both:
        answers = sorted(both.map(sign_up, ["bob@example.org", "bobby@example.org"]))
    assert answers == [201, 409]
    assert len(asked) == 1  # the second was refused before the pool was asked
    emails = pool.emails()
    assert len([e for e in emails if e.startswith("bob")]) == 1, emails


def test_forgotten_password_is_reset_with_the_emailed_code(server: LiveServer) -> None:
    alice = cognito_sign_up(server, "alice")
    login_page = parse(server.client().get("/login").text)
    assert login_page.find_all("a", href="/forgot")
    browser = server.client()
    assert parse(browser.get("/forgot").text).find_all("form", action="/forgot")
    asked = form_post(browser, "/forgot", {"username": "alice"})
    assert asked.status_code == 303 and asked.headers["location"] == "/reset?username=alice"
    reset = form_post(
        browser, "/reset", {"username": "alice", "code": "123456", "password": NEW_PASSWORD}
    )
    assert reset.status_code == 303 and reset.headers["location"] == "/login?notice=reset"
    assert "Your password has been changed" in parse(browser.get("/login?notice=reset").text).text
    assert alice.get("/api/v1/me").status_code == 401  # the old password's session ended
    assert sign_in(server, "alice")[1].status_code == 401
    assert sign_in(server, "alice", NEW_PASSWORD)[1].status_code == 303
    # nobody learns whether an account exists
    unknown = form_post(server.client(), "/forgot", {"username": "nobody@example.org"})
    assert unknown.status_code == 303


def test_codes_by_mail_have_a_budget_as_reset_links_do(server: LiveServer) -> None:
    """Each /forgot and each "send a new code" is a mail from the pool's sender, whose daily
    quota (50 with Cognito's own) a script spent in minutes by asking for family members'
    codes over and over: then nobody could confirm a sign-up or reset a password that day."""
    cognito_sign_up(server, "alice")
    body = {"username": "bob", "email": "bob@example.org", "password": PASSWORD}
    assert server.client().post("/api/v1/auth/signup", json=body).status_code == 201
    for path, login, what in (
        ("/forgot", "alice", "a code"),
        ("/confirm/resend", "bob", "a new code"),
    ):
        asker = server.client()
        for _ in range(3):
            sent = form_post(asker, path, {"username": login})
            # (moto answers ResendConfirmationCode with an error: a 503 that says so; the
            # budget is spent before the pool is asked, as it must be for a refusal to help)
            assert sent.status_code in (200, 303, 503) and "Too many" not in sent.text
        # From any browser, by name or by address: one mailbox.
        held = form_post(server.client(), path, {"username": f"{login}@example.org"})
        assert held.status_code == 429
        assert f"Too many requests for {what}." in parse(held.text).text


def test_sessions_are_refreshed_and_end_when_cognito_stops_vouching(
    server: LiveServer, pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = cognito_sign_up(server, "alice")
    bob = cognito_sign_up(server, "bob")
    script = server.client()
    token = script.post("/api/v1/auth/login", json={"login": "bob", "password": PASSWORD})
    script.headers["Authorization"] = f"Bearer {token.json()['token']}"
    with server.db() as conn:
        sealed = [r[0] for r in conn.execute("SELECT refresh_token FROM sessions")]
    assert len(sealed) == 3 and all(s and "." not in s for s in sealed)  # sealed, not JWTs

    # two hours on, the access tokens have expired: the refresh token renews them
    monkeypatch.setattr(clock, "now", lambda: time.time() + 2 * 3600)
    assert alice.get("/api/v1/me").status_code == 200
    assert script.get("/api/v1/me").status_code == 200

    # Cognito signs alice out everywhere; at the next renewal her session ends here too
    pool.idp().admin_user_global_sign_out(UserPoolId=pool.pool_id, Username="alice@example.org")
    monkeypatch.setattr(clock, "now", lambda: time.time() + 4 * 3600)
    assert alice.get("/api/v1/me").status_code == 401
    assert bob.get("/api/v1/me").status_code == 200
    assert script.get("/api/v1/me").status_code == 200
    with server.db() as conn:
        left = conn.execute(
            "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE u.username = 'alice'"
        ).fetchone()[0]
    assert left == 0


def test_a_session_outlives_keys_that_cannot_be_fetched_for_a_while(
    pool: Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a renewal, refreshed tokens signed by a key this instance had not fetched, while
    the keys' address was down, ended the session (and on every instance: it is deleted).
    Now it is trusted a while, as when Cognito itself cannot be reached."""
    relay = JwksServer()  # the pool's keys, served from an address that can go down
    moto_keys = CognitoAccounts(Settings(secret_key="k", **pool.settings())).tokens.jwks_url
    relay.keys = httpx.get(moto_keys).json()["keys"]
    try:
        settings = make_settings(tmp_path / "data", **pool.settings(cognito_jwks_url=relay.url))
        with live_server(settings) as server:
            alice = cognito_sign_up(server, "alice")
            # As after the pool rotated its key: this instance holds none it can use, and
            # the address it would fetch them from is down.
            server.app.state.services.accounts.tokens._keys.clear()
            relay.failing = True
            monkeypatch.setattr(clock, "now", lambda: time.time() + 2 * 3600)
            assert alice.get("/api/v1/me").status_code == 200
            assert server.count("sessions") == 1
            relay.failing = False  # back: the next renewal fetches the keys and goes on
            monkeypatch.setattr(tokens, "REFETCH_SECONDS", 0.0)
            monkeypatch.setattr(clock, "now", lambda: time.time() + 3 * 3600)
            assert alice.get("/api/v1/me").status_code == 200
            assert relay.fetches >= 3
    finally:
        relay.close()


def test_sign_in_is_refused_when_the_tokens_do_not_verify(
    moto: S3Server, pool: Pool, tmp_path: Path
) -> None:
    impostor = JwksServer()
    impostor.keys = [Key("dummy").jwk()]  # moto's key id, but not moto's key
    try:
        settings = make_settings(tmp_path / "data", **pool.settings(cognito_jwks_url=impostor.url))
        with live_server(settings) as server:
            sign_up_only(server, "alice")
            _, entered = sign_in(server, "alice")
            assert entered.status_code == 503
            assert "could not be verified" in parse(entered.text).text
            assert server.count("sessions") == 0
    finally:
        impostor.close()


def test_start_up_fails_clearly_when_the_keys_cannot_be_loaded(pool: Pool, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "data", **pool.settings(cognito_jwks_url="http://127.0.0.1:9/jwks.json")
    )
    with pytest.raises(ExceptionGroup) as failed, TestClient(create_app(settings)):
        pass  # pragma: no cover - start-up fails before this
    # Said in one line by `serve` (CannotStart), caused by the provider's own refusal.
    assert failed.group_contains(
        CannotStart,
        match=r"signing keys could not be loaded: cannot load the keys from http://127\.0\.0\.1:9/",
    )
    (cannot,) = failed.value.exceptions
    assert isinstance(cannot.__cause__, AccountsUnavailable)


def test_secret_hash_is_the_one_cognito_expects(moto: S3Server, tmp_path: Path) -> None:
    secret = make_pool(moto, secret=True)
    accounts = CognitoAccounts(Settings(secret_key="k", **secret.settings()))
    digest = accounts.pool.secret_hash("alice@example.org")
    assert digest and check_secret_hash(
        secret.client_secret, secret.client_id, "alice@example.org", digest
    )
    with live_server(make_settings(tmp_path / "data", **secret.settings())) as server:
        alice = cognito_sign_up(server, "alice")
        assert alice.get("/api/v1/me").json()["user"]["username"] == "alice"


def test_code_pages_exist_only_where_codes_are_sent(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path / "data")) as local:
        browser = local.client()
        for path in ("/confirm", "/reset"):
            assert browser.get(path).status_code == 404
        # /forgot is about reset links here, never codes (see test_mail.py)
        assert not parse(browser.get("/forgot").text).find_all("input", name="username")


def test_the_users_command_refuses_to_make_accounts_cognito_would_not_know(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    done = run_cli(
        data,
        "users",
        "create",
        "alice",
        "--email",
        "alice@example.org",
        PHOTOARCHIVE_AUTH="cognito",
        PHOTOARCHIVE_COGNITO_REGION="eu-west-1",
        PHOTOARCHIVE_COGNITO_USER_POOL_ID="eu-west-1_Pool",
        PHOTOARCHIVE_COGNITO_CLIENT_ID="client",
    )
    assert done.returncode == 2
    assert "accounts live in the Cognito user pool" in done.stderr
    assert "PHOTOARCHIVE_ADMINS" in done.stderr
    assert not (data / "photoarchive.sqlite3").exists()  # nothing made, not even the archive
