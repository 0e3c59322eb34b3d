"""How fast one person may post comments (comments.PACE): far beyond anyone typing, so that a
script cannot bury a photo's page and its owner's notifications. On the domain functions,
both engines; the limits are made small here, and time passes by dating comments back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from photoarchive import clock
from photoarchive.errors import TooManyRequests
from photoarchive.library import comments
from photoarchive.services import Services
from tests.test_neighbours import person, photo_of, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def test_comments_beyond_the_pace_wait_and_others_are_not_held_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(comments, "PACE", ((3, 60, "minute"), (5, 3600, "hour")))

    async def body(svc: Services) -> None:
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        photo = await photo_of(svc, ann)
        for n in range(3):
            await comments.add(svc, bob, photo, f"nice {n}")
        with pytest.raises(TooManyRequests, match="3 comments in the last minute") as held:
            await comments.add(svc, bob, photo, "one more")
        assert 1 <= held.value.retry_after <= 60
        await comments.add(svc, ann, photo, "thanks")  # another person's pace is their own

        two_minutes_ago = clock.iso(clock.parse(clock.now_iso()) - 120)
        await svc.db.execute(
            "UPDATE comments SET created_at = ? WHERE author_id = ?", (two_minutes_ago, bob.id)
        )
        for n in range(2):
            await comments.add(svc, bob, photo, f"later {n}")
        with pytest.raises(TooManyRequests, match="5 comments in the last hour") as held:
            await comments.add(svc, bob, photo, "and more")
        assert 3000 < held.value.retry_after <= 3600 - 119
        count = await svc.db.fetchval(
            "SELECT COUNT(*) FROM comments WHERE author_id = ?", (bob.id,)
        )
        assert count == 5

    scenario(tmp_path, body)


def test_parallel_posts_cannot_pass_the_pace_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked before the insert's transaction, every one of a burst read the count before any
    of the others had written: all of them passed."""
    monkeypatch.setattr(comments, "PACE", ((3, 60, "minute"), (600, 3600, "hour")))

    async def body(svc: Services) -> None:
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        photo = await photo_of(svc, ann)
        results = await asyncio.gather(
            *(comments.add(svc, bob, photo, f"burst {n}") for n in range(8)),
            return_exceptions=True,
        )
        held = [r for r in results if isinstance(r, TooManyRequests)]
        assert len(held) == 5, results
        count = await svc.db.fetchval(
            "SELECT COUNT(*) FROM comments WHERE author_id = ?", (bob.id,)
        )
        assert count == 3

    scenario(tmp_path, body)


def test_a_clock_stepped_back_does_not_make_the_wait_longer_than_the_window(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(comments, "PACE", ((2, 60, "minute"), (600, 3600, "hour")))

    async def body(svc: Services) -> None:
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        photo = await photo_of(svc, ann)
        for n in range(2):
            await comments.add(svc, bob, photo, f"nice {n}")
        in_a_day = clock.iso(clock.parse(clock.now_iso()) + 86400)  # written before a step back
        await svc.db.execute(
            "UPDATE comments SET created_at = ? WHERE author_id = ?", (in_a_day, bob.id)
        )
        with pytest.raises(TooManyRequests) as held:
            await comments.add(svc, bob, photo, "one more")
        assert 1 <= held.value.retry_after <= 60

    scenario(tmp_path, body)
