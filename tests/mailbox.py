"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping every message it receives."""

from __future__ import annotations

import email
import email.policy
import queue
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support import HANG_TIMEOUT, free_socket

LINK = re.compile(r"https?://\S+")


@dataclass
class Mailbox:
    """What the server received, in order of arrival."""

    port: int = 0
    arrived: queue.Queue[EmailMessage] = field(default_factory=queue.Queue)
    refused: dict[str, str] = field(default_factory=dict)  # an address: the answer to it

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.arrived.put(message)
        return "250 OK"

    def next(self) -> EmailMessage:
        """The next message to arrive (it is sent after the answer, so it may take a moment)."""
        try:
            return self.arrived.get(timeout=HANG_TIMEOUT)
        except queue.Empty:
            raise AssertionError("no mail arrived") from None

    def left(self) -> list[EmailMessage]:
        """Messages received and not yet taken."""
        found = []
        while not self.arrived.empty():
            found.append(self.arrived.get_nowait())
        return found


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None, "the mail has no plain-text part"
    return str(part.get_content())


def link_in(message: EmailMessage) -> str:
    (link,) = LINK.findall(body(message))
    return link


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """An SMTP server on a free 127.0.0.1 port (without TLS or AUTH, like a local relay)."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    mailbox = Mailbox(port)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, ready_timeout=HANG_TIMEOUT)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
