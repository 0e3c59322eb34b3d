"""Live updates longer than one PostgreSQL notice (8000 bytes) go in parts and are heard whole,
once; one too long even for that is logged and dropped, and a stray part is ignored."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from photoarchive.db.pg_notices import MAX_PARTS, NOTICE_BYTES, PART_MARK, Notices, parts
from tests.support import (
    PHOTOS,
    LiveServer,
    csrf,
    form_post,
    live_server,
    make_settings,
    run_sql,
    sign_up,
    upload,
)
from tests.test_events import Stream, listen

HEAR_WITHIN = 20.0  # seconds: bounds a failure, never what passing takes
MEMBERS = 1_200


def test_a_long_message_is_cut_between_characters_into_notices_that_fit() -> None:
    payload = "archive\n" + "é𝄞a" * 5_000  # multi-byte characters across every cut
    notices = parts(payload, "m.1")
    assert len(notices) > 1
    assert all(len(notice.encode()) <= NOTICE_BYTES for notice in notices)
    assert all(notice.startswith(PART_MARK) for notice in notices)
    assert "".join(notice.partition("\n")[2] for notice in notices) == payload
    assert parts("archive\nshort", "m.2") == ["archive\nshort"]  # one notice, as it was


def test_long_messages_are_heard_whole_once_and_in_order(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> list[str]:
        sender, receiver = Notices(postgres_url), Notices(postgres_url)
        heard: asyncio.Queue[str] = asyncio.Queue()
        listening = asyncio.Event()

        async def hear() -> None:
            async for payload in receiver.listen("notices_test", listening):
                heard.put_nowait(payload)

        listener = asyncio.create_task(hear())
        try:
            await asyncio.wait_for(listening.wait(), HEAR_WITHIN)
            long = "ü" * 30_000
            too_long = "x" * (MAX_PARTS * NOTICE_BYTES)
            assert await sender.send("notices_test", "first")
            assert await sender.send("notices_test", long)
            assert not await sender.send("notices_test", too_long)  # logged, not sent
            # Someone else's notice that looks like a part, with no beginning: ignored.
            async with await psycopg.AsyncConnection.connect(postgres_url) as other:
                await other.execute(
                    "SELECT pg_notify('notices_test', %s)", (f"{PART_MARK}x.1 1 3\nstray",)
                )
                await other.commit()
            assert await sender.send("notices_test", long + "!")
            assert await sender.send("notices_test", "last")
            got = []
            while not got or got[-1] != "last":
                got.append(await asyncio.wait_for(heard.get(), HEAR_WITHIN))
            return got
        finally:
            listener.cancel()
            await sender.close()

    with caplog.at_level(logging.WARNING, logger="photoarchive"):
        got = asyncio.run(scenario())
    assert got == ["first", "ü" * 30_000, "ü" * 30_000 + "!", "last"]
    logged = caplog.text
    assert "too long to send" in logged
    assert "came without the ones before it" in logged


def _next_like(stream: Stream) -> dict[str, object]:
    """The next like the stream hears, failing once HEAR_WITHIN has passed (keep-alives wake
    the stream meanwhile, so the wait is bounded)."""
    deadline = time.monotonic() + HEAR_WITHIN
    while time.monotonic() < deadline:
        block = stream.next_event()
        if block.get("event") == "like":
            return dict(json.loads(block["data"]))
    raise AssertionError("the like never arrived")


@pytest.fixture
def archive(postgres_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    settings = make_settings(
        tmp_path / "data", database_url=postgres_url, event_keepalive_seconds=0.5
    )
    with live_server(settings) as live:
        yield live


def test_a_like_on_a_photo_of_a_large_album_reaches_its_members(archive: LiveServer) -> None:
    owner, member, outsider = (sign_up(archive, name) for name in ("alice", "bob", "carol"))
    photo = upload(owner, sorted((PHOTOS / "cameras").glob("*.jpg"))[0]).json()["items"][0]
    token = {"x-csrftoken": csrf(owner)}
    private = owner.patch(
        f"/api/v1/photos/{photo['id']}", json={"visibility": "private"}, headers=token
    )
    assert private.status_code == 200, private.text
    album = owner.post("/api/v1/albums", json={"title": "Everyone"}, headers=token).json()
    url = f"/api/v1/albums/{album['id']}"
    assert owner.post(f"{url}/photos", json={"photo_ids": [photo["id"]]}, headers=token).is_success
    assert owner.put(f"{url}/members/bob", json={"role": "viewer"}, headers=token).is_success
    # The rest of the family, written directly: signing 1,200 people up would take minutes.
    first = 1_000_000
    run_sql(
        archive.settings,
        "INSERT INTO users (id, username, username_key, email, email_key, created_at)"
        " SELECT n, 'm' || n, 'm' || n, 'm' || n || '@example.org', 'm' || n || '@example.org',"
        " '2026-01-01T00:00:00Z' FROM generate_series(?::bigint, ?::bigint) AS n",
        (first, first + MEMBERS - 3),
    )
    run_sql(
        archive.settings,
        "INSERT INTO album_members (album_id, user_id, role, added_at)"
        " SELECT ?, id, 'viewer', '2026-01-01T00:00:00Z' FROM users WHERE id >= ?",
        (album["id"], first),
    )
    (count,) = run_sql(
        archive.settings, "SELECT COUNT(*) FROM album_members WHERE album_id = ?", (album["id"],)
    )[0]
    assert count == MEMBERS
    # The event names every member: more than one notice holds.
    assert len(",".join(str(first + n) for n in range(MEMBERS))) > NOTICE_BYTES

    with listen(member) as heard, listen(outsider) as not_heard:
        liked = form_post(owner, f"/photos/{photo['id']}/like", {"liked": "1"})
        assert liked.status_code == 303
        like = _next_like(heard)
        assert like["id"] == photo["id"] and like["like_count"] == 1
        # Once: what follows is the quiet stream's keep-alive, not the same like again.
        assert heard.next_event() == {"comment": "keepalive"}
        # The private photo's like is not for someone outside the album.
        for _ in range(2):
            assert not_heard.next_event() == {"comment": "keepalive"}
