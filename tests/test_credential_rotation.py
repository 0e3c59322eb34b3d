"""A new email is, like a new password, a change of what can take the account (whoever reads
the mailbox can reset the password): the browser that made it goes on under a new session,
every other session ends, and all of it happens in one transaction, so a failure part-way
leaves the person signed in exactly where they were."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.support import (
    PASSWORD,
    LiveServer,
    api_login,
    form_post,
    parse,
    run_sql,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

NEW_EMAIL = "alice.new@example.org"
NEW_PASSWORD = "a much better passphrase"


def signed_in(client: httpx.Client) -> bool:
    status = client.get("/api/v1/me").status_code
    assert status in (200, 401)
    return status == 200


def change_email(client: httpx.Client, **headers: str) -> httpx.Response:
    fields = {"display_name": "Alice", "email": NEW_EMAIL, "current_password": PASSWORD}
    return form_post(client, "/settings/profile", fields, headers=headers)


def change_password(client: httpx.Client) -> httpx.Response:
    fields = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    return form_post(client, "/settings/password", fields)


def other_devices(server: LiveServer) -> tuple[httpx.Client, httpx.Client, httpx.Client]:
    """Alice's phone (another browser), a copy of her laptop's cookie, and a script."""
    phone = server.client()
    assert form_post(phone, "/login", {"login": "alice", "password": PASSWORD}).status_code == 303
    return phone, server.client(), api_login(server, "alice")


def test_an_email_change_renews_this_browsers_session_and_ends_the_others(
    server: LiveServer,
) -> None:
    laptop = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    phone, copy, script = other_devices(server)
    copy.cookies.set("session", laptop.cookies["session"])
    old_cookie = laptop.cookies["session"]

    response = change_email(laptop)
    assert response.status_code == 303, response.text
    assert laptop.cookies["session"] != old_cookie
    assert signed_in(laptop) and signed_in(bob)
    assert not signed_in(copy) and not signed_in(phone) and not signed_in(script)
    notice = parse(laptop.get(response.headers["location"]).text).text
    assert "signed out everywhere else" in notice
    # The new session's forms work: the CSRF token was renewed with it.
    assert (
        form_post(laptop, "/settings/time-zone", {"time_zone": "Europe/Paris"}).status_code == 303
    )
    assert laptop.get("/api/v1/me").json()["user"]["email"] == NEW_EMAIL


def test_a_new_display_name_alone_keeps_every_session(server: LiveServer) -> None:
    laptop = sign_up(server, "alice")
    phone, _copy, script = other_devices(server)
    old_cookie = laptop.cookies["session"]
    fields = {"display_name": "Alice", "email": "alice@example.org"}
    assert form_post(laptop, "/settings/profile", fields).status_code == 303
    assert laptop.cookies["session"] == old_cookie
    assert signed_in(laptop) and signed_in(phone) and signed_in(script)


def test_a_bearer_token_changing_the_email_keeps_its_own_session(server: LiveServer) -> None:
    laptop = sign_up(server, "alice")
    script = api_login(server, "alice")
    fields = {"display_name": "", "email": NEW_EMAIL, "current_password": PASSWORD}
    changed = script.post("/settings/profile", data=fields)
    assert changed.status_code == 303, changed.text
    assert signed_in(script) and not signed_in(laptop)


@contextmanager
def sessions_refused(server: LiveServer) -> Iterator[None]:
    """Every new session refused by the database itself: a failure after the change's other
    writes, at the last step of the transaction."""
    if server.settings.database_url.startswith("postgresql:"):
        run_sql(
            server.settings,
            "CREATE FUNCTION refuse_session() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RAISE EXCEPTION 'no new sessions'; END $$",
        )
        run_sql(
            server.settings,
            "CREATE TRIGGER refuse_session BEFORE INSERT ON sessions"
            " FOR EACH ROW EXECUTE FUNCTION refuse_session()",
        )
        try:
            yield
        finally:
            run_sql(server.settings, "DROP TRIGGER refuse_session ON sessions")
    else:
        run_sql(
            server.settings,
            "CREATE TRIGGER refuse_session BEFORE INSERT ON sessions"
            " BEGIN SELECT RAISE(ABORT, 'no new sessions'); END",
        )
        try:
            yield
        finally:
            run_sql(server.settings, "DROP TRIGGER refuse_session")


@pytest.mark.parametrize("change", [change_email, change_password], ids=["email", "password"])
def test_a_change_that_fails_part_way_leaves_every_session_as_it_was(
    server: LiveServer, change: Callable[[httpx.Client], httpx.Response]
) -> None:
    laptop = sign_up(server, "alice")
    phone, _copy, script = other_devices(server)
    old_cookie = laptop.cookies["session"]
    (before,) = run_sql(server.settings, "SELECT email, password_hash FROM users")
    sessions_before = run_sql(server.settings, "SELECT id FROM sessions ORDER BY id")

    with sessions_refused(server):
        failed = change(laptop)
    assert failed.status_code >= 500, failed.text

    assert run_sql(server.settings, "SELECT email, password_hash FROM users") == [before]
    assert run_sql(server.settings, "SELECT id FROM sessions ORDER BY id") == sessions_before
    assert laptop.cookies["session"] == old_cookie
    assert signed_in(laptop) and signed_in(phone) and signed_in(script)
