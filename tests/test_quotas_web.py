"""Usage and quotas over HTTP: /api/v1/me's usage, the admin API's shapes and who may use it,
the 507 of an upload past the quota (JSON and the upload form) with nothing left behind, the
/admin quota form and its refusals, and the usage shown on /settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from photoarchive.library.usage import size_text
from tests.state import snapshot
from tests.support import (
    PASSWORD,
    LiveServer,
    api_login,
    csrf,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload_bytes,
)
from tests.test_quotas import noise_jpeg

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

MB = 1024 * 1024


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[LiveServer, httpx.Client, httpx.Client]]:
    """alice, the first account and so the administrator, and bob, a member (API clients)."""
    with live_server(make_settings(tmp_path / "data", registration="open")) as server:
        sign_up(server, "alice")
        sign_up(server, "bob")
        yield server, api_login(server, "alice"), api_login(server, "bob")


def test_me_tells_ones_usage_and_quota(
    world: tuple[LiveServer, httpx.Client, httpx.Client],
) -> None:
    _server, alice, bob = world
    assert bob.get("/api/v1/me").json()["usage"] == {"photos": 0, "bytes": 0}
    assert bob.get("/api/v1/me").json()["quota_bytes"] is None
    first, second = noise_jpeg(), noise_jpeg()
    for data in (first, second, first):  # the duplicate adds nothing
        assert upload_bytes(bob, "p.jpg", data).status_code in (200, 201)
    set_quota = alice.patch("/api/v1/admin/users/bob", json={"quota_mb": 100})
    assert set_quota.status_code == 200, set_quota.text
    me = bob.get("/api/v1/me").json()
    assert me["usage"] == {"photos": 2, "bytes": len(first) + len(second)}
    assert me["quota_bytes"] == 100 * MB
    assert me["user"]["username"] == "bob"


def test_the_admin_api_is_for_administrators_only(
    world: tuple[LiveServer, httpx.Client, httpx.Client],
) -> None:
    server, alice, bob = world
    guest = server.client()
    body = {"quota_mb": 5, "disabled": False}
    before = snapshot(server)
    assert guest.get("/api/v1/admin/users").status_code == 401
    assert guest.patch("/api/v1/admin/users/bob", json=body).status_code == 401
    refused = bob.get("/api/v1/admin/users")
    assert refused.status_code == 403 and refused.json()["status"] == 403
    assert bob.patch("/api/v1/admin/users/alice", json=body).status_code == 403
    assert bob.patch("/api/v1/admin/users/bob", json=body).status_code == 403
    assert not before.diff(snapshot(server))

    listed = alice.get("/api/v1/admin/users")
    assert listed.status_code == 200
    items = {item["username"]: item for item in listed.json()["items"]}
    assert set(items) == {"alice", "bob"}
    assert items["alice"]["is_admin"] and not items["bob"]["is_admin"]
    assert items["bob"] == {
        "username": "bob",
        "display_name": "",
        "is_admin": False,
        "disabled": False,
        "usage": {"photos": 0, "bytes": 0},
        "quota_bytes": None,
        "created_at": items["bob"]["created_at"],
    }


def test_an_administrator_sets_quotas_and_disables_accounts(
    world: tuple[LiveServer, httpx.Client, httpx.Client],
) -> None:
    server, alice, bob = world
    path = "/api/v1/admin/users/bob"
    changed = alice.patch(path, json={"quota_mb": 250})
    assert changed.status_code == 200
    assert changed.json()["quota_bytes"] == 250 * MB and changed.json()["disabled"] is False
    assert alice.patch(path, json={"quota_mb": 0}).json()["quota_bytes"] == 0
    assert alice.patch(path, json={"quota_mb": None}).json()["quota_bytes"] is None
    # Refusals change nothing: a bad value, nothing to change, one's own account, nobody.
    before = snapshot(server)
    for sent in ({"quota_mb": -1}, {"quota_mb": 10**12}, {}):
        answer = alice.patch(path, json=sent)
        assert answer.status_code == 422, (sent, answer.text)
    assert alice.patch(path, json={"quota_mb": -1}).json()["field"] == "quota_mb"
    for sent in ({"quota_mb": "ten"}, {"quota_mb": 1.5}, {"disabled": "yes"}, {"size": 1}):
        assert alice.patch(path, json=sent).status_code in (400, 422), sent
    mine = alice.patch("/api/v1/admin/users/alice", json={"quota_mb": 5, "disabled": True})
    assert mine.status_code == 422 and "your own account" in mine.json()["detail"]
    assert alice.patch("/api/v1/admin/users/nobody", json={"quota_mb": 5}).status_code == 404
    assert not before.diff(snapshot(server))
    # Disabling ends the person's sessions, as /admin's Disable does.
    gone = alice.patch(path, json={"disabled": True, "quota_mb": 1})
    assert gone.status_code == 200
    assert gone.json()["disabled"] is True and gone.json()["quota_bytes"] == MB
    assert bob.get("/api/v1/me").status_code == 401
    with server.db() as conn:
        assert (
            conn.execute(
                "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id"
                " WHERE u.username = 'bob'"
            ).fetchone()[0]
            == 0
        )
    back = alice.patch(path, json={"disabled": False})
    assert back.json()["disabled"] is False and back.json()["quota_bytes"] == MB
    assert api_login(server, "bob").get("/api/v1/me").status_code == 200


def test_an_upload_past_the_quota_is_507_and_leaves_nothing(
    world: tuple[LiveServer, httpx.Client, httpx.Client],
) -> None:
    server, alice, bob = world
    kept = noise_jpeg()
    assert upload_bytes(bob, "kept.jpg", kept).status_code == 201
    # 1 MB of quota, all but a few bytes too few for a photo of 2 MB.
    assert alice.patch("/api/v1/admin/users/bob", json={"quota_mb": 1}).status_code == 200
    big = noise_jpeg(1500, 1500)
    assert len(big) > MB
    browser = server.client()
    assert form_post(browser, "/login", {"login": "bob", "password": PASSWORD}).status_code == 303
    csrf(browser)
    before = snapshot(server)
    blobs, temps = server.blobs(), server.temp_files()
    refused = upload_bytes(bob, "big.jpg", big)
    assert refused.status_code == 507, refused.text
    message = (
        f"This photo needs {size_text(len(big))} but only {size_text(MB - len(kept))}"
        " of your 1 MB is left."
    )
    assert refused.json()["detail"].startswith(message)
    assert refused.json()["results"][0]["status"] == 507
    assert refused.json()["results"][0]["outcome"] == "refused"
    assert server.blobs() == blobs and server.temp_files() == temps == []
    assert not before.diff(snapshot(server))

    # The upload form says the same, and does not offer a retry that cannot work.
    page = browser.post("/upload", data={"_csrf_token": csrf(browser)}, files=[big_file(big)])
    assert page.status_code == 507
    parsed = parse(page.text)
    assert message in parsed.text
    (line,) = [li for li in parsed.find_all("li") if li.get("data-outcome")]
    assert line["class"] == "refused" and line.get("data-retryable") is None
    assert not before.diff(snapshot(server))

    # The same bytes again are a duplicate: they cost nothing, so a full quota does not matter.
    again = upload_bytes(bob, "again.jpg", kept)
    assert again.status_code == 200 and again.json()["items"][0]["duplicate"] is True


def big_file(data: bytes) -> tuple[str, tuple[str, bytes, str]]:
    return ("file", ("big.jpg", data, "image/jpeg"))


def test_new_accounts_get_the_default_quota(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", default_quota_mb=20)
    with live_server(settings) as server:
        sign_up(server, "alice")
        assert api_login(server, "alice").get("/api/v1/me").json()["quota_bytes"] == 20 * MB


def test_the_admin_page_shows_usage_and_sets_quotas(
    world: tuple[LiveServer, httpx.Client, httpx.Client],
) -> None:
    server, _alice, bob = world
    data = noise_jpeg()
    upload_bytes(bob, "p.jpg", data)
    admin = server.client()
    assert form_post(admin, "/login", {"login": "alice", "password": PASSWORD}).status_code == 303
    page = parse(admin.get("/admin").text)
    assert f"{size_text(len(data))} · 1 photo" in page.text
    bob_id = str(bob.get("/api/v1/me").json()["user"]["id"])
    (field,) = page.find_all("input", id=f"quota-{bob_id}")
    assert field["value"] == "" and field["name"] == "quota_mb"

    set_it = form_post(admin, "/admin/quotas/bob", {"quota_mb": "100"})
    assert set_it.status_code == 303 and set_it.headers["location"] == "/admin"
    page = parse(admin.get("/admin").text)
    assert page.find_all("input", id=f"quota-{bob_id}")[0]["value"] == "100"
    assert f"{size_text(len(data))} of 100 MB · 1 photo" in page.text

    before = snapshot(server)
    for sent, why in (
        ("-5", "cannot be negative"),
        ("ten", "is not a whole number of MB"),
        ("<b>1</b>", "is not a whole number of MB"),
        ("1.5", "is not a whole number of MB"),
    ):
        refused = form_post(admin, "/admin/quotas/bob", {"quota_mb": sent})
        assert refused.status_code == 422, (sent, refused.status_code)
        assert "<b>" not in refused.text
        shown = parse(refused.text)
        (field,) = shown.find_all("input", id=f"quota-{bob_id}")
        assert field["aria-invalid"] == "true" and field["value"] == sent
        (error,) = shown.find_all("p", id=f"quota-error-{bob_id}")
        assert error["role"] == "alert" and why in shown.text
    assert form_post(admin, "/admin/quotas/nobody", {"quota_mb": "1"}).status_code == 404
    assert not before.diff(snapshot(server))

    assert form_post(admin, "/admin/quotas/bob", {"quota_mb": ""}).status_code == 303
    assert bob.get("/api/v1/me").json()["quota_bytes"] is None


def test_settings_shows_the_space_used_in_words_and_as_a_meter(
    world: tuple[LiveServer, httpx.Client, httpx.Client],
) -> None:
    server, alice, _bob = world
    browser = server.client()
    assert form_post(browser, "/login", {"login": "bob", "password": PASSWORD}).status_code == 303
    page = parse(browser.get("/settings").text)
    assert "0 bytes used, no limit · 0 photos" in page.text
    assert page.find_all("meter") == []
    data = noise_jpeg()
    upload_bytes(browser, "p.jpg", data)
    alice.patch("/api/v1/admin/users/bob", json={"quota_mb": 5})
    page = parse(browser.get("/settings").text)
    assert f"{size_text(len(data))} of 5 MB used · 1 photo" in page.text
    (meter,) = page.find_all("meter", id="usage-meter")
    assert meter["max"] == str(5 * MB) and meter["value"] == str(len(data))
    assert meter["aria-describedby"] == "usage-text"
    assert page.find_all("label", **{"for": "usage-meter"})
