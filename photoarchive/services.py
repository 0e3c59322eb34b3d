"""Everything a request needs, built once by `create_app` and handed to the domain functions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from photoarchive.auth.passwords import Passwords
from photoarchive.auth.provider import Accounts, LocalAccounts
from photoarchive.db import Database
from photoarchive.settings import Settings
from photoarchive.storage import BlobStore

Listener = Callable[[str, dict[str, Any]], Awaitable[None]]


@dataclass
class Services:
    settings: Settings
    db: Database
    store: BlobStore
    passwords: Passwords
    # Decoding is memory-hungry: at most this many images are decoded at once.
    image_slots: asyncio.Semaphore
    listeners: list[Listener] = field(default_factory=list)
    # Who keeps the accounts (this app, or an identity provider such as Cognito).
    accounts: Accounts = field(default_factory=LocalAccounts)

    async def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Tell live listeners (the event stream) that something changed."""
        for listener in self.listeners:
            await listener(kind, data)
