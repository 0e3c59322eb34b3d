"""Live events between instances: a Litestar channels backend over PostgreSQL's LISTEN/NOTIFY.

With PostgreSQL, several instances may serve one archive, and a browser's event stream is held
by one of them while the like it should hear about may be made through another. So every
instance sends its events through the database (db/pg_notices.py) and hears everyone's, its own
included, on one connection it keeps listening; the channels plugin hands them on to the
streams as the in-memory backend would. Each stream still decides what its viewer may see
(web/events.py): nothing here knows who is listening.

Litestar's own psycopg backend opens a connection for each event sent and stops for good when
its listening connection breaks; an archive must go on through a database restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterable

from litestar.channels.backends.base import ChannelsBackend

from photoarchive.db.pg_notices import Notices

# The PostgreSQL channel every instance of an archive sends on and listens to.
PG_CHANNEL = "photoarchive_events"
# How long start-up waits for the listening connection: events are heard from then on. The
# database's own start-up check says why if it cannot be reached.
LISTEN_TIMEOUT = 10.0


class PostgresChannelsBackend(ChannelsBackend):
    def __init__(self, notices: Notices) -> None:
        self._notices = notices
        self._subscribed: set[str] = set()
        self._heard: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._listener: asyncio.Task[None] | None = None
        self._sending = asyncio.Lock()

    async def on_startup(self) -> None:
        self._heard = asyncio.Queue()
        listening = asyncio.Event()
        self._listener = asyncio.create_task(
            self._listen(listening), name="live events from PostgreSQL"
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(listening.wait(), LISTEN_TIMEOUT)

    async def on_shutdown(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await self._notices.close()

    async def _listen(self, listening: asyncio.Event) -> None:
        async for raw in self._notices.listen(PG_CHANNEL, listening):
            channel, _, data = raw.partition("\n")
            self._heard.put_nowait((channel, data.encode()))

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        # The plugin sends one event at a time; never raises (it would stop the plugin's sender).
        async with self._sending:
            for channel in channels:
                await self._notices.send(PG_CHANNEL, f"{channel}\n{data.decode()}")

    async def subscribe(self, channels: Iterable[str]) -> None:
        self._subscribed.update(channels)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        self._subscribed.difference_update(channels)

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        while True:
            channel, data = await self._heard.get()
            if channel in self._subscribed:
                yield channel, data

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        return []  # an event stream begins with what happens after it connects
