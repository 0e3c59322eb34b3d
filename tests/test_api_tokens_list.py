"""GET /api/v1/tokens and DELETE /api/v1/tokens/{id}: a script lists and revokes its person's
own API tokens (never seeing a secret), and nobody else's, an administrator included."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import PASSWORD, LiveServer, archive_of, browser, csrf

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

DAY = 86400.0
TOKEN_KEYS = {"id", "name", "created_at", "last_used_at", "current"}


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("admin", "alice", "bob")) as server:
        yield server


def script(
    server: LiveServer, name: str, agent: str = "family-backup/2.1"
) -> tuple[httpx.Client, str]:
    """A client signed in through the API as `name` with `agent` as its User-Agent, and its token."""
    client = server.client(headers={"User-Agent": agent})
    signed = client.post("/api/v1/auth/login", json={"login": name, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    token = signed.json()["token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client, token


def signed_in_browser(server: LiveServer) -> httpx.Client:
    """Alice's browser: a session cookie, which is no API token."""
    return browser(server, "alice")


def signed_in(client: httpx.Client) -> bool:
    status = client.get("/api/v1/me").status_code
    assert status in (200, 401)
    return status == 200


def token_ids(client: httpx.Client) -> list[int]:
    listed = client.get("/api/v1/tokens")
    assert listed.status_code == 200, listed.text
    return [item["id"] for item in listed.json()["items"]]


def session_id_of(server: LiveServer, name: str, kind: str) -> int:
    with server.db() as conn:
        found: int = conn.execute(
            "SELECT MAX(s.id) FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE u.username = ? AND s.kind = ?",
            (name, kind),
        ).fetchone()[0]
    return found


def test_the_owner_lists_their_own_tokens_without_secrets(archive: LiveServer) -> None:
    backup, backup_token = script(archive, "alice")
    curl, curl_token = script(archive, "alice", "curl/8.5.0")
    _, bobs_token = script(archive, "bob")
    listed = backup.get("/api/v1/tokens")
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [set(item) for item in items] == [TOKEN_KEYS, TOKEN_KEYS]
    by_name = {item["name"]: item for item in items}
    assert set(by_name) == {"family-backup", "curl"}  # not bob's, nor alice's browser session
    assert by_name["family-backup"]["current"] is True
    assert by_name["curl"]["current"] is False
    assert by_name["family-backup"]["id"] == session_id_of(archive, "alice", "bearer") - 1
    for item in items:
        assert time.strptime(item["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        assert time.strptime(item["last_used_at"], "%Y-%m-%dT%H:%M:%SZ")
    for secret in (backup_token, curl_token, bobs_token):
        assert secret not in listed.text
    from_curl = {
        item["name"]: item["current"] for item in curl.get("/api/v1/tokens").json()["items"]
    }
    assert from_curl == {"family-backup": False, "curl": True}


def test_a_browser_lists_the_tokens_too_and_an_expired_one_is_gone(archive: LiveServer) -> None:
    page = signed_in_browser(archive)
    script(archive, "alice", "old-script/1")
    script(archive, "alice", "new-script/1")
    assert len(token_ids(page)) == 2
    with archive.db() as conn:  # the first token unused for longer than sessions last idle
        conn.execute(
            "UPDATE sessions SET last_seen_at = ? WHERE id = ?",
            (time.time() - 8 * DAY, session_id_of(archive, "alice", "bearer") - 1),
        )
    names = [item["name"] for item in page.get("/api/v1/tokens").json()["items"]]
    assert names == ["new-script"]


def test_the_owner_revokes_a_token_and_it_stops_working(archive: LiveServer) -> None:
    keeper, _ = script(archive, "alice")
    lost, _ = script(archive, "alice", "lost-laptop/1")
    lost_id = session_id_of(archive, "alice", "bearer")
    assert signed_in(lost)
    revoked = keeper.delete(f"/api/v1/tokens/{lost_id}")
    assert revoked.status_code == 204 and revoked.content == b""
    assert not signed_in(lost)
    assert signed_in(keeper)
    assert lost_id not in token_ids(keeper)
    again = keeper.delete(f"/api/v1/tokens/{lost_id}")
    assert again.status_code == 404
    assert again.json()["detail"] == "There is no such token of yours (or it has already ended)."
    # Its own token too: the script is then signed out.
    own_id = token_ids(keeper)[0]
    assert keeper.delete(f"/api/v1/tokens/{own_id}").status_code == 204
    assert not signed_in(keeper)


@pytest.mark.parametrize("who", ["bob", "admin"])
def test_another_member_or_an_admin_cannot_see_or_revoke_them(
    archive: LiveServer, who: str
) -> None:
    alice, _ = script(archive, "alice")
    alices_id = session_id_of(archive, "alice", "bearer")
    other, _ = script(archive, who)
    assert alices_id not in token_ids(other)
    refused = other.delete(f"/api/v1/tokens/{alices_id}")
    assert refused.status_code == 404
    assert refused.json()["detail"] == "There is no such token of yours (or it has already ended)."
    assert signed_in(alice)
    assert alices_id in token_ids(alice)


def test_a_browser_session_is_not_a_token(archive: LiveServer) -> None:
    page = signed_in_browser(archive)
    cookie_id = session_id_of(archive, "alice", "cookie")
    alice, _ = script(archive, "alice")
    assert cookie_id not in token_ids(alice)
    assert alice.delete(f"/api/v1/tokens/{cookie_id}").status_code == 404
    assert signed_in(page)


def test_a_guest_is_told_to_sign_in(archive: LiveServer) -> None:
    script(archive, "alice")
    alices_id = session_id_of(archive, "alice", "bearer")
    guest = archive.client()
    listed = guest.get("/api/v1/tokens")
    assert listed.status_code == 401
    assert guest.delete(f"/api/v1/tokens/{alices_id}").status_code == 401
    bad = archive.client(headers={"Authorization": "Bearer not-a-token"})
    assert bad.get("/api/v1/tokens").status_code == 401
    assert bad.delete(f"/api/v1/tokens/{alices_id}").status_code == 401
    assert alices_id in token_ids(script(archive, "alice")[0])


def test_a_browser_revokes_with_its_csrf_token_only(archive: LiveServer) -> None:
    page = signed_in_browser(archive)
    lost, _ = script(archive, "alice", "lost-laptop/1")
    lost_id = session_id_of(archive, "alice", "bearer")
    forged = page.delete(f"/api/v1/tokens/{lost_id}")
    assert forged.status_code == 403
    assert signed_in(lost)
    revoked = page.delete(f"/api/v1/tokens/{lost_id}", headers={"x-csrftoken": csrf(page)})
    assert revoked.status_code == 204
    assert not signed_in(lost)


def test_the_document_types_both_answers(archive: LiveServer) -> None:
    document = archive.client().get("/schema/openapi.json").json()
    listing = document["paths"]["/api/v1/tokens"]["get"]["responses"]
    ref = listing["200"]["content"]["application/json"]["schema"]["$ref"]
    schemas = document["components"]["schemas"]
    token_list = schemas[ref.rsplit("/", 1)[1]]
    item_ref = token_list["properties"]["items"]["items"]["$ref"]
    token = schemas[item_ref.rsplit("/", 1)[1]]
    assert set(token["properties"]) == TOKEN_KEYS
    assert set(token["required"]) == TOKEN_KEYS
    assert {"401"} <= set(listing)
    revoking = document["paths"]["/api/v1/tokens/{token_id}"]["delete"]["responses"]
    assert "content" not in revoking["204"]
    assert {"401", "403", "404"} <= set(revoking)
