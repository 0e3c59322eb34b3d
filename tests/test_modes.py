"""The core flow over HTTP in every set-up the configuration can choose: local disk and local
accounts; an S3 store (rclone, which checks signatures; moto); S3 and Cognito accounts (moto)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.cloud import S3Server, cognito_sign_up, make_pool
from tests.support import (
    PASSWORD,
    PHOTOS,
    LiveServer,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
)

MODES = ["local", "s3-rclone", "s3-moto", "s3-moto+cognito"]
FIRST = PHOTOS / "orientation" / "landscape_1.jpg"
SECOND = PHOTOS / "cameras" / "Canon_PowerShot_S40.jpg"
THIRD = PHOTOS / "cameras" / "Nikon_D70.jpg"


@dataclass
class Mode:
    name: str
    server: LiveServer
    s3: S3Server | None = None
    bucket: str = ""

    @property
    def cognito(self) -> bool:
        return self.name.endswith("cognito")

    def stored(self) -> list[str]:
        """Every blob key in the store (the S3 prefix left off)."""
        if self.s3 is not None:
            return self.s3.keys(self.bucket, self.server.settings.s3_prefix)
        root = self.server.settings.blob_dir
        return sorted(p.relative_to(root).as_posix() for p in self.server.blobs())

    def browser(self, username: str) -> httpx.Client:
        if self.cognito:
            return cognito_sign_up(self.server, username)
        return sign_up(self.server, username)

    def script(self, username: str) -> httpx.Client:
        """Sign up and in through the JSON API alone, as a script or app would."""
        client = self.server.client()
        body = {"username": username, "email": f"{username}@example.org", "password": PASSWORD}
        created = client.post("/api/v1/auth/signup", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["user"]["username"] == username
        assert created.json()["confirmation_required"] is self.cognito
        if self.cognito:
            early = client.post(
                "/api/v1/auth/login", json={"login": username, "password": PASSWORD}
            )
            assert early.status_code == 403
            assert early.json()["field"] == "confirm"
            confirmed = client.post(
                "/api/v1/auth/confirm", json={"username": username, "code": "123456"}
            )
            assert confirmed.status_code == 200, confirmed.text
        else:
            unneeded = client.post(
                "/api/v1/auth/confirm", json={"username": username, "code": "123456"}
            )
            assert unneeded.status_code == 404
        login = client.post("/api/v1/auth/login", json={"login": username, "password": PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        return client


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Mode]:
    name = request.param
    overrides = {}
    s3, bucket = None, ""
    if name.startswith("s3-"):
        s3 = request.getfixturevalue("rclone" if "rclone" in name else "moto")
        bucket = s3.new_bucket()
        overrides.update(s3.settings(bucket))
    if name.endswith("cognito"):
        overrides.update(make_pool(request.getfixturevalue("moto")).settings())
    with live_server(make_settings(tmp_path / "data", **overrides)) as server:
        yield Mode(name, server, s3, bucket)


def photo_ids(client: httpx.Client) -> list[int]:
    listing = client.get("/api/v1/photos")
    assert listing.status_code == 200, listing.text
    return [item["id"] for item in listing.json()["items"]]


def blob_keys(digest: str) -> list[str]:
    fan = f"{digest[:2]}/{digest[2:4]}/{digest}"
    return [f"originals/{fan}", f"previews/{fan}.webp", f"thumbnails/{fan}.webp"]


def test_core_flow(mode: Mode) -> None:
    server = mode.server
    alice = mode.browser("alice")
    bob = mode.script("bob")
    me = alice.get("/api/v1/me").json()["user"]
    assert me["username"] == "alice" and me["is_admin"] is True
    assert bob.get("/api/v1/me").json()["user"]["is_admin"] is False

    # upload: two through the page, one through the API, then a repeat
    page = upload(alice, FIRST, SECOND, caption="Two at once", api=False)
    assert page.status_code == 201, page.text
    api = upload(bob, THIRD, caption="From a script")
    assert api.status_code == 201, api.text
    again = upload(alice, FIRST)
    assert again.status_code == 200 and again.json()["items"][0]["duplicate"] is True
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (FIRST, SECOND, THIRD)}
    assert mode.stored() == sorted(k for d in digests.values() for k in blob_keys(d))
    assert server.temp_files() == []

    # feed: newest first, on the page and in the API
    ids = photo_ids(alice)
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    feed = parse(alice.get("/").text)
    shown = {e.get("src") for e in feed.find_all("img")}
    assert all(any(f"/media/{i}/" in (src or "") for src in shown) for i in ids)
    assert "From a script" in parse(alice.get(f"/photos/{ids[0]}").text).text  # bob's, last
    listed = {item["id"]: item for item in alice.get("/api/v1/photos").json()["items"]}
    first = next(i for i in ids if listed[i].get("sha256") == digests[FIRST.name])
    assert "sha256" not in listed[ids[0]]  # bob's: its digest is his alone

    # media: renditions, the original whole, in ranges, as a download; guests kept out
    original = FIRST.read_bytes()
    thumb = alice.get(f"/media/{first}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    assert thumb.content[:4] == b"RIFF" and thumb.content[8:12] == b"WEBP"
    preview = bob.get(f"/media/{first}/preview")
    assert preview.status_code == 200 and len(preview.content) > len(thumb.content)
    whole = alice.get(f"/media/{first}/original")
    assert whole.status_code == 200 and whole.content == original
    assert whole.headers["content-disposition"].startswith("attachment;")
    assert FIRST.name in whole.headers["content-disposition"]
    part = alice.get(f"/media/{first}/original", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.content == original[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(original)}"
    tail = alice.get(f"/media/{first}/original", headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == original[-500:]
    after = alice.get(f"/media/{first}/original", headers={"Range": f"bytes={len(original) - 10}-"})
    assert after.status_code == 206 and after.content == original[-10:]
    beyond = alice.get(f"/media/{first}/original", headers={"Range": f"bytes={len(original)}-"})
    assert beyond.status_code == 416
    cached = alice.get(
        f"/media/{first}/thumbnail", headers={"If-None-Match": thumb.headers["etag"]}
    )
    assert cached.status_code == 304
    assert server.client().get(f"/media/{first}/original").status_code == 401

    # comments: bob comments on alice's photo, alice sees it and removes it
    said = bob.post(f"/api/v1/photos/{first}/comments", json={"text": "Lovely light"})
    assert said.status_code == 201, said.text
    assert "Lovely light" in parse(alice.get(f"/photos/{first}").text).text
    removed = form_post(alice, f"/comments/{said.json()['id']}/delete")
    assert removed.status_code in (200, 303)
    assert alice.get(f"/api/v1/photos/{first}/comments").json()["items"] == []

    # likes
    liked = bob.put(f"/api/v1/photos/{first}/like")
    assert liked.json() == {"liked": True, "like_count": 1}
    assert alice.get(f"/api/v1/photos/{first}").json()["like_count"] == 1
    assert bob.delete(f"/api/v1/photos/{first}/like").json()["like_count"] == 0

    # delete: bob may not, alice may; the photo waits in her trash with its files (bob sees
    # it no more), and leaves the store when she empties the trash
    assert bob.delete(f"/api/v1/photos/{first}").status_code == 403
    everything = mode.stored()
    gone = form_post(alice, f"/photos/{first}/delete")
    assert gone.status_code in (200, 303)
    assert bob.get(f"/media/{first}/original").status_code == 404
    assert alice.get(f"/api/v1/photos/{first}").status_code == 404
    assert mode.stored() == everything and server.count("photos") == 3
    assert form_post(alice, "/trash/empty").status_code == 303
    assert alice.get(f"/media/{first}/original").status_code == 404
    kept = [digests[SECOND.name], digests[THIRD.name]]
    assert mode.stored() == sorted(k for d in kept for k in blob_keys(d))
    assert server.count("photos") == 2

    # sign out ends the session in every mode
    assert form_post(alice, "/logout").status_code == 303
    assert alice.get("/api/v1/me").status_code == 401
    assert bob.post("/api/v1/auth/logout").status_code == 204
    assert bob.get("/api/v1/me").status_code == 401
