"""An administrator withdraws a pending invitation (one mailed to the wrong address, say): its
link then says plainly that it no longer works, and makes no account. Asked once more on a
page of its own without script; with htmx, the browser asks and the list is swapped in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.state import snapshot
from tests.support import (
    PASSWORD,
    LiveServer,
    api_login,
    browser,
    csrf,
    form_post,
    live_server,
    make_settings,
    parse,
    run_sql,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(make_settings(tmp_path / "data", registration="invite")) as server:
        yield server


def new_invite(admin: httpx.Client) -> str:
    """The token of a new invite link the administrator makes."""
    page = form_post(admin, "/admin/invites")
    assert page.status_code == 200, page.text
    (link,) = parse(page.text).find_all("input", id="invite-url")
    return str(link["value"]).split("invite=")[1]


def withdraw_forms(admin: httpx.Client) -> list[str]:
    """Where each pending invitation's Withdraw form posts, as the admin page lists them."""
    page = parse(admin.get("/admin").text)
    return [
        str(form["action"])
        for form in page.find_all("form")
        if str(form.get("action", "")).endswith("/withdraw")
    ]


def joining(server: LiveServer, token: str, name: str = "bob") -> httpx.Response:
    return server.client().post(
        "/api/v1/auth/signup",
        json={
            "username": name,
            "email": f"{name}@example.org",
            "password": PASSWORD,
            "invite": token,
        },
    )


def test_a_withdrawn_invite_link_says_it_no_longer_works(archive: LiveServer) -> None:
    admin = sign_up(archive, "admin")
    kept, withdrawn = new_invite(admin), new_invite(admin)
    assert len(withdraw_forms(admin)) == 2
    newest = withdraw_forms(admin)[0]  # newest first: the second link made

    asked = form_post(admin, newest)
    assert asked.status_code == 200
    page = parse(asked.text)
    assert [f for f in page.find_all("form") if f.get("action") == newest]  # the question
    assert page.find_all("input", name="confirmed", value="1")
    assert page.find_all("a", href="/admin")  # a way back that changes nothing
    assert len(withdraw_forms(admin)) == 2  # asking withdrew nothing

    done = form_post(admin, newest, {"confirmed": "1"})
    assert done.status_code == 303 and done.headers["location"] == "/admin"
    assert len(withdraw_forms(admin)) == 1
    assert "1 unused invite." in parse(admin.get("/admin").text).text

    shown = archive.client().get(f"/signup?invite={withdrawn}")
    assert shown.status_code == 410
    problem = parse(shown.text)
    assert "withdrawn" in problem.text and "no longer works" in problem.text
    assert not problem.find_all("input", id="password")  # no form to fill in for nothing
    refused = joining(archive, withdrawn)
    assert refused.status_code == 403
    assert "withdrawn" in refused.json()["detail"]
    assert joining(archive, kept, "carol").status_code == 201


def test_withdrawing_with_htmx_swaps_the_list_in_place(archive: LiveServer) -> None:
    admin = sign_up(archive, "admin")
    token = new_invite(admin)
    (action,) = withdraw_forms(admin)
    (form,) = [f for f in parse(admin.get("/admin").text).find_all("form") if f["action"] == action]
    # htmx asks in the browser (hx-confirm) and says it was confirmed (hx-vals).
    assert form["hx-post"] == action and form["hx-confirm"]
    assert '"confirmed"' in str(form["hx-vals"])
    swapped = admin.post(
        action,
        data={"_csrf_token": csrf(admin), "confirmed": "1"},
        headers={"hx-request": "true"},
    )
    assert swapped.status_code == 200
    fragment = parse(swapped.text)
    assert fragment.find_all("section", id="pending-invites")
    assert "0 unused invites." in fragment.text
    assert not fragment.find_all("html")  # the list alone, not a whole page
    assert joining(archive, token).status_code == 403


def test_only_administrators_withdraw_invites(archive: LiveServer) -> None:
    admin = sign_up(archive, "admin")
    member = sign_up(archive, "member", invite=new_invite(admin))
    token = new_invite(admin)
    (action,) = withdraw_forms(admin)
    bearer = api_login(archive, "member")
    before = snapshot(archive)

    guest = archive.client()
    assert form_post(guest, action, {"confirmed": "1"}).status_code == 401
    assert form_post(member, action, {"confirmed": "1"}).status_code == 403
    assert form_post(member, action).status_code == 403  # not even the question
    no_token = admin.post(action, data={"confirmed": "1"})
    assert no_token.status_code == 403
    from_elsewhere = admin.post(
        action,
        data={"_csrf_token": csrf(admin), "confirmed": "1"},
        headers={"origin": "https://evil.example"},
    )
    assert from_elsewhere.status_code == 403
    assert bearer.post(action, data={"confirmed": "1"}).status_code == 403
    assert not before.diff(snapshot(archive))

    assert form_post(admin, action, {"confirmed": "1"}).status_code == 303
    assert joining(archive, token).status_code == 403


@pytest.mark.parametrize("how", ["used", "withdrawn", "unknown", "expired"])
def test_only_a_pending_invite_can_be_withdrawn(archive: LiveServer, how: str) -> None:
    admin = sign_up(archive, "admin")
    token = new_invite(admin)
    (action,) = withdraw_forms(admin)
    if how == "used":
        assert joining(archive, token).status_code == 201
    elif how == "withdrawn":
        assert form_post(admin, action, {"confirmed": "1"}).status_code == 303
    elif how == "unknown":
        action = "/admin/invites/987654/withdraw"
    else:
        with archive.db() as conn:
            conn.execute("UPDATE invites SET expires_at = created_at - 1")
    before = snapshot(archive)
    refused = form_post(admin, action, {"confirmed": "1"})
    assert refused.status_code == 404
    assert "no pending invitation" in parse(refused.text).text
    assert not before.diff(snapshot(archive))


def test_an_invite_stops_working_when_its_administrator_is_disabled(archive: LiveServer) -> None:
    """Invites are an administrator's: once whoever made one is disabled (or no longer an
    administrator), its link makes no account and says why."""
    admin = sign_up(archive, "admin")
    helper = sign_up(archive, "helper", invite=new_invite(admin))
    run_sql(archive.settings, "UPDATE users SET is_admin = 1 WHERE username = 'helper'")
    token = new_invite(helper)
    assert len(withdraw_forms(admin)) == 1

    disabled = form_post(admin, "/admin/users/helper/disable", {"confirmed": "1"})
    assert disabled.status_code == 303, disabled.text
    shown = archive.client().get(f"/signup?invite={token}")
    assert shown.status_code == 410
    said = parse(shown.text).text
    assert "helper , who sent it, no longer looks after this archive" in said
    assert withdraw_forms(admin) == []  # not pending: it cannot make an account
    refused = joining(archive, token)
    assert refused.status_code == 403 and "no longer works" in refused.json()["detail"]

    # Enabled again, a link sent while they were disabled (leaked, maybe) stays withdrawn.
    assert form_post(admin, "/admin/users/helper/enable").status_code == 303
    assert joining(archive, token).status_code == 403
    # One made by an administrator no longer one stops; it works again if they are again.
    later = new_invite(browser(archive, "helper"))  # signed out by the disable
    run_sql(archive.settings, "UPDATE users SET is_admin = 0 WHERE username = 'helper'")
    assert joining(archive, later).status_code == 403
    run_sql(archive.settings, "UPDATE users SET is_admin = 1 WHERE username = 'helper'")
    assert joining(archive, later).status_code == 201
