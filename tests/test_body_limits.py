"""Request bodies nobody may make the server read.

Every unsafe route is offered a body of a few hundred megabytes by someone with no account, a
made-up session cookie or a made-up Bearer token, in the content types the app reads and in
case variants of them, with a Content-Length and chunked. Each must be refused (4xx) before the
body is read, while the real server process's peak resident set (VmHWM) stays near where it
was. A signed-in person fares no better with a length over the route's bound, a cookie request
without the form's token, or an endless text field. Their uploads still stream: a file far
larger than the memory bound is read to its end, and text fields over their small allowance
are refused with a message that names the field.
"""

from __future__ import annotations

import io
import json
import re
import select
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from photoarchive.app import create_app
from tests.processes import ServerProcess, distinct_jpeg, server_process
from tests.support import PASSWORD, database_url

MIB = 1024 * 1024
PLANNED = 320 * MIB  # what each hostile request offers to send
GROWTH_LIMIT = 100 * MIB  # how far the server's peak may rise above its baseline
UPLOAD_LIMIT_MB = 256  # PHOTOARCHIVE_MAX_UPLOAD_MB for this module's server
HANG = 60.0  # seconds without progress either way: the exchange is stuck
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
BOUNDARY = "xx"
FILLER = b"a" * MIB


def peak_rss(server: ServerProcess) -> int:
    """The server process's peak resident set so far, in bytes."""
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    kib = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    assert kib, status
    return int(kib.group(1)) * 1024


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 140, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes the server let us send before it answered


def exchange(
    server: ServerProcess, method: str, path: str, headers: dict[str, str], body: Iterator[bytes]
) -> Answer:
    """Send a request whose body comes from `body`, reading while sending: the server may answer
    (and close) long before the body ends, and then no more is sent."""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    chunked = headers.get("Transfer-Encoding") == "chunked"
    received = b""
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=HANG) as sock:
        sock.sendall(head.encode("latin-1"))
        pending = b""
        more = True
        while True:
            if not pending and more:
                piece = next(body, None)
                if piece is None:
                    more = False
                    pending = b"0\r\n\r\n" if chunked else b""
                else:
                    sent += len(piece)
                    pending = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
            readable, writable, _ = select.select([sock], [sock] if pending else [], [], HANG)
            assert readable or writable, f"{method} {path}: no progress for {HANG} s"
            if readable:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                received += data
                if not data or _complete(received):
                    break
                continue
            try:
                pending = pending[sock.send(pending) :]
            except (BrokenPipeError, ConnectionResetError):
                pending, more = b"", False  # the server is done with us; read what it said
    assert b"\r\n\r\n" in received, f"{method} {path}: no answer ({received[:200]!r})"
    top, _, payload = received.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    answer_headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    # One answer and nothing after it: the rest of an unread body is not a next request.
    assert len(payload) == int(answer_headers.get("content-length", -1)), received[:2000]
    return Answer(int(lines[0].split()[1]), answer_headers, payload, sent)


def _complete(received: bytes) -> bool:
    top, found, payload = received.partition(b"\r\n\r\n")
    if not found:
        return False
    length = re.search(rb"(?im)^content-length: *(\d+)", top)
    return bool(length) and len(payload) >= int(length.group(1))  # type: ignore[union-attr]


def filled(prefix: bytes, total: int) -> Iterator[bytes]:
    """`prefix`, then filler, `total` bytes in all: one field that never ends."""
    yield prefix
    left = total - len(prefix)
    while left > 0:
        yield FILLER[: min(left, len(FILLER))]
        left -= len(FILLER)


def field_head(name: str) -> bytes:
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()


def multipart_field(name: str, value: bytes) -> bytes:
    return field_head(name) + value + b"\r\n"


def multipart_file_head(name: str, filename: str) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
        "\r\nContent-Type: image/jpeg\r\n\r\n"
    ).encode()


