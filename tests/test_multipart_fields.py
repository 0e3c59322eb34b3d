"""Multipart text fields in odd charsets or broken bytes, and multi-file uploads where one file
fails: every answer is the client's error with a message, and every file gets a result."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from photoarchive.library import ingest
from tests.state import snapshot
from tests.support import (
    LiveServer,
    api_login,
    csrf,
    live_server,
    make_settings,
    parse,
    sign_up,
)

BOUNDARY = "field-charset-boundary"
# Codecs Python knows that are no text encoding at all, or no charset a form is sent in.
NOT_TEXT = ["rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri", "idna", "utf-7", "punycode"]


def jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def part(name: str, data: bytes, charset: str | None = None, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if filename:
        head += "Content-Type: image/jpeg\r\n"
    elif charset:
        head += f"Content-Type: text/plain; charset={charset}\r\n"
    return head.encode() + b"\r\n" + data + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def post(client: httpx.Client, url: str, content: bytes, *, header: bool = True) -> httpx.Response:
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    if header and "Authorization" not in client.headers:
        headers["x-csrftoken"] = csrf(client)
    return client.post(url, content=content, headers=headers)


def detail(response: httpx.Response) -> str:
    if response.headers["content-type"].startswith("application/json"):
        return str(response.json()["detail"])
    return parse(response.text).text


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, module_database: Callable[[], str]
) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("fields") / "data"
    with live_server(make_settings(data, database_url=module_database())) as live:
        sign_up(live, "alice")
        yield live


@pytest.mark.parametrize("charset", NOT_TEXT)
@pytest.mark.parametrize("url", ["/api/v1/photos", "/upload"])
def test_a_field_in_a_charset_that_is_no_text_is_a_400_naming_it(
    server: LiveServer, url: str, charset: str
) -> None:
    before = snapshot(server)
    response = post(
        server.clients[0],  # alice, signed in
        url,
        body(
            part("caption", b"aGVsbG8=", charset), part("file", jpeg((9, 9, 9)), filename="a.jpg")
        ),
    )
    assert response.status_code == 400, (charset, response.status_code)
    assert "caption" in detail(response)
    assert not before.diff(snapshot(server))
    assert server.temp_files() == []


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("url", ["/settings/profile", "/login", "/signup", "/photos/1/comments"])
def test_page_forms_refuse_a_field_that_is_no_text(
    server: LiveServer, url: str, header: bool
) -> None:
    """The forms of the pages, read by the handler, or by the CSRF check when the token is in
    the form rather than in a header."""
    client = server.clients[0]  # alice, signed in
    for field, data, charset in [
        ("display_name", b"Alice", "rot13"),
        ("login", b"alice", "base64"),
        ("display_name", b"\xff\xfe\xfa", None),  # not UTF-8
        ("display_name", b"\xd8\x00", "utf-16-be"),  # a lone surrogate
    ]:
        before = snapshot(server)
        token = part("_csrf_token", csrf(client).encode())
        response = post(client, url, body(token, part(field, data, charset)), header=header)
        assert response.status_code == 400, (url, field, charset, response.status_code)
        assert field in detail(response)
        assert not before.diff(snapshot(server))


def test_a_field_that_is_not_valid_utf8_is_a_400_not_replaced(server: LiveServer) -> None:
    client = api_login(server, "alice")
    before = snapshot(server)
    response = post(
        client,
        "/api/v1/photos",
        body(part("caption", b"caf\xe9"), part("file", jpeg((8, 8, 8)), filename="b.jpg")),
    )
    assert response.status_code == 400
    assert response.json()["field"] == "caption"
    assert not before.diff(snapshot(server))


@pytest.mark.parametrize(
    ("charset", "data"),
    [("latin-1", "café".encode("latin-1")), ("windows-1252", "naïve €".encode("cp1252"))],
)
def test_text_charsets_are_read_as_declared(server: LiveServer, charset: str, data: bytes) -> None:
    client = api_login(server, "alice")
    colour = (len(data), 100, 7 * len(charset))
    response = post(
        client,
        "/api/v1/photos",
        body(part("caption", data, charset), part("file", jpeg(colour), filename="c.jpg")),
    )
    assert response.status_code == 201, response.text
    assert response.json()["items"][0]["caption"] == data.decode(charset)


@pytest.fixture
def crashing_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose ingestion fails in a way nobody foresaw (a decoder crashing on it)."""
    real_add = ingest.add

    async def add(
        svc: Any, owner: Any, incoming: Any, caption: str, adding: Any = None, **kw: Any
    ) -> Any:
        if "crash" in incoming.filename:
            raise RuntimeError("the decoder fell over")
        return await real_add(svc, owner, incoming, caption, adding, **kw)

    monkeypatch.setattr(ingest, "add", add)


def test_every_file_of_an_upload_gets_a_result_when_one_fails_midway(
    tmp_path: Path, crashing_decoder: None
) -> None:
    with live_server(make_settings(tmp_path / "data")) as server:
        alice = sign_up(server, "alice")
        client = api_login(server, "alice")
        first = jpeg((200, 0, 0))
        assert post(client, "/api/v1/photos", body(part("file", first, filename="old.jpg")))
        files = [
            ("one.jpg", jpeg((0, 200, 0))),
            ("crash.jpg", jpeg((0, 0, 200))),
            ("again.jpg", first),  # a duplicate of the photo above
            ("text.jpg", b"not a photo at all" * 10),
            ("two.jpg", jpeg((200, 200, 0))),
        ]
        response = post(
            client, "/api/v1/photos", body(*(part("file", d, filename=n) for n, d in files))
        )
        assert response.status_code == 201, response.text
        results = response.json()["results"]
        assert [r["filename"] for r in results] == [name for name, _ in files]
        assert [r["outcome"] for r in results] == [
            "kept",
            "refused",
            "duplicate",
            "refused",
            "kept",
        ]
        assert [r["status"] for r in results][:3] == [201, 500, 200]
        assert 400 <= results[3]["status"] < 500
        assert all(r["detail"] for r in results)
        assert results[2]["id"] == response.json()["items"][1]["id"]
        assert server.count("photos") == 3
        assert server.temp_files() == []

        # The page without JavaScript tells the same, one line per file, in order.
        again = [(f"page-{name}", data) for name, data in files]
        token = part("_csrf_token", csrf(alice).encode())
        page = post(alice, "/upload", body(token, *(part("file", d, filename=n) for n, d in again)))
        assert page.status_code == 200  # nothing new: the good files are there already
        lines = [
            item for item in parse(page.text).find_all("li") if item.get("data-outcome") is not None
        ]
        assert [item["data-outcome"] for item in lines] == [
            "duplicate",
            "refused",
            "duplicate",
            "refused",
            "duplicate",
        ]
        text = parse(page.text).text
        for name, _ in again:
            assert name in text
