"""Text holding U+0000 (NUL), which PostgreSQL's text cannot store: refused alike on both
engines with a 422 that says what to remove, never a 500, and nothing of it left behind."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from photoarchive.db import build_database
from photoarchive.errors import Invalid
from photoarchive.settings import Settings
from tests.support import PHOTOS, LiveServer, csrf, sign_up, uploaded

pytestmark = pytest.mark.usefixtures("engine")

NUL = "before\x00after"
CANON = PHOTOS / "cameras" / "Canon_40D.jpg"
FUJI = PHOTOS / "cameras" / "Fujifilm_FinePix_E500.jpg"


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["status"] == 422
    assert "U+0000" in body["detail"]


def test_text_with_a_nul_is_refused_on_every_engine_and_nothing_is_kept(
    server: LiveServer,
) -> None:
    owner = sign_up(server, "alice")
    photo_id = uploaded(owner, CANON)
    headers = {"x-csrftoken": csrf(owner)}

    _refused(owner.post(f"/api/v1/photos/{photo_id}/comments", json={"text": NUL}, headers=headers))
    _refused(owner.patch(f"/api/v1/photos/{photo_id}", json={"caption": NUL}, headers=headers))
    _refused(owner.post("/api/v1/albums", json={"title": NUL}, headers=headers))
    assert server.count("comments") == 0
    assert server.count("albums") == 0
    assert owner.get(f"/api/v1/photos/{photo_id}").json()["caption"] == ""

    blobs = server.blobs()
    sent = owner.post(
        "/api/v1/photos",
        files=[("file", (FUJI.name, FUJI.read_bytes(), "image/jpeg"))],
        data={"caption": NUL},
        headers=headers,
    )
    assert sent.status_code == 422, sent.text
    (error,) = sent.json()["errors"]
    assert error["status"] == 422 and "U+0000" in error["detail"]
    assert server.count("photos") == 1
    assert server.blobs() == blobs  # the refused photo's files went with it
    assert server.temp_files() == []

    # A sign-in with such a name is a plain wrong sign-in or the same refusal, never a 500.
    stranger = server.client()
    answer = stranger.post("/api/v1/auth/login", json={"login": NUL, "password": "whatever"})
    assert answer.status_code in (401, 422), answer.text


def test_the_seam_refuses_a_nul_in_any_written_text(settings: Settings) -> None:
    async def scenario() -> None:
        db = build_database(settings)
        await db.open()
        try:
            with pytest.raises(Invalid, match="U\\+0000"):
                async with db.transaction() as tx:
                    await tx.execute(
                        "INSERT INTO users (username, username_key, email, email_key,"
                        " display_name, password_hash, is_admin, disabled, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?)",
                        ("nul", "nul", "n@example.org", "n@example.org", NUL, "x", "2026"),
                    )
            assert await db.fetchval("SELECT COUNT(*) FROM users") == 0
            # Bytes may hold any value: only text is refused.
            user_id = await db.fetchval("SELECT 1")  # the engine still answers
            assert user_id == 1
            async with db.transaction() as tx:
                made = await tx.fetchval(
                    "INSERT INTO users (username, username_key, email, email_key,"
                    " display_name, password_hash, is_admin, disabled, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?) RETURNING id",
                    ("ok", "ok", "o@example.org", "o@example.org", "", "x", "2026"),
                )
                await tx.execute(
                    "INSERT INTO sessions (token_hash, user_id, kind, created_at, last_seen_at,"
                    " user_agent, client_ip) VALUES (?, ?, 'cookie', 0, 0, '', '')",
                    (b"\x00" * 32, made),
                )
            assert await db.fetchval("SELECT COUNT(*) FROM sessions") == 1
        finally:
            await db.close()

    asyncio.run(scenario())
