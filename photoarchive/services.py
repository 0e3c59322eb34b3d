"""Everything a request needs, built once by `create_app` and handed to the domain functions."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from photoarchive.accounts.mail import Mailer
from photoarchive.accounts.passwords import Passwords
from photoarchive.accounts.provider import Accounts, LocalAccounts
from photoarchive.db import AppDatabase
from photoarchive.settings import Settings
from photoarchive.storage import BlobStore

Listener = Callable[[str, dict[str, Any]], Awaitable[None]]


class DecodeSlots:
    """At most `size` images decoded at once, shared fairly between the people uploading.

    A free slot goes to the waiting person who holds the fewest slots (the first to come among
    equals): nobody's many uploads hold all slots while another person waits for more than the
    decode already under way. Slots left idle are used by whoever has work."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._held: Counter[Hashable] = Counter()
        self._waiting: list[tuple[Hashable, asyncio.Future[None]]] = []

    @asynccontextmanager
    async def held_by(self, owner: Hashable) -> AsyncIterator[None]:
        await self._acquire(owner)
        try:
            yield
        finally:
            self._release(owner)

    async def __aenter__(self) -> None:
        """One slot for nobody in particular (callers who decode for a single person)."""
        await self._acquire(None)

    async def __aexit__(self, *exc_info: object) -> None:
        self._release(None)

    async def _acquire(self, owner: Hashable) -> None:
        if not self._waiting and self._free():
            self._held[owner] += 1
            return
        granted = asyncio.get_running_loop().create_future()
        self._waiting.append((owner, granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release(owner)  # granted as it was cancelled: pass the slot on
            else:
                self._waiting.remove((owner, granted))
            raise

    def _release(self, owner: Hashable) -> None:
        self._held[owner] -= 1
        if not self._held[owner]:
            del self._held[owner]
        self._grant()

    def _free(self) -> int:
        return self.size - self._held.total()

    def _grant(self) -> None:
        while self._waiting and self._free():
            fewest = min(range(len(self._waiting)), key=lambda i: self._held[self._waiting[i][0]])
            owner, granted = self._waiting.pop(fewest)
            self._held[owner] += 1
            granted.set_result(None)


@dataclass
class Services:
    settings: Settings
    db: AppDatabase
    store: BlobStore
    passwords: Passwords
    # Decoding is memory-hungry: at most this many images are decoded at once.
    image_slots: DecodeSlots
    listeners: list[Listener] = field(default_factory=list)
    # Who keeps the accounts (this app, or an identity provider such as Cognito).
    accounts: Accounts = field(default_factory=LocalAccounts)
    # Reset links and invites by mail; sends nothing unless PHOTOARCHIVE_SMTP_URL is set.
    mail: Mailer = field(default_factory=Mailer)

    async def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Tell live listeners (the event stream) that something changed."""
        for listener in self.listeners:
            await listener(kind, data)
