"""Sign-in throttling: per account and per client address, stored in the database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from ipaddress import ip_network
from pathlib import Path

import argon2
import httpx
import pytest

from photoarchive.accounts import throttle
from photoarchive.settings import Settings, SettingsError
from tests.support import (
    PASSWORD,
    FrozenClock,
    LiveServer,
    form_post,
    live_server,
    make_settings,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

LOGIN = "/api/v1/auth/login"
WRONG = "wrong-password"


def attempt(
    client: httpx.Client, login: str, password: str = WRONG, via: str | None = None
) -> httpx.Response:
    headers = {"x-forwarded-for": via} if via else {}
    return client.post(LOGIN, json={"login": login, "password": password}, headers=headers)


def test_ten_failures_lock_the_account_for_api_and_page(
    server: LiveServer, frozen_clock: FrozenClock
) -> None:
    sign_up(server, "alice")
    client = server.client()
    for _ in range(10):
        assert attempt(client, "alice").status_code == 401
    blocked = attempt(client, "alice", PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) == 900  # no time passed: the whole window
    assert blocked.json()["detail"] == "Too many failed sign-ins. Try again in 15 minutes."
    page = form_post(server.client(), "/login", {"login": "alice", "password": PASSWORD})
    assert page.status_code == 429
    assert int(page.headers["retry-after"]) == 900
    assert "session" not in page.cookies
    assert server.count("login_failures") == 10  # refused attempts are not counted again
    assert server.count("sessions") == 1  # only the one sign_up made


def test_username_and_email_share_one_budget(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = server.client()
    for login in ["alice"] * 5 + ["ALICE@example.org"] * 5:
        assert attempt(client, login).status_code == 401
    assert attempt(client, "Alice").status_code == 429


def test_budget_frees_up_as_failures_age_and_retry_after_says_when(
    server: LiveServer, frozen_clock: FrozenClock
) -> None:
    sign_up(server, "alice")
    client = server.client()
    for _ in range(10):
        attempt(client, "alice")
    with server.db() as conn:  # the oldest failure is 10 minutes old
        conn.execute(
            "UPDATE login_failures SET failed_at = failed_at - 600"
            " WHERE id = (SELECT MIN(id) FROM login_failures)"
        )
    blocked = attempt(client, "alice", PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) == 300
    assert "5 minutes" in blocked.json()["detail"]
    with server.db() as conn:  # ... and now 16 minutes old: out of the window
        conn.execute(
            "UPDATE login_failures SET failed_at = failed_at - 360"
            " WHERE id = (SELECT MIN(id) FROM login_failures)"
        )
    assert attempt(client, "alice", PASSWORD).status_code == 200


def test_a_success_forgives_the_accounts_failures(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = server.client()
    for _ in range(9):
        assert attempt(client, "alice").status_code == 401
    assert attempt(client, "alice", PASSWORD).status_code == 200
    # The client address budget still holds the 9 failures; a second address has room.
    assert server.count("login_failures") == 0


def test_per_client_address_across_accounts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies=(ip_network("127.0.0.1/32"),))
    with live_server(settings) as server:
        sign_up(server, "alice")
        client = server.client()
        for number in range(10):  # ten different (unknown) accounts from one address
            assert attempt(client, f"user{number}", via="203.0.113.7").status_code == 401
        assert attempt(client, "alice", PASSWORD, via="203.0.113.7").status_code == 429
        # Another address is not affected, and alice's own budget is untouched.
        assert attempt(client, "alice", PASSWORD, via="203.0.113.8").status_code == 200


def test_per_account_across_client_addresses(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies=(ip_network("127.0.0.0/8"),))
    with live_server(settings) as server:
        sign_up(server, "alice")
        client = server.client()
        for number in range(10):
            assert attempt(client, "alice", via=f"198.51.100.{number}").status_code == 401
        assert attempt(client, "alice", PASSWORD, via="198.51.100.99").status_code == 429


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = server.client()
    for number in range(10):  # a forged header per attempt does not buy a fresh budget
        response = attempt(client, f"user{number}", via=f"192.0.2.{number}")
        assert response.status_code == 401
    assert attempt(client, "alice", PASSWORD, via="192.0.2.200").status_code == 429
    with server.db() as conn:
        addresses = {row[0] for row in conn.execute("SELECT client_ip FROM login_failures")}
    assert addresses == {"127.0.0.1"}


def test_trusted_proxy_chain_names_the_nearest_untrusted_hop(tmp_path: Path) -> None:
    proxies = (ip_network("127.0.0.1/32"), ip_network("10.0.0.0/8"))
    with live_server(make_settings(tmp_path, trusted_proxies=proxies)) as server:
        sign_up(server, "alice")
        client = server.client()
        # The client wrote the first entry itself; 10.1.2.3 is an inner proxy of ours.
        response = attempt(client, "alice", PASSWORD, via="6.6.6.6, 198.51.100.20, 10.1.2.3")
        assert response.status_code == 200
        junk = attempt(client, "alice", PASSWORD, via="not-an-address")
        assert junk.status_code == 200
        with server.db() as conn:
            rows = conn.execute(
                "SELECT client_ip FROM sessions WHERE kind = 'bearer' ORDER BY id"
            ).fetchall()
        assert [row[0] for row in rows] == ["198.51.100.20", "127.0.0.1"]


def test_limit_and_window_are_configurable(tmp_path: Path, frozen_clock: FrozenClock) -> None:
    settings = make_settings(tmp_path, login_max_failures=3, login_window_minutes=2)
    with live_server(settings) as server:
        sign_up(server, "alice")
        client = server.client()
        for _ in range(3):
            assert attempt(client, "alice").status_code == 401
        blocked = attempt(client, "alice")
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) == 120


def test_parallel_guesses_cannot_exceed_the_limit(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path, login_max_failures=5)) as server:
        sign_up(server, "alice")
        clients = [server.client() for _ in range(20)]
        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = sorted(pool.map(lambda c: attempt(c, "alice").status_code, clients))
        assert statuses == [401] * 5 + [429] * 15


def test_settings_read_trusted_proxies_and_limits() -> None:
    settings = Settings.from_env(
        {
            "PHOTOARCHIVE_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1 ,::1",
            "PHOTOARCHIVE_LOGIN_MAX_FAILURES": "4",
            "PHOTOARCHIVE_LOGIN_WINDOW_MINUTES": "30",
        }
    )
    assert settings.trusted_proxies == (
        ip_network("10.0.0.0/8"),
        ip_network("192.168.1.1/32"),
        ip_network("::1/128"),
    )
    assert (settings.login_max_failures, settings.login_window_minutes) == (4, 30.0)
    assert Settings.from_env({}).trusted_proxies == ()
    assert (
        Settings.from_env({}).login_max_failures,
        Settings.from_env({}).login_window_minutes,
    ) == (
        10,
        15.0,
    )
    with pytest.raises(SettingsError, match="PHOTOARCHIVE_TRUSTED_PROXIES"):
        Settings.from_env({"PHOTOARCHIVE_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"})
    with pytest.raises(SettingsError, match="PHOTOARCHIVE_LOGIN_MAX_FAILURES"):
        Settings.from_env({"PHOTOARCHIVE_LOGIN_MAX_FAILURES": "0"})


def test_unknown_user_and_wrong_password_cost_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both verify one argon2 hash at the production cost, so timing does not tell them apart:
    an unknown user is checked against a dummy hash made with the same parameters. The hashes
    verified are counted, not timed: on a busy machine a stopwatch measures the machine."""
    verified: list[argon2.Parameters] = []
    real_verify = argon2.PasswordHasher.verify

    def counted_verify(hasher: argon2.PasswordHasher, hash: str, password: str) -> bool:
        verified.append(argon2.extract_parameters(hash))
        return real_verify(hasher, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counted_verify)
    settings = make_settings(
        tmp_path, argon2_memory_kib=19 * 1024, argon2_time_cost=2, login_max_failures=1000
    )
    with live_server(settings) as server:
        sign_up(server, "alice")
        client = server.client()
        costs: dict[str, list[tuple[argon2.Type, int, int, int]]] = {}
        answers = set()
        for login in ("alice", "nobody"):
            verified.clear()
            response = attempt(client, login)
            answers.add((response.status_code, response.text))
            costs[login] = [(p.type, p.memory_cost, p.time_cost, p.parallelism) for p in verified]
        assert answers == {(401, '{"status":401,"detail":"Wrong username or password."}')}
        production = (argon2.Type.ID, 19 * 1024, 2, 1)
        assert costs == {"alice": [production], "nobody": [production]}


