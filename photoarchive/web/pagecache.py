"""Whole answers of the pages people reload most, kept until the database changes.

Rendering the feed costs fifty times what the framework costs for a request, and most reloads
find nothing changed. A handler opts in with `opt=CACHED`; its 200 answers are kept and replayed,
byte for byte, to the same request while the data they came from is unchanged:

* the key is the path, the query and every request header the answer could depend on, the
  session cookie or Bearer token among them: one person's page is never another's, and a hit
  needs the very credentials that produced it;
* SQLite's `data_version` changes with every commit, from this process or another (an import, a
  `photoarchive users` command), so any write at all (a like, a sign-out, a disabled account)
  ends every entry before the next request is answered;
* an answer that sets a cookie is never kept (the CSRF token of a first visit is its own), and
  entries last at most TTL seconds, and never past the moment the session they were made for
  ends by time alone (which needs no write, so `data_version` cannot tell);
* the entries share a byte budget (`PHOTOARCHIVE_PAGE_CACHE_MB`, 0 turns this off), least
  recently used first out.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from photoarchive import clock
from photoarchive.web.viewer import SESSION_ENDS

CACHED = {"page_cache": True}  # route handler `opt` of the pages and API reads that opt in
TTL = 30.0
# Headers that vary between two loads of the same page without changing what it shows.
IGNORED_HEADERS = frozenset(
    {
        b"referer",
        b"hx-current-url",
        b"cache-control",
        b"pragma",
        b"if-none-match",
        b"if-modified-since",
    }
)


@dataclass
class _Entry:
    version: int
    until: float  # replayed up to this moment (clock.now()), no later
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 200


class PageCache:
    """The entries and their byte budget; `version` reads the database's data_version."""

    def __init__(self, version: Callable[[], int | None], budget: int) -> None:
        self.version = version
        self.budget = budget
        self.entry_limit = budget // 8  # no single page may take most of the budget
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._bytes = 0
        self._seen_version: int | None = None

    def get(self, key: bytes, version: int) -> _Entry | None:
        if version != self._seen_version:
            self.clear()  # everything was rendered from older data
            self._seen_version = version
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        if clock.now() > entry.until:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: bytes, entry: _Entry) -> None:
        if (
            entry.version != self._seen_version
            or entry.size > self.entry_limit
            or entry.until <= clock.now()  # its session ended while it was being made
        ):
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self._bytes += entry.size
        while self._bytes > self.budget:
            self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def _drop(self, key: bytes) -> None:
        self._bytes -= self._entries.pop(key).size


def replay_until(scope: Scope) -> float:
    """Until when the answer just given to this request may be given again: TTL from now, and
    not past the end of the session it was made for."""
    until = clock.now() + TTL
    ends = scope.get("state", {}).get(SESSION_ENDS)
    return until if ends is None else min(until, ends)


def request_key(scope: Scope) -> bytes:
    """What the answer can depend on, hashed: method, path, query and the request's headers."""
    digest = hashlib.blake2b(digest_size=20)
    for part in (scope["method"].encode(), scope["path"].encode(), scope["query_string"]):
        digest.update(len(part).to_bytes(4, "big") + part)
    for name, value in sorted(scope["headers"]):
        if name not in IGNORED_HEADERS:
            digest.update(len(name).to_bytes(4, "big") + name)
            digest.update(len(value).to_bytes(4, "big") + value)
    return digest.digest()


class PageCacheMiddleware:
    """Answers opted-in GET requests from the cache, and fills it. Sits outside the CSRF guard,
    so the cookie that guard sets on a first visit is seen, and that answer is not kept."""

    def __init__(self, app: ASGIApp, cache: PageCache) -> None:
        self.app = app
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or self.cache.budget <= 0
            or handler is None
            or not handler.opt.get("page_cache")
        ):
            await self.app(scope, receive, send)
            return
        version = self.cache.version()
        if version is None:
            await self.app(scope, receive, send)
            return
        key = request_key(scope)
        entry = self.cache.get(key, version)
        if entry is not None:
            await send(
                {"type": "http.response.start", "status": entry.status, "headers": entry.headers}
            )
            await send({"type": "http.response.body", "body": entry.body})
            return
        await self.app(scope, receive, _Recorder(send, self.cache, key, version, scope))


class _Recorder:
    """Passes an answer on unchanged, keeping a copy when it is a cookie-less 200."""

    def __init__(
        self, send: Send, cache: PageCache, key: bytes, version: int, scope: Scope
    ) -> None:
        self.send = send
        self.cache = cache
        self.key = key
        self.version = version
        self.scope = scope
        self.keep = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.size = 0

    async def __call__(self, message: Message) -> None:
        await self.send(message)
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", ()))
            self.keep = self.status == 200 and not any(
                name.lower() == b"set-cookie" for name, _ in self.headers
            )
        elif kind == "http.response.body" and self.keep:
            body: Any = message.get("body", b"")
            self.chunks.append(bytes(body))
            self.size += len(body)
            if self.size > self.cache.entry_limit:
                self.keep = False
                self.chunks.clear()
            elif not message.get("more_body", False):
                self.cache.put(
                    self.key,
                    _Entry(
                        self.version,
                        replay_until(self.scope),
                        self.status,
                        self.headers,
                        b"".join(self.chunks),
                    ),
                )
