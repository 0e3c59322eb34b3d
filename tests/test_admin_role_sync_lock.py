"""A role the sign-in provider changes (Cognito with PHOTOARCHIVE_ADMINS: `users.set_admin`) is
written under the administrators' lock, like every administrator's act, so it lands between
two acts and never inside one that has already checked its actor. On PostgreSQL, where writers
do run at once, the change is seen waiting on that lock while an act holds it; SQLite's single
writer orders them by itself."""

from __future__ import annotations

import asyncio
from pathlib import Path

from photoarchive.accounts import admins, users
from photoarchive.db import PostgresDatabase
from tests.support import PASSWORD, make_settings, services

HANG = 60  # seconds before a stuck scenario fails instead of stalling the run


async def _advisory_waiters(db: PostgresDatabase) -> int:
    return int(
        await db.fetchval(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND wait_event = 'advisory' AND datname = current_database()"
        )
    )


def test_a_provider_s_role_change_waits_for_an_admin_act_in_progress(
    tmp_path: Path, postgres_url: str
) -> None:
    async def main() -> None:
        settings = make_settings(tmp_path / "data", database_url=postgres_url)
        async with services(settings) as svc:
            db = svc.db
            assert isinstance(db, PostgresDatabase)
            ann = await users.create(
                db, svc.passwords, username="ann", email="ann@example.org", password=PASSWORD
            )
            assert ann.is_admin
            async with db.transaction() as act:
                await admins.confirm(act, ann.id)  # an act by ann has checked her, and goes on
                demotion = asyncio.create_task(users.set_admin(db, ann.id, False))
                for _ in range(HANG * 100):
                    assert not demotion.done(), "the role changed inside an admin's act"
                    if await _advisory_waiters(db):
                        break
                    await asyncio.sleep(0.01)
                else:
                    raise AssertionError("the role change never waited on a lock")
                await act.execute("UPDATE users SET display_name = ? WHERE id = ?", ("Ann", ann.id))
            await asyncio.wait_for(demotion, HANG)
            row = await db.fetchone(
                "SELECT is_admin, display_name FROM users WHERE id = ?", (ann.id,)
            )
            assert row is not None and (row["is_admin"], row["display_name"]) == (0, "Ann")

    asyncio.run(main())
