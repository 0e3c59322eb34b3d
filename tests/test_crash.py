"""SIGKILL in the middle of a stream of uploads: after a restart every acknowledged photo is
whole, `verify` finds no photo without its files, and `verify --repair` clears what the crash
left behind (a half-written upload, perhaps blobs whose row never committed)."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from photoarchive.storage import original_key, rendition_key
from tests.processes import ServerProcess, distinct_jpeg, run_cli, server_process
from tests.support import PASSWORD, PHOTOS, api_login, upload_bytes

UPLOADERS = 3
BIG = PHOTOS / "cameras" / "Reconyx_HC500_Hyperfire.jpg"  # 400 KB: long enough to cut in half
SMALL = PHOTOS / "orientation" / "landscape_2.jpg"  # 130 KB: what the other uploaders send
BOUNDARY = "crash-test-boundary"

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def _upload_forever(
    client: httpx.Client, stop: threading.Event, acknowledged: list[tuple[int, str]]
) -> None:
    while not stop.is_set():
        data = distinct_jpeg(SMALL)
        try:
            response = upload_bytes(client, "photo.jpg", data)
        except httpx.TransportError:
            return  # the server died under this request: it was never acknowledged
        assert response.status_code == 201, response.text
        acknowledged.append((response.json()["items"][0]["id"], hashlib.sha256(data).hexdigest()))


def _half_upload(client: httpx.Client, cut: threading.Event) -> None:
    """Send the first half of a photo, then stall until the server is gone."""
    data = BIG.read_bytes()

    def body() -> Iterator[bytes]:
        yield (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="half.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        yield data[: len(data) // 2]
        cut.wait(timeout=60)

    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    with contextlib.suppress(httpx.TransportError):
        client.post("/api/v1/photos", content=body(), headers=headers)


def _half_written(server: ServerProcess) -> list[Path]:
    """Temp files of uploads holding more than a whole small photo: the half of the big one."""
    bigger_than_any_small = SMALL.stat().st_size + 4096
    found = []
    for path in server.temp_files():
        with contextlib.suppress(FileNotFoundError):  # finished and moved away meanwhile
            if path.name.startswith("upload-") and path.stat().st_size > bigger_than_any_small:
                found.append(path)
    return found


def _stored_keys(server: ServerProcess) -> set[str]:
    root = server.settings.blob_dir
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_sigkill_during_uploads_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with server_process(data_dir) as server:
        signup = {"username": "alice", "email": "alice@example.org", "password": PASSWORD}
        assert server.client().post("/api/v1/auth/signup", json=signup).status_code == 201
        alice = api_login(server, "alice")
        acknowledged: list[tuple[int, str]] = []
        stop, cut = threading.Event(), threading.Event()
        threads = [
            threading.Thread(
                target=_upload_forever, args=(api_login(server, "alice"), stop, acknowledged)
            )
            for _ in range(UPLOADERS)
        ]
        threads.append(threading.Thread(target=_half_upload, args=(alice, cut)))
        for thread in threads:
            thread.start()
        # Wait for the half upload's own temp file: larger than any whole small upload, so
        # it cannot be one of the others' that is about to be finished and moved away.
        deadline = time.monotonic() + 60
        while len(acknowledged) < 12 or not _half_written(server):
            assert time.monotonic() < deadline, "the uploads did not get going"
            time.sleep(0.02)
        server.kill()
        stop.set()
        cut.set()
        for thread in threads:
            thread.join(timeout=60)
        half_written = [p for p in server.temp_files() if p.name.startswith("upload-")]
        assert half_written, "the interrupted upload left no temp file: nothing was tested"

        server.start()
        # Every photo the server acknowledged is whole after the crash.
        for photo_id, sha in acknowledged:
            original = alice.get(f"/media/{photo_id}/original")
            assert original.status_code == 200
            assert hashlib.sha256(original.content).hexdigest() == sha
            assert alice.get(f"/media/{photo_id}/thumbnail").status_code == 200

        # No photo without its files. The crash's leftovers are fresh: reported, left alone.
        first = run_cli(data_dir, "verify", "--checksums")
        assert first.returncode == 0, first.stdout
        assert "PROBLEM" not in first.stdout
        for path in half_written:
            assert f"temp file: {path}" in first.stdout
        assert "grace period" in first.stdout

        # Once due (grace 0 here, an hour by default), they are problems; --repair removes them.
        due = run_cli(data_dir, "verify", "--grace", "0")
        assert due.returncode == 1
        assert "PROBLEM  temp file" in due.stdout
        repaired = run_cli(data_dir, "verify", "--grace", "0", "--repair")
        assert repaired.returncode == 0, repaired.stdout
        assert server.temp_files() == []
        with server.db() as conn:
            digests = [row[0] for row in conn.execute("SELECT sha256 FROM photos")]
        expected = {original_key(d) for d in digests}
        expected |= {rendition_key(d, name) for d in digests for name in ("thumbnail", "preview")}
        assert _stored_keys(server) == expected  # no orphan survived, nothing needed was removed
        assert {sha for _id, sha in acknowledged} <= set(digests)
        again = run_cli(data_dir, "verify", "--grace", "0", "--checksums")
        assert again.returncode == 0 and "0 problems, 0 repaired, 0 left alone" in again.stdout

        # And the archive carries on.
        assert upload_bytes(alice, "after.jpg", distinct_jpeg()).status_code == 201
