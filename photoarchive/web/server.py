"""The HTTP server around the app: uvicorn's httptools protocol, with bounds on request heads,
and a start-up that fails for a reason the operator can act on said as that reason.

uvicorn bounds neither the size of a request's head (its request line and headers) nor the
time a client may take to send it: one 128 MB header took 36 s of the event loop, and a client
trickling a byte every 10 s kept its connection for as long as it liked. The protocol below
refuses a head over `MAX_HEAD_BYTES` or `MAX_HEADERS` with 431, and one not complete within
the settings' head timeout with 408, before the app sees anything. Bodies are the app's
business (it bounds them per route, after deciding who is asking).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from photoarchive.settings import Settings

# Browsers send 1-8 KiB; a long cookie jar stays far below this.
MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a head that is over the bounds."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """httptools, refusing oversized heads (431) and heads that take too long (408)."""

    head_timeout: float = 20.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_open = True
        self._head_bytes = 0  # received since the head began (the part not yet parsed too)
        self._header_bytes = 0  # of the headers parsed so far
        self._header_count = 0
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._begin_head()
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_open:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._head_open and self._head_bytes > MAX_HEAD_BYTES:
            self._refuse(431, "Request Header Fields Too Large")

    def send_400_response(self, msg: str) -> None:
        # The parser reports a callback's exception as a malformed request: say what it was.
        if self._head_open and self._head_too_large():
            self._refuse(431, "Request Header Fields Too Large")
        else:
            super().send_400_response(msg)

    def _head_too_large(self) -> bool:
        return (
            self._head_bytes > MAX_HEAD_BYTES
            or self._header_bytes > MAX_HEAD_BYTES
            or self._header_count > MAX_HEADERS
        )

    def on_url(self, url: bytes) -> None:
        self._header_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > MAX_HEAD_BYTES or self._header_count > MAX_HEADERS:
            raise _HeadTooLarge  # the parser stops, and reports it to send_400_response
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_open = False
        self._stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._begin_head()  # whatever follows this request's body is the next request's head

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The clock for the next head runs once this request is answered and read in full (an
        # answer sent before its body was read, a 413, leaves the body still to come).
        if self._head_open and not self.transport.is_closing():
            self._arm_head_timer()

    def _begin_head(self) -> None:
        self._head_open = True
        self._head_bytes = 0
        self._header_bytes = 0
        self._header_count = 0

    def _arm_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        answering = self.cycle is not None and not self.cycle.response_complete
        if self._head_open and not answering and not self.transport.is_closing():
            if self._head_bytes:
                self._refuse(408, "Request Timeout")
            else:
                self.transport.close()  # an idle connection: nothing to answer

    def _refuse(self, status: int, reason: str) -> None:
        if self.transport.is_closing():
            return
        self._head_open = False
        self._stop_head_timer()
        body = f"{reason}\n".encode()
        self.transport.write(
            f"HTTP/1.1 {status} {reason}\r\n".encode()
            + b"content-type: text/plain; charset=utf-8\r\n"
            + f"content-length: {len(body)}\r\n".encode()
            + b"connection: close\r\n\r\n"
            + body
        )
        self.transport.close()
        self.parser = httptools.HttpRequestParser(self)  # drop what it buffered of the head


# Paths and query fields that carry a secret: whoever holds one may open a share link, set a
# password or join the archive. The access log (`serve --access-log`) writes them without it.
_SECRETS = re.compile(r"(?P<keep>/s/|/api/v1/s/|/password-reset/|[?&](?:invite|token)=)[^/?&#\s]+")
HIDDEN = "(hidden)"


def without_secrets(path: str) -> str:
    return _SECRETS.sub(lambda match: match["keep"] + HIDDEN, path)


class SecretsOutOfAccessLog(logging.Filter):
    """Rewrites the path of uvicorn's access log records (client, method, path, version,
    status) so that no token reaches a log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], without_secrets(args[2]), *args[3:])
        return True


class CannotStart(Exception):
    """The app cannot start for a reason its operator can act on (a full or read-only data
    disk, a database or store not there): the message says it, with no traceback needed."""

    @classmethod
    def from_os_error(cls, exc: OSError) -> CannotStart:
        said = exc.strerror or str(exc)
        return cls(f"{exc.filename}: {said}" if exc.filename else said)


def _cannot_start(exc: BaseException) -> CannotStart | None:
    """The CannotStart in `exc`, also when a task group around the start-up wrapped it."""
    if isinstance(exc, CannotStart):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            if (found := _cannot_start(inner)) is not None:
                return found
    return None


class StartFailureReason:
    """The app as `serve` runs it. When its start-up fails with CannotStart, uvicorn is told
    so without the traceback it would log, and the reason is kept in `reason`, for the
    command to say in one line; any other failure goes to uvicorn as it came."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.reason: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        held: list[Any] = []

        async def send_or_hold(message: Any) -> None:
            if message["type"] == "lifespan.startup.failed":
                held.append(message)  # sent once the exception behind it is known
            else:
                await send(message)

        try:
            await self.app(scope, receive, send_or_hold)
        except BaseException as exc:
            cannot = _cannot_start(exc)
            if cannot is None or not held:
                for message in held:
                    await send(message)
                raise
            self.reason = str(cannot)
            await send({"type": "lifespan.startup.failed", "message": ""})


def server_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for the app, as `photoarchive serve` and the tests use it."""
    protocol = type(
        "BoundedHttpToolsProtocol",
        (BoundedHttpToolsProtocol,),
        {"head_timeout": settings.request_head_timeout_seconds},
    )
    values: dict[str, Any] = {
        "http": protocol,
        "lifespan": "on",
        "server_header": False,
        # The app alone decides whose X-Forwarded-For to believe (PHOTOARCHIVE_TRUSTED_PROXIES).
        "proxy_headers": False,
        "timeout_graceful_shutdown": 10,
    }
    values.update(options)
    config = uvicorn.Config(app, **values)  # sets up uvicorn's loggers: the filter comes after
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, SecretsOutOfAccessLog) for f in access.filters):
        access.addFilter(SecretsOutOfAccessLog())
    return config
