"""Thumbnails and previews answered again before the framework sees the request.

A feed screen asks for thirty renditions at once. The media handler costs a session lookup, a
photo lookup and a file read for each of them. That is about four times what the framework
costs for an empty answer, and about thirty times what nginx costs for the same file. Here a
rendition answer that has been given once is given again for as long as nothing changed:

* a *grant* remembers that this exact request (path, query, `Cookie` and `Authorization`
  headers) was answered with a rendition, and with which headers. It holds while SQLite's
  `data_version` is unchanged, so any write at all (a sign-out, a disabled account, a deleted
  photo) ends every grant before the next request; for at most `pagecache.TTL` seconds; and
  never past the moment the session it was made for ends by time alone (which needs no write);
* the *body* is kept once per stored file, whoever asked. Renditions are content-addressed and
  never change, so a body needs no invalidation, only room: bodies and grants share a byte
  budget (`PHOTOARCHIVE_MEDIA_CACHE_MB`, 0 turns this off), least recently used first out;
* only plain GETs of renditions come here: originals (location blanking, Range, downloads),
  conditional and Range requests, requests with more than one `Cookie` or `Authorization`
  header (the handler reads the first; a key must hold exactly what it read), and every answer
  but a cookie-less 200 take the usual road.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar.types import Message, Scope, Send

from photoarchive import clock
from photoarchive.web.pagecache import replay_until

# Set by the media handler in the request's scope state: the storage key of the rendition it
# answered with. Only such answers are kept.
BLOB_STATE = "rendition_blob"
_PASS_HEADERS = frozenset({b"range", b"if-range", b"if-none-match", b"if-modified-since"})
Key = tuple[str, bytes, bytes, bytes]


@dataclass(slots=True)
class _Grant:
    version: int
    until: float  # answered up to this moment (clock.now()), no later
    headers: list[tuple[bytes, bytes]]
    blob: str
    size: int


class MediaCache:
    """Grants and bodies under one byte budget; `version` reads the database's data_version."""

    def __init__(self, version: Callable[[], int | None], budget: int) -> None:
        self.version = version
        self.budget = budget
        self.entry_limit = budget // 8
        self._grants: OrderedDict[Key, _Grant] = OrderedDict()
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._granted: dict[str, set[Key]] = {}  # the grants that point at each body
        self._bytes = 0
        self._seen_version: int | None = None

    @staticmethod
    def request_key(scope: Scope) -> Key | None:
        """The key of a request this cache may answer, or None for one it must not."""
        if scope["method"] != "GET":
            return None
        path: str = scope["path"]
        if not path.startswith("/media/") or path.endswith("/original"):
            return None
        cookie = authorization = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                if cookie is not None:
                    return None  # two of them: the key must be what the handler read, exactly
                cookie = value
            elif name == b"authorization":
                if authorization is not None:
                    return None
                authorization = value
            elif name in _PASS_HEADERS:
                return None
        return path, scope["query_string"], cookie or b"", authorization or b""

    def answer(self, key: Key, version: int) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """The headers and body granted to `key` at `version` (the data_version just read)."""
        if version != self._seen_version:
            self._drop_grants()  # all of them were decided on older data
            self._seen_version = version
            return None
        grant = self._grants.get(key)
        if grant is None:
            return None
        body = self._bodies.get(grant.blob)
        if body is None or clock.now() > grant.until:
            self._drop_grant(key)
            return None
        self._grants.move_to_end(key)
        self._bodies.move_to_end(grant.blob)
        return grant.headers, body

    def keep(
        self,
        key: Key,
        version: int,
        until: float,
        headers: list[tuple[bytes, bytes]],
        blob: str,
        body: bytes,
    ) -> None:
        if (
            version != self._seen_version
            or len(body) > self.entry_limit
            or until <= clock.now()  # its session ended while it was being made
        ):
            return
        if key in self._grants:
            self._drop_grant(key)
        if blob in self._bodies:
            self._bodies.move_to_end(blob)
        else:
            self._bodies[blob] = body
            self._bytes += len(body)
        size = len(key[0]) + len(key[1]) + len(key[2]) + len(key[3])
        size += sum(len(name) + len(value) for name, value in headers) + 200
        self._grants[key] = _Grant(version, until, headers, blob, size)
        self._granted.setdefault(blob, set()).add(key)
        self._bytes += size
        while self._bytes > self.budget:
            self._evict()

    def _evict(self) -> None:
        # The least recently used body goes, and every grant that points at it with it.
        if self._bodies:
            blob, body = self._bodies.popitem(last=False)
            self._bytes -= len(body)
            for key in self._granted.pop(blob, ()):
                self._bytes -= self._grants.pop(key).size
        elif self._grants:
            self._drop_grant(next(iter(self._grants)))

    def _drop_grant(self, key: Key) -> None:
        grant = self._grants.pop(key)
        self._bytes -= grant.size
        self._granted.get(grant.blob, set()).discard(key)

    def _drop_grants(self) -> None:
        for grant in self._grants.values():
            self._bytes -= grant.size
        self._grants.clear()
        self._granted.clear()


class MediaFastPath:
    """The front door of the application: answers granted renditions itself, and records the
    rendition answers the application gives so that the next one can be."""

    def __init__(self, cache: MediaCache) -> None:
        self.cache = cache

    async def try_answer(self, scope: Scope, send: Send) -> tuple[bool, Send]:
        """(True, send) when the request has been answered; otherwise (False, the send to give
        the application, which may record its answer)."""
        if self.cache.budget <= 0:
            return False, send
        key = self.cache.request_key(scope)
        if key is None:
            return False, send
        version = self.cache.version()  # read once: it decides the answer and tags the recording
        if version is None:
            return False, send
        hit = self.cache.answer(key, version)
        if hit is not None:
            headers, body = hit
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return True, send
        return False, _Recorder(send, self.cache, key, version, scope)


class _Recorder:
    def __init__(self, send: Send, cache: MediaCache, key: Key, version: int, scope: Scope) -> None:
        self.send = send
        self.cache = cache
        self.key = key
        self.version = version
        self.scope = scope
        self.headers: list[tuple[bytes, bytes]] | None = None

    async def __call__(self, message: Message) -> None:
        await self.send(message)
        kind = message["type"]
        if kind == "http.response.start":
            headers = list(message.get("headers", ()))
            if message["status"] == 200 and not any(
                name.lower() == b"set-cookie" for name, _ in headers
            ):
                self.headers = headers
        elif kind == "http.response.body" and self.headers is not None:
            body: Any = message.get("body", b"")
            blob = self.scope.get("state", {}).get(BLOB_STATE)
            if blob and not message.get("more_body", False) and isinstance(body, bytes):
                self.cache.keep(
                    self.key, self.version, replay_until(self.scope), self.headers, blob, body
                )
            self.headers = None
