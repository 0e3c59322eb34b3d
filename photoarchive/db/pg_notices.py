"""Messages between the instances that share one PostgreSQL: `NOTIFY` to send, `LISTEN` to hear.

Each instance keeps two connections of its own for this, outside the pools: one that listens
for as long as the instance runs, and one that sends. Either is opened again when it breaks
(the server restarted, say); what is sent while nobody can listen is lost, which suits what
goes through here: live updates, which a page load shows anyway.

PostgreSQL takes a notice of less than 8000 bytes. A longer message (an event about a photo in
an album of a thousand people carries their ids) goes as several notices, its parts, sent in
one transaction; a listener joins them and hears the whole message once. PostgreSQL delivers
one transaction's notices together and in order, after those of transactions that committed
before it, so a listener only ever joins one message at a time. A part begins with a mark no
whole message begins with, so an instance that does not join parts ignores them.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from photoarchive.db.pg_outage import CONNECT_TIMEOUT, PROBE_SECONDS, keepalive

log = logging.getLogger("photoarchive")

# PostgreSQL refuses a notification payload of 8000 bytes or more.
NOTICE_BYTES = 7999
# Room left in a part for its head: the mark, the message's id and the part's number.
PART_BYTES = NOTICE_BYTES - 64
# The most parts of one message (about 1 MB): what a live update could need many times over,
# and a bound on what a listener holds while it joins them. Longer: logged, and not sent.
MAX_PARTS = 128
PART_MARK = "\x1epart "  # a record separator: never the start of a channel's name


def parts(payload: str, message_id: str) -> list[str]:
    """`payload` as one notice, or as the notices of its parts: each within NOTICE_BYTES, cut
    between characters (a notice is text), `<mark><id> <number> <count>\n<text>`."""
    data = payload.encode()
    if len(data) <= NOTICE_BYTES:
        return [payload]
    pieces = []
    start = 0
    while start < len(data):
        end = min(start + PART_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # inside a UTF-8 sequence
            end -= 1
        pieces.append(data[start:end].decode())
        start = end
    return [
        f"{PART_MARK}{message_id} {number} {len(pieces)}\n{piece}"
        for number, piece in enumerate(pieces)
    ]


@dataclass
class _Joiner:
    """Joins the parts of one message as a listener hears them (see the module's text)."""

    message_id: str = ""
    pieces: list[str] = field(default_factory=list)

    def hear(self, notice: str) -> str | None:
        """The whole message once `notice` completes one; None while parts are missing."""
        if not notice.startswith(PART_MARK):
            self._drop()
            return notice
        head, _, piece = notice[len(PART_MARK) :].partition("\n")
        try:
            message_id, number, count = head.split(" ")
            numbers = int(number), int(count)
            if not 0 <= numbers[0] < numbers[1] <= MAX_PARTS:
                raise ValueError(head)
        except ValueError:
            log.warning("a notice marked as a part of a live update is none; ignored")
            self._drop()
            return None
        if message_id != self.message_id or numbers[0] != len(self.pieces):
            self._drop()
            if numbers[0] != 0:
                log.warning("a part of a live update came without the ones before it")
                return None
            self.message_id = message_id
        self.pieces.append(piece)
        if len(self.pieces) < numbers[1]:
            return None
        whole = "".join(self.pieces)
        self.message_id, self.pieces = "", []
        return whole

    def _drop(self) -> None:
        if self.pieces:
            log.warning("a live update in parts was not heard whole; dropped")
        self.message_id, self.pieces = "", []


class Notices:
    def __init__(self, url: str, shown_as: str = "PostgreSQL") -> None:
        self._url = url  # holds the password: never logged
        self._shown_as = shown_as
        self._sender: psycopg.AsyncConnection[Any] | None = None
        # Ids of messages sent in parts: unique to this sender, so to every listener.
        self._ids: Iterator[str] = (f"{secrets.token_hex(6)}.{n}" for n in itertools.count())

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(
            self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT, **keepalive(self._url)
        )

    async def send(self, channel: str, payload: str) -> bool:
        """Hand `payload` to every instance listening on `channel`; False if it could not be
        sent (too long, or the server is out of reach), which is logged, never raised."""
        notices = parts(payload, next(self._ids))
        if len(notices) > MAX_PARTS:
            log.warning("a live update of %d bytes was too long to send", len(payload.encode()))
            return False
        # A connection kept from before a restart fails once: then a new one is tried.
        for _attempt in range(2):
            fresh = self._sender is None or self._sender.closed
            try:
                if self._sender is None or self._sender.closed:
                    self._sender = await self._connect()
                async with self._sender.transaction():  # all parts, or none of them
                    for notice in notices:
                        await self._sender.execute("SELECT pg_notify(%s, %s)", (channel, notice))
                return True
            except psycopg.Error as exc:
                if self._sender is not None:
                    await self._sender.close()
                self._sender = None
                if fresh:
                    log.warning("a live update was not sent: %s", type(exc).__name__)
                    return False
        return False

    async def listen(
        self, channel: str, listening: asyncio.Event | None = None
    ) -> AsyncIterator[str]:
        """Every payload sent on `channel` from now on, by any instance, until cancelled; the
        connection is opened again whenever it breaks. `listening` is set once the first
        connection listens: from then on nothing sent is missed, outages aside."""
        deaf = False  # told once an outage, not at every attempt
        while True:
            try:
                async with await self._connect() as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    if deaf:
                        log.warning("hearing live updates again from %s", self._shown_as)
                    deaf = False
                    if listening is not None:
                        listening.set()
                    joiner = _Joiner()  # parts heard before a reconnection are lost
                    async for notice in conn.notifies():
                        whole = joiner.hear(notice.payload)
                        if whole is not None:
                            yield whole
            except psycopg.Error as exc:
                if not deaf:
                    log.warning(
                        "not hearing live updates from %s (%s); trying again",
                        self._shown_as,
                        type(exc).__name__,
                    )
                deaf = True
            await asyncio.sleep(PROBE_SECONDS)

    async def close(self) -> None:
        if self._sender is not None:
            await self._sender.close()
            self._sender = None