# Strangers, and the bodies they offer (headers, the body's first bytes; filler follows).
STRANGERS: list[tuple[dict[str, str], bytes]] = [
    # no account at all, a plain form
    ({"Content-Type": "application/x-www-form-urlencoded"}, b"caption="),
    # a made-up session cookie (enough to look like an API session), one endless text field
    (
        {"Cookie": "session=x", "Content-Type": f"Multipart/form-data; boundary={BOUNDARY}"},
        field_head("caption"),
    ),
    # a made-up session with a matching-looking token, then an endless file
    (
        {
            "Cookie": "session=x; csrftoken=y",
            "Content-Type": f"MULTIPART/FORM-DATA; boundary={BOUNDARY}",
        },
        multipart_field("_csrf_token", b"y") + multipart_file_head("file", "big.jpg"),
    ),
    (
        {"Cookie": "session=x", "Content-Type": "Application/X-WWW-Form-Urlencoded"},
        b"_csrf_token=y&caption=",
    ),
    (
        {"Authorization": "Bearer not-a-token", "Content-Type": "application/json"},
        b'{"caption": "',
    ),
    ({"Content-Type": "application/json"}, b'{"login": "'),
]


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, module_database: Callable[[], str]
) -> Iterator[dict[str, object]]:
    data_dir = tmp_path_factory.mktemp("bodies") / "data"
    with (
        database_url(module_database()),
        server_process(data_dir, PHOTOARCHIVE_MAX_UPLOAD_MB=str(UPLOAD_LIMIT_MB)) as server,
    ):
        client = server.client()
        signup = client.post(
            "/api/v1/auth/signup",
            json={"username": "alice", "email": "alice@example.org", "password": PASSWORD},
        )
        assert signup.status_code == 201, signup.text
        login = client.post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = login.json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        photo = client.post("/api/v1/photos", files=[("file", ("p.jpg", jpeg()))])
        assert photo.status_code == 201, photo.text
        photo_id = photo.json()["items"][0]["id"]
        comment = client.post(f"/api/v1/photos/{photo_id}/comments", json={"text": "hi"})
        assert comment.status_code == 201, comment.text
        values = {
            "photo_id": str(photo_id),
            "comment_id": str(comment.json()["id"]),
            "session_id": "1",
            "token_id": "1",
            "username": "alice",
            "action": "disable",
            "token": "no-such-token",
            "album_id": "1",
            "batch_id": "1",
            "share_id": "1",
            "share_token": "no-such-link",
            "invite_id": "1",
        }
        yield {"server": server, "client": client, "token": token, "values": values}


def unsafe_routes(server: ServerProcess, values: dict[str, str]) -> list[tuple[str, str]]:
    """Every (method, concrete path) the app takes a body on, plus an address it does not
    know and a method a known address does not take."""
    app = create_app(server.settings)
    found = [
        (method, re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], route.path))
        for route in app.routes
        for method in sorted(getattr(route, "methods", ()) or ())
        if method in UNSAFE
    ]
    assert ("POST", "/upload") in found and ("POST", "/api/v1/photos") in found
    return [*found, ("POST", "/no-such-address"), ("PUT", "/healthz")]


def refused_unread(
    server: ServerProcess,
    method: str,
    path: str,
    headers: dict[str, str],
    prefix: bytes,
    framing: str,
    baseline: int,
) -> Answer:
    """Offer PLANNED bytes; check the answer is a 4xx in our shape, given before the body was
    all sent, and that the server's peak resident set is still near `baseline`."""
    sized = dict(headers)
    if framing == "length":
        sized["Content-Length"] = str(PLANNED)
    else:
        sized["Transfer-Encoding"] = "chunked"
    answer = exchange(server, method, path, sized, filled(prefix, PLANNED))
    where = (method, path, headers, framing, answer.status, answer.body[:200])
    assert 400 <= answer.status < 500, where
    if path.startswith("/api/"):  # our JSON error shape, not a bare framework page
        assert json.loads(answer.body)["status"] == answer.status, where
    growth = peak_rss(server) - baseline
    assert growth < GROWTH_LIMIT, (*where, f"peak RSS grew {growth // MIB} MiB")
    # Whatever was sent sat in socket buffers or was dropped unread.
    assert answer.sent < PLANNED, where
    return answer


def test_every_unsafe_route_refuses_an_oversized_strangers_body_without_reading_it(
    live: dict[str, object],
) -> None:
    server: ServerProcess = live["server"]  # type: ignore[assignment]
    values: dict[str, str] = live["values"]  # type: ignore[assignment]
    baseline = peak_rss(server)
    for method, path in unsafe_routes(server, values):
        for headers, prefix in STRANGERS:
            for framing in ("length", "chunked"):
                refused_unread(server, method, path, headers, prefix, framing, baseline)
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_a_signed_in_persons_oversized_or_forged_body_is_refused_unread(
    live: dict[str, object],
) -> None:
    """Signed in is not enough: an announced length over the route's bound, a cookie request
    without the form's token (a cross-site form riding the session), or an endless text field
    is refused before it costs memory."""
    server: ServerProcess = live["server"]  # type: ignore[assignment]
    values: dict[str, str] = live["values"]  # type: ignore[assignment]
    token: str = live["token"]  # type: ignore[assignment]
    browser = server.client()
    browser.get("/login")
    form_token = browser.cookies["csrftoken"]
    signed_in = browser.post(
        "/login", data={"login": "alice", "password": PASSWORD, "_csrf_token": form_token}
    )
    assert signed_in.status_code == 303, signed_in.text
    cookie = f"session={browser.cookies['session']}; csrftoken={form_token}"
    multipart = f"Multipart/Form-Data; boundary={BOUNDARY}"
    askers: list[tuple[dict[str, str], bytes]] = [
        ({"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, b"caption="),
        ({"Cookie": cookie, "Content-Type": multipart}, field_head("caption")),
        ({"Cookie": cookie, "Content-Type": multipart, "x-csrftoken": ""}, field_head("caption")),
        ({"Cookie": cookie, "Content-Type": multipart}, multipart_file_head("file", "a.jpg")),
        (
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": "Application/X-WWW-Form-Urlencoded",
            },
            b"caption=",
        ),
        ({"Authorization": f"Bearer {token}", "Content-Type": multipart}, field_head("caption")),
    ]
    streamed = {("POST", "/upload"), ("POST", "/api/v1/photos")}
    baseline = peak_rss(server)
    for method, path in unsafe_routes(server, values):
        # A chunked body announces nothing: a handler that takes no body (a DELETE, a sign-out)
        # rightly acts without reading it, so only the routes that read one are sent it.
        framings = ("length", "chunked") if (method, path) in streamed else ("length",)
        for headers, prefix in askers:
            for framing in framings:
                refused_unread(server, method, path, headers, prefix, framing, baseline)
    assert browser.get("/settings").status_code == 200  # still signed in: nothing was done
    assert (
        server.client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).is_success
    )


