"""A share link's zip stops when the link is turned off, expires, or changes so that it would refuse
the zip (downloads off, a new password, camera details hidden) while it is being read: the
link is checked again before each photo, and the zip ends where it is (no directory)."""

from __future__ import annotations

import io
import socket
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.support import FrozenClock, LiveServer, api_login, archive_of, upload_bytes

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

LOCAL_HEADER = b"PK\x03\x04"
CLIENT_BUFFER = 64 * 1024  # what the reading client's socket holds (the kernel doubles it)
PHOTOS = 3


def _most_loopback_holds() -> int:
    """Bytes the server can have sent that the client has not read yet: the sender's largest
    socket buffer (the kernel's own limit), the client's fixed one, and a margin for what the
    server keeps before it waits (its write buffer, a chunk of the file)."""
    sender_max = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    return sender_max + 2 * CLIENT_BUFFER + 4 * 1024 * 1024


def big_png(shade: int, size: int) -> bytes:
    """A small picture carrying `size` bytes of a private chunk, which every decoder skips: an
    original larger than all the buffers between the server and the client, so the server is
    still sending it when the client reads its first bytes."""
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (shade, 80, 160)).save(out, format="PNG")
    data = out.getvalue()
    body = bytes(size)
    chunk = struct.pack(">I", size) + b"fiLl" + body + struct.pack(">I", zlib.crc32(b"fiLl" + body))
    end = data.rindex(b"IEND") - 4
    return data[:end] + chunk + data[end:]


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("owner",)) as server:
        yield server


def small_buffer_client(archive: LiveServer) -> httpx.Client:
    transport = httpx.HTTPTransport(
        socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, CLIENT_BUFFER)]
    )
    return archive.client(transport=transport)


def read_while(archive: LiveServer, url: str, cut_off: Callable[[], None]) -> bytes:
    """The zip at `url`, read to its end, with `cut_off` done once its first bytes are in."""
    received = b""
    with small_buffer_client(archive).stream("GET", url) as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            if not received:
                cut_off()
            received += chunk
    return received


def share_of_big_photos(archive: LiveServer, **options: object) -> tuple[httpx.Client, dict]:
    owner = api_login(archive, "owner")
    size = _most_loopback_holds()
    ids = []
    for index in range(PHOTOS):
        made = upload_bytes(owner, f"big-{index}.png", big_png(40 * index, size))
        assert made.status_code == 201, made.text
        ids.append(made.json()["items"][0]["id"])
    link = owner.post("/api/v1/shares", json={"photo_ids": ids, "allow_download": True, **options})
    assert link.status_code == 201, link.text
    return owner, link.json()


def assert_cut_short(data: bytes) -> None:
    # The photo being sent when the link died is finished; none after it is begun.
    assert data.count(LOCAL_HEADER) == 1
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data))


def test_a_whole_zip_when_nothing_changes(archive: LiveServer) -> None:
    _, link = share_of_big_photos(archive)
    data = read_while(archive, f"/s/{link['token']}/download", lambda: None)
    with zipfile.ZipFile(io.BytesIO(data)) as whole:
        assert whole.testzip() is None
        assert len(whole.namelist()) == PHOTOS


def test_turning_a_link_off_stops_its_zip(archive: LiveServer) -> None:
    owner, link = share_of_big_photos(archive)

    def revoke() -> None:
        assert owner.delete(f"/api/v1/shares/{link['id']}").status_code == 204

    assert_cut_short(read_while(archive, f"/s/{link['token']}/download", revoke))
    assert archive.client().get(f"/s/{link['token']}/download").status_code == 404


def test_a_link_expiring_stops_its_zip(archive: LiveServer, frozen_clock: FrozenClock) -> None:
    until = datetime.fromtimestamp(frozen_clock.moment + 3600, UTC).isoformat()
    _, link = share_of_big_photos(archive, expires_at=until)

    def expire() -> None:
        frozen_clock.advance(3601)

    assert_cut_short(read_while(archive, f"/s/{link['token']}/download", expire))


@pytest.mark.parametrize(
    "change",
    [{"allow_download": False}, {"password": "a new secret phrase"}, {"show_metadata": False}],
    ids=["downloads off", "a password set", "camera details off"],
)
def test_a_change_that_would_refuse_the_zip_stops_it(
    archive: LiveServer, change: dict[str, object]
) -> None:
    """What the zip was let out under no longer holds: downloads turned off, a password the
    holder has not given, or camera details the zip is sending turned off."""
    owner, link = share_of_big_photos(archive, show_metadata=True)

    def edit() -> None:
        answer = owner.patch(f"/api/v1/shares/{link['id']}", json=change)
        assert answer.status_code == 200, answer.text

    assert_cut_short(read_while(archive, f"/s/{link['token']}/download", edit))


def test_a_change_the_zip_does_not_depend_on_lets_it_finish(archive: LiveServer) -> None:
    owner, link = share_of_big_photos(archive, show_metadata=False)

    def edit() -> None:
        answer = owner.patch(f"/api/v1/shares/{link['id']}", json={"show_metadata": True})
        assert answer.status_code == 200, answer.text

    data = read_while(archive, f"/s/{link['token']}/download", edit)
    with zipfile.ZipFile(io.BytesIO(data)) as whole:
        assert len(whole.namelist()) == PHOTOS
