"""Request heads are bounded by the server: size (431), header count (431) and time (408).

Driven over raw sockets against the real `photoarchive serve` process, since what is tested
happens before any HTTP client library would let us misbehave.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from photoarchive.web.server import MAX_HEAD_BYTES, MAX_HEADERS
from tests.processes import ServerProcess, server_process
from tests.support import database_url

HANG = 60.0  # bounds a hang; never the thing measured


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_database: Callable[[], str]
) -> Iterator[ServerProcess]:
    data_dir = Path(tmp_path_factory.mktemp("heads")) / "data"
    with (
        database_url(module_database()),
        server_process(
            data_dir,
            PHOTOARCHIVE_REQUEST_HEAD_TIMEOUT_SECONDS="2",
            PHOTOARCHIVE_EVENT_KEEPALIVE_SECONDS="0.5",
        ) as live,
    ):
        yield live


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=HANG)
    return sock


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def head(*headers: str) -> bytes:
    lines = ["GET /healthz HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode()


def still_healthy(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/healthz", timeout=HANG).status_code == 200


def test_a_head_just_under_the_bound_is_served_twice_on_one_connection(
    server: ServerProcess,
) -> None:
    cookie = "Cookie: jar=" + "c" * (MAX_HEAD_BYTES - 2048)
    with connect(server) as sock:
        for _ in range(2):  # the bounds start again for the next request on the connection
            sock.sendall(head(cookie))
            response = b""
            while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                assert chunk, response
                response += chunk
            assert status_of(response) == 200, response[:200]


def test_a_head_over_the_bound_is_refused_with_431(server: ServerProcess) -> None:
    with connect(server) as sock:
        sock.sendall(head("X-Big: " + "b" * (MAX_HEAD_BYTES + 1)))
        response = answer(sock)
    assert status_of(response) == 431, response[:200]
    assert b"Request Header Fields Too Large" in response
    still_healthy(server)


def test_too_many_headers_are_refused_with_431(server: ServerProcess) -> None:
    with connect(server) as sock:
        sock.sendall(head(*(f"X-Many-{n}: 1" for n in range(MAX_HEADERS + 1))))
        response = answer(sock)
    assert status_of(response) == 431, response[:200]
    still_healthy(server)


def test_an_endless_header_is_cut_off_without_being_read(server: ServerProcess) -> None:
    """A header that never ends: the server stops reading long before 64 MB reach it."""
    sent = 0
    chunk = b"e" * 65536
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Endless: ")
        try:
            while sent < 64 * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
    # Socket buffers on both sides hold a few MB at most: the rest was refused.
    assert sent < 32 * 1024 * 1024, f"the server read {sent} bytes of one header"
    still_healthy(server)


def test_a_head_trickled_byte_by_byte_gets_408_at_the_deadline(server: ServerProcess) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        deadline = time.monotonic() + HANG
        # One byte of a header at a time, until the server answers (2 s after it began).
        while not select.select([sock], [], [], 0.2)[0]:
            assert time.monotonic() < deadline, "the server waited for the head forever"
            try:
                sock.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                break
        response = answer(sock)
    assert status_of(response) == 408, response[:200]
    still_healthy(server)


def test_a_connection_that_sends_nothing_is_closed(server: ServerProcess) -> None:
    with connect(server) as sock:
        assert answer(sock) == b""  # closed, unanswered, once the head deadline passed
    still_healthy(server)


def test_an_answer_that_takes_longer_than_the_head_deadline_is_not_cut(
    server: ServerProcess,
) -> None:
    """The deadline is for heads: the live event stream outlasts it, keepalive after keepalive."""
    client = httpx.Client(base_url=server.url, timeout=HANG)
    signup = {"username": "streamer", "email": "s@example.org", "password": "a long passphrase"}
    assert client.post("/api/v1/auth/signup", json=signup).status_code == 201
    login = {"login": "streamer", "password": "a long passphrase"}
    token = client.post("/api/v1/auth/login", json=login).json()["token"]
    keepalives = 0
    with client.stream("GET", "/events", headers={"Authorization": f"Bearer {token}"}) as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines():
            keepalives += line.startswith(":")
            if keepalives == 8:  # 4 s of keepalives at 0.5 s: twice the 2 s head deadline
                break
    assert keepalives == 8
    client.close()
