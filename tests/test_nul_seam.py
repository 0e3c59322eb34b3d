"""Text holding U+0000 (NUL), which PostgreSQL's text cannot store, refused alike by both
engines' doors (a 422 that says what to remove), whatever path it came by: the request readers
refuse it first (tests/test_nul_text.py), and the database seam refuses what gets past them."""

from __future__ import annotations

import asyncio

import pytest

from photoarchive.db import build_database
from photoarchive.errors import Invalid
from photoarchive.settings import Settings
from tests.support import PHOTOS

pytestmark = pytest.mark.usefixtures("engine")

NUL = "before\x00after"
CANON = PHOTOS / "cameras" / "Canon_40D.jpg"
FUJI = PHOTOS / "cameras" / "Fujifilm_FinePix_E500.jpg"


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
