"""The app on S3 storage: start-up refuses a store it cannot use, a store that goes away in the
middle of an upload leaves nothing behind, and presign mode sends browsers to the store."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from photoarchive.library import rechecks
from photoarchive.settings import Settings
from tests.cloud import S3Server, free_port
from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    live_server,
    make_settings,
    run_sql,
    sign_up,
    upload,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def test_wrong_credentials_stop_start_up_with_a_clear_message(
    rclone: S3Server, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")}
    env.update(
        PHOTOARCHIVE_DATA_DIR=str(tmp_path / "data"),
        PHOTOARCHIVE_STORAGE="s3",
        PHOTOARCHIVE_S3_ENDPOINT=rclone.endpoint,
        PHOTOARCHIVE_S3_BUCKET=rclone.new_bucket(),
        PHOTOARCHIVE_S3_ACCESS_KEY_ID=rclone.access_key,
        PHOTOARCHIVE_S3_SECRET_ACCESS_KEY="a-wrong-secret",
    )
    done = subprocess.run(
        [sys.executable, "-m", "photoarchive", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "photoarchive: S3 storage is not usable" in done.stderr
    assert "refused the credentials (SignatureDoesNotMatch)" in done.stderr
    assert "PHOTOARCHIVE_S3_SECRET_ACCESS_KEY" in done.stderr


class VanishingStore:
    """A TCP relay in front of an S3 server that, once armed, drops every connection and stops
    listening after `limit` bytes have gone through towards the store: the store goes away."""

    def __init__(self, target: str, limit: int) -> None:
        host, port = target.removeprefix("http://").split(":")
        self.target = (host, int(port))
        self.limit = limit
        self.armed = False
        self.sent = 0
        self.gone = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.gone.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, outbound: bool) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                if outbound and self.armed:
                    with self.lock:
                        self.sent += len(data)
                    if self.sent > self.limit:
                        self.vanish()
                        return
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def vanish(self) -> None:
        self.gone.set()
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self.vanish()


def large_png() -> bytes:
    """About 20 MB of noise: its upload to the store takes several multipart parts."""
    image = Image.frombytes("RGB", (2600, 2600), os.urandom(2600 * 2600 * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=0)
    return out.getvalue()


def test_store_going_away_mid_upload_answers_503_and_leaves_nothing(
    rclone: S3Server, tmp_path: Path
) -> None:
    bucket = rclone.new_bucket()
    relay = VanishingStore(rclone.endpoint, limit=2 * 1024 * 1024)
    settings = make_settings(
        tmp_path / "data", **rclone.settings(bucket, s3_endpoint=relay.endpoint)
    )
    try:
        with live_server(settings) as server:
            alice = sign_up(server, "alice")
            headers = {"x-csrftoken": alice.cookies["csrftoken"]}
            relay.armed = True
            answer = alice.post(
                "/api/v1/photos",
                files=[("file", ("huge.png", large_png(), "image/png"))],
                headers=headers,
            )
            assert relay.gone.is_set(), "the store was still there at the end of the upload"
            assert answer.status_code == 503, answer.text
            assert "not saved" in answer.json()["detail"]
            assert server.count("photos") == 0
            assert server.temp_files() == []
    finally:
        relay.close()
    assert rclone.keys(bucket) == []  # asked of the store itself, behind the vanished relay


@pytest.fixture
def presigning(rclone: S3Server, tmp_path: Path) -> LiveServer:
    bucket = rclone.new_bucket()
    settings = make_settings(tmp_path / "data", **rclone.settings(bucket, s3_serve="presign"))
    with live_server(settings) as server:
        yield server


def test_presign_redirects_to_a_short_lived_url_after_the_access_check(
    presigning: LiveServer, rclone: S3Server
) -> None:
    alice = sign_up(presigning, "alice")
    photo = PHOTOS / "cameras" / "Nikon_D70.jpg"
    uploaded = upload(alice, photo)
    assert uploaded.status_code == 201, uploaded.text
    photo_id = uploaded.json()["items"][0]["id"]

    # no redirect, and so no URL, for someone who may not see the photo
    guest = presigning.client().get(f"/media/{photo_id}/original")
    assert guest.status_code == 401 and "location" not in guest.headers

    sent = alice.get(f"/media/{photo_id}/original")
    assert sent.status_code == 302
    location = sent.headers["location"]
    assert location.startswith(f"{rclone.endpoint}/")
    assert "X-Amz-Expires=900" in location and "X-Amz-Signature=" in location
    # Not kept: it leads its owner to the file with the place in it; the next account to use
    # this browser asks again. A rendition's redirect (the same bytes for all) is kept.
    assert sent.headers["cache-control"] == "no-store"
    thumbnail = uploaded.json()["items"][0]["urls"]["thumbnail"]  # with the photo's ?v=
    to_thumbnail = alice.get(thumbnail)
    max_age = int(to_thumbnail.headers["cache-control"].split("max-age=")[1])
    assert 0 < max_age <= 900
    # Not kept under an address that names no version (or an older one): see media.py.
    assert alice.get(f"/media/{photo_id}/thumbnail").headers["cache-control"] == "no-store"
    with httpx.Client() as browser:  # no cookies: the URL alone is the key
        fetched = browser.get(location)
        assert fetched.status_code == 200
        assert fetched.content == photo.read_bytes()
        assert fetched.headers["content-disposition"].startswith("attachment;")
        assert "Nikon_D70.jpg" in fetched.headers["content-disposition"]
        thumb = browser.get(alice.get(f"/media/{photo_id}/thumbnail").headers["location"])
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
        tampered = browser.get(location.replace("originals", "thumbnails"))
        assert tampered.status_code == 403  # rclone checks the signature
    # the same URL again while it is young, so browsers can cache what it points to
    assert alice.get(f"/media/{photo_id}/original").headers["location"] == location


def test_presign_never_shows_another_user_a_geotagged_photos_digest(
    presigning: LiveServer,
) -> None:
    """Stored files are named by the digest of the original, location and all; a signed URL
    would hand that name to anyone who may see the photo, and it confirms guessed locations."""
    alice = sign_up(presigning, "alice")
    bob = sign_up(presigning, "bob")
    path = PHOTOS / "gps" / "DSCN0010.jpg"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    photo_id = upload(alice, path).json()["items"][0]["id"]
    for name in ("thumbnail", "preview"):
        assert alice.get(f"/media/{photo_id}/{name}").status_code == 302  # the owner's own
        streamed = bob.get(f"/media/{photo_id}/{name}")
        assert streamed.status_code == 200 and streamed.content[8:12] == b"WEBP"
        assert digest[:8] not in str(streamed.headers)
    original = bob.get(f"/media/{photo_id}/original")
    assert original.status_code == 200 and digest[:8] not in str(original.headers)
    # A photo with no location gives nothing away: its renditions still come from the store.
    plain = upload(alice, PHOTOS / "cameras" / "Nikon_D70.jpg").json()["items"][0]["id"]
    assert bob.get(f"/media/{plain}/thumbnail").status_code == 302


def test_location_patches_are_worked_out_again_from_originals_in_a_bucket(
    rclone: S3Server, tmp_path: Path
) -> None:
    """The re-check after an upgrade reads originals from the bucket, through a temp file."""
    settings = make_settings(tmp_path / "data", **rclone.settings(rclone.new_bucket()))
    path = PHOTOS / "gps" / "DSCN0010.jpg"
    with live_server(settings) as server:
        alice = sign_up(server, "alice")
        sign_up(server, "bob")
        photo_id = upload(alice, path).json()["items"][0]["id"]
        blanked = api_login(server, "bob").get(f"/media/{photo_id}/original").content
    assert blanked != path.read_bytes()
    stored = _patches(settings)
    run_sql(  # as the upgrade's migration leaves it
        settings, "UPDATE photos SET location_patches = ?", (rechecks.RECHECK,)
    )
    with live_server(settings) as server:  # its start works through what is marked
        deadline = time.monotonic() + 60  # bounds a hang; the wait is for the re-check
        while (now := _patches(settings)) == rechecks.RECHECK:
            assert time.monotonic() < deadline, "the server did not re-check the photo"
            time.sleep(0.05)
        assert now == stored
        assert api_login(server, "bob").get(f"/media/{photo_id}/original").content == blanked
        assert server.temp_files() == []


def _patches(settings: Settings) -> str:
    return str(run_sql(settings, "SELECT location_patches FROM photos")[0][0])