def test_a_signed_in_upload_still_streams_and_a_long_text_field_is_refused(
    live: dict[str, object],
) -> None:
    server: ServerProcess = live["server"]  # type: ignore[assignment]
    client: httpx.Client = live["client"]  # type: ignore[assignment]
    token: str = live["token"]  # type: ignore[assignment]

    # A real photo, through the API and through the page with the form's token.
    ok = client.post(
        "/api/v1/photos", files=[("file", ("cam.jpg", distinct_jpeg()))], data={"caption": "fine"}
    )
    assert ok.status_code == 201, ok.text
    browser = server.client()
    browser.get("/login")
    form_token = browser.cookies["csrftoken"]
    signed_in = browser.post(
        "/login", data={"login": "alice", "password": PASSWORD, "_csrf_token": form_token}
    )
    assert signed_in.status_code == 303, signed_in.text
    form_token = browser.cookies["csrftoken"]  # signing in renews the token for the session
    page = browser.post(
        "/upload",
        data={"_csrf_token": form_token, "caption": "by page"},
        files=[("file", ("page.jpg", distinct_jpeg()))],
    )
    assert page.status_code == 201, page.text[:300]

    # A file larger than the memory bound is read to its end (to a temp file, not to memory):
    # the refusal is about its contents, which the server only knows once it has all of it.
    baseline = peak_rss(server)
    size = 200 * MIB
    head = multipart_file_head("file", "big.jpg")
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def big_file() -> Iterator[bytes]:
        yield from filled(head, len(head) + size)
        yield tail

    answer = exchange(
        server,
        "POST",
        "/api/v1/photos",
        {
            "Authorization": f"Bearer {token}",
            "Content-Type": f"Multipart/Form-Data; boundary={BOUNDARY}",
            "Content-Length": str(len(head) + size + len(tail)),
        },
        big_file(),
    )
    assert answer.status == 415, answer.body[:300]
    assert "not a supported image" in json.loads(answer.body)["detail"]
    assert answer.sent == len(head) + size + len(tail)
    growth = peak_rss(server) - baseline
    assert growth < GROWTH_LIMIT, f"peak RSS grew {growth // MIB} MiB for a streamed upload"

    # Text fields beyond the small limit for text are refused, and the answer names the field:
    # one long field, or many short ones that add up.
    one_long = filled(field_head("note"), 2 * MIB)
    many_short = iter([multipart_field(f"note{n}", b"n" * 4096) for n in range(40)])
    for fields in (one_long, many_short):
        refused = exchange(
            server,
            "POST",
            "/api/v1/photos",
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Transfer-Encoding": "chunked",
            },
            fields,
        )
        assert refused.status == 413, refused.body[:300]
        assert re.search(r"form field 'note\d*' is too long", json.loads(refused.body)["detail"])


def test_a_chunked_json_body_over_the_bound_is_told_so_in_words_of_a_request(
    live: dict[str, object],
) -> None:
    """No length announced: the framework stops reading at the route's bound, and says the
    request (not "the upload": this is no upload) is larger than the address accepts."""
    server: ServerProcess = live["server"]  # type: ignore[assignment]
    token: str = live["token"]  # type: ignore[assignment]
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
    }
    answer = exchange(server, "POST", "/api/v1/albums", headers, filled(b'{"title": "', PLANNED))
    assert answer.status == 413, answer.body[:300]
    assert json.loads(answer.body)["detail"] == "The request is larger than this address accepts."
