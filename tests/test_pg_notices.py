"""Live updates longer than one PostgreSQL notice (8000 bytes) go in parts and are heard whole,
once; one too long even for that is logged and dropped, and a stray part is ignored. A like on
a photo of an album of 1,200 people, heard across instances: test_multi_instance."""

from __future__ import annotations

import asyncio
import logging

import psycopg
import pytest

from photoarchive.db.pg_notices import MAX_PARTS, NOTICE_BYTES, PART_MARK, Notices, parts

HEAR_WITHIN = 20.0  # seconds: bounds a failure, never what passing takes


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
