"""Messages between the instances that share one PostgreSQL: `NOTIFY` to send, `LISTEN` to hear.

Each instance keeps two connections of its own for this, outside the pools: one that listens
for as long as the instance runs, and one that sends. Either is opened again when it breaks
(the server restarted, say); what is sent while nobody can listen is lost, which suits what
goes through here: live updates, which a page load shows anyway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from psycopg import sql

from photoarchive.db.pg_outage import CONNECT_TIMEOUT, PROBE_SECONDS

log = logging.getLogger("photoarchive")

# PostgreSQL refuses a notification payload of 8000 bytes or more.
MAX_PAYLOAD = 7999


class Notices:
    def __init__(self, url: str, shown_as: str = "PostgreSQL") -> None:
        self._url = url  # holds the password: never logged
        self._shown_as = shown_as
        self._sender: psycopg.AsyncConnection[Any] | None = None

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(
            self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
        )

    async def send(self, channel: str, payload: str) -> bool:
        """Hand `payload` to every instance listening on `channel`; False if it could not be
        sent (too long, or the server is out of reach), which is logged, never raised."""
        if len(payload.encode()) > MAX_PAYLOAD:
            log.warning("a live update of %d bytes was too long to send", len(payload))
            return False
        # A connection kept from before a restart fails once: then a new one is tried.
        for _attempt in range(2):
            fresh = self._sender is None or self._sender.closed
            try:
                if self._sender is None or self._sender.closed:
                    self._sender = await self._connect()
                await self._sender.execute("SELECT pg_notify(%s, %s)", (channel, payload))
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
                    async for notice in conn.notifies():
                        yield notice.payload
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