def test_a_members_password_change_is_not_refused_for_others_failed_sign_ins(
    tmp_path: Path,
) -> None:
    with live_server(make_settings(tmp_path, login_max_failures=3)) as server:
        alice = sign_up(server, "alice")
        client = server.client()  # someone else in the house, from the same address
        for number in range(3):
            assert attempt(client, f"cousin{number}").status_code == 401
        assert attempt(client, "alice", PASSWORD).status_code == 429
        new = {"new_password": "a new passphrase", "new_password_again": "a new passphrase"}
        changed = form_post(alice, "/settings/password", {"current_password": PASSWORD, **new})
        assert changed.status_code == 303


def test_guesses_from_elsewhere_do_not_keep_the_owner_out_of_a_browser_they_signed_in_from(
    tmp_path: Path, engine: str
) -> None:
    """A browser the account has signed in from carries a known-device cookie: its attempts
    draw on that account's budget on that browser. Ten wrong passwords from elsewhere spend
    the account's own budget (the right password from a new browser waits), but its owner
    still signs in from their own; another account's cookie, a made-up one, or one from before
    the password changed is no way round; guesses on their browser are limited there too.
    Every attempt comes from an address of its own, so that no client's budget decides."""
    settings = make_settings(tmp_path / "data", trusted_proxies=(ip_network("127.0.0.1/32"),))
    addresses = (f"198.51.100.{number}" for number in range(1, 250))

    def sign_in(client: httpx.Client, login: str, password: str = PASSWORD) -> httpx.Response:
        data = {"login": login, "password": password}
        return form_post(client, "/login", data, headers={"x-forwarded-for": next(addresses)})

    def signed_out(client: httpx.Client) -> None:
        out = client.post("/logout", headers={"x-csrftoken": client.cookies["csrftoken"]})
        assert out.status_code == 303

    def with_cookie(cookie: str) -> httpx.Client:
        other = server.client()
        other.cookies.set("known_device", cookie, path="/login")
        return other

    with live_server(settings) as server:
        sign_up(server, "alice")
        sign_up(server, "bob")
        own, bobs = server.client(), server.client()
        first = sign_in(own, "alice")
        assert first.status_code == 303
        known = own.cookies.get("known_device")
        (set_device,) = [c for c in first.headers.get_list("set-cookie") if "known_device" in c]
        assert known and "Path=/login" in set_device and "HttpOnly" in set_device
        assert sign_in(bobs, "bob").status_code == 303
        bob_known = bobs.cookies.get("known_device")
        assert bob_known and bob_known != known
        signed_out(own)

        guesser = server.client()
        for _ in range(10):
            assert sign_in(guesser, "alice", WRONG).status_code == 401
        assert sign_in(server.client(), "alice").status_code == 429  # a new browser waits

        back = sign_in(own, "alice")
        assert back.status_code == 303 and "session" in own.cookies
        assert own.cookies.get("known_device") == known  # the same device, the same budget
        signed_out(own)
        # Bob's real cookie, or a made-up one, is no way round alice's budget.
        for cookie in (bob_known, known.replace(".", "x", 1), "1.abc.def", "9" * 19 + known[1:]):
            assert sign_in(with_cookie(cookie), "alice").status_code == 429, cookie
        # On the owner's browser, guesses are limited as anywhere else.
        for _ in range(10):
            assert sign_in(own, "alice", WRONG).status_code == 401
        assert sign_in(own, "alice").status_code == 429

        # Once the password changes, no cookie made before it counts any more.
        assert sign_in(bobs, "bob").status_code == 303
        changed = form_post(
            bobs,
            "/settings/password",
            {
                "current_password": PASSWORD,
                "new_password": "a brand new password",
                "new_password_again": "a brand new password",
            },
        )
        assert changed.status_code in (200, 303), changed.text[:300]
        signed_out(bobs)
        for _ in range(10):
            assert sign_in(guesser, "bob", WRONG).status_code == 401
        old_cookie = with_cookie(bob_known)
        assert sign_in(old_cookie, "bob", "a brand new password").status_code == 429


def test_a_device_token_is_read_only_in_its_own_shape() -> None:
    """Anything else is no token (a digit Python reads but int() does not, say), never a 500."""
    assert throttle.parse_device("1." + "a" * 16 + "." + "0" * 32) is not None
    for odd in ("²." + "a" * 16 + "." + "0" * 32, "1.short." + "0" * 32, "", None, "1.2.3.4"):
        assert throttle.parse_device(odd) is None, odd
