"""Setting a photo right over HTTP: PATCH taken_at and rotation (their shapes and refusals,
owner only, nothing half done), a turn that leaves the original's bytes alone, swaps the
served renditions' size, changes the media URLs and ETags and removes the old renditions (from
a folder and from a bucket); a full disk refusing a turn with 507 and changing nothing; the
photo page's Rotate and date taken forms; verify clean, and repairing a turn's renditions."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from photoarchive.media.images import describe
from photoarchive.storage import original_key, rendition_key
from tests.cloud import S3Server
from tests.processes import ServerProcess, run_cli
from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    fill,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    sqlite_only,
    upload,
)
from tests.test_store_failure import server_on_small_disk  # noqa: F401  # a fixture

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PHOTO = PHOTOS / "cameras" / "Nikon_D70.jpg"
FULL_DISK_PHOTO = PHOTOS / "cameras" / "Reconyx_HC500_Hyperfire.jpg"  # a preview of ~180 KiB


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("owner", "other")) as server:
        yield server


def uploaded(client: httpx.Client, path: Path = PHOTO) -> dict[str, object]:
    answer = upload(client, path)
    assert answer.status_code == 201, answer.text
    item = answer.json()["items"][0]
    assert isinstance(item, dict)
    return client.get(f"/api/v1/photos/{item['id']}").json()  # type: ignore[no-any-return]


def test_a_turn_keeps_the_original_and_serves_turned_renditions_under_new_urls(
    archive: LiveServer,
) -> None:
    owner = api_login(archive, "owner")
    before = uploaded(owner)
    photo_id, digest = before["id"], hashlib.sha256(PHOTO.read_bytes()).hexdigest()
    assert before["rotation"] == 0 and before["sha256"] == digest
    width, height = before["width"], before["height"]
    assert width > height  # a landscape camera photo
    old_thumb = owner.get(f"/media/{photo_id}/thumbnail")
    old_size = describe(old_thumb.content)[1]

    turned = owner.patch(f"/api/v1/photos/{photo_id}", json={"rotation": 90})
    assert turned.status_code == 200, turned.text
    after = turned.json()
    assert (after["rotation"], after["width"], after["height"]) == (90, height, width)
    urls, old_urls = after["urls"], before["urls"]
    assert isinstance(urls, dict) and isinstance(old_urls, dict)
    assert all(urls[name] != old_urls[name] for name in ("thumbnail", "preview"))
    thumb = owner.get(urls["thumbnail"])
    assert describe(thumb.content)[1] == old_size[::-1]
    assert thumb.headers["etag"] != old_thumb.headers["etag"]
    preview = describe(owner.get(urls["preview"]).content)[1]
    assert preview[0] < preview[1]
    # The original is the same bytes, served and stored.
    assert hashlib.sha256(owner.get(urls["original"]).content).hexdigest() == digest
    blobs = archive.settings.blob_dir
    assert hashlib.sha256((blobs / original_key(digest)).read_bytes()).hexdigest() == digest
    # The renditions of the way it was are gone; the turned ones are there.
    for name in ("thumbnail", "preview"):
        assert not (blobs / rendition_key(digest, name)).exists()
        assert (blobs / rendition_key(digest, name, 90)).is_file()
    # Everyone who sees the photo sees it turned.
    seen = api_login(archive, "other").get(f"/api/v1/photos/{photo_id}").json()
    assert seen["rotation"] == 90 and seen["urls"]["thumbnail"] == urls["thumbnail"]
    if not archive.settings.database_url:  # verify reads a SQLite archive only, for now
        checked = run_cli(archive.settings.data_dir, "verify", "--checksums")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "0 problems" in checked.stdout


def test_an_address_from_before_a_turn_is_never_kept_for_good(archive: LiveServer) -> None:
    """Media addresses carry the photo's version (`?v=`), and what they send is cached for a
    year. An address of the photo as it was (a page drawn before a turn, a tile not scrolled
    to yet) is answered with the photo as it is: kept, a turn undone brought that address back
    and the browser showed the photo turned for a year. It is asked again each time; the
    current address stays kept. The same through the renditions' front door (a browser's
    cookie) and the route (an API token)."""
    owner = api_login(archive, "owner")
    browser = sign_up_client(archive, "owner")
    before = uploaded(owner)
    turned = owner.patch(f"/api/v1/photos/{before['id']}", json={"rotation": 90}).json()
    old_urls, urls = before["urls"], turned["urls"]
    assert isinstance(old_urls, dict) and isinstance(urls, dict)
    for client in (owner, browser):
        for name in ("thumbnail", "preview"):
            stale = client.get(old_urls[name])
            assert stale.status_code == 200
            assert stale.headers["cache-control"] == "private, no-cache"
            current = client.get(urls[name])
            assert "immutable" in current.headers["cache-control"]
            assert stale.content == current.content  # the photo as it is, either way
            bare = client.get(urls[name].split("?")[0])
            assert bare.headers["cache-control"] == "private, no-cache"


@sqlite_only  # verify reads a SQLite archive only, for now
def test_verify_regenerates_a_lost_turned_rendition_turned(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    photo = uploaded(owner)
    owner.patch(f"/api/v1/photos/{photo['id']}", json={"rotation": 270})
    digest = str(photo["sha256"])
    lost = archive.settings.blob_dir / rendition_key(digest, "thumbnail", 270)
    size = describe(lost.read_bytes())[1]
    lost.unlink()
    repaired = run_cli(archive.settings.data_dir, "verify", "--repair")
    assert rendition_key(digest, "thumbnail", 270) in repaired.stdout
    assert describe(lost.read_bytes())[1] == size


def test_patch_taken_at_and_rotation_shapes_and_refusals(archive: LiveServer) -> None:
    owner, other = api_login(archive, "owner"), api_login(archive, "other")
    photo = uploaded(owner)
    url = f"/api/v1/photos/{photo['id']}"
    for sent, kept in (
        ("2024-07-01T14:03:00", "2024-07-01T14:03:00"),
        ("2024-07-01T14:03:00+02:00", "2024-07-01T14:03:00+02:00"),
        (None, None),
    ):
        answer = owner.patch(url, json={"taken_at": sent})
        assert answer.status_code == 200 and answer.json()["taken_at"] == kept
    owner.patch(url, json={"taken_at": "2020-01-02T03:04:05"})
    for body, field in (
        ({"taken_at": "last summer"}, "taken_at"),
        ({"taken_at": "2024-02-30T10:00:00"}, "taken_at"),
        ({"taken_at": "2999-01-01T00:00:00"}, "taken_at"),
        ({"rotation": 45}, "rotation"),
        ({"rotation": 360}, "rotation"),
        ({"rotation": -90}, "rotation"),
        # A refused value refuses the whole edit: the caption is not changed either.
        ({"caption": "changed", "rotation": 91}, "rotation"),
    ):
        refused = owner.patch(url, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["field"] == field and refused.json()["detail"]
    # Not a number at all: the body's shape is wrong, as for any field (400).
    assert owner.patch(url, json={"rotation": "ninety"}).status_code == 400
    assert owner.patch(url, json={}).status_code == 422
    now = owner.get(url).json()
    assert (now["caption"], now["rotation"], now["taken_at"]) == ("", 0, "2020-01-02T03:04:05")
    # Another member sees the photo but may not change it; a private one is not there for them.
    assert other.patch(url, json={"rotation": 90}).status_code == 403
    assert other.patch(url, json={"taken_at": None}).status_code == 403
    assert archive.client().patch(url, json={"rotation": 90}).status_code == 401
    assert owner.patch(url, json={"visibility": "private"}).status_code == 200
    assert other.patch(url, json={"rotation": 90}).status_code == 404
    assert other.patch(url, json={"taken_at": None}).status_code == 404
    assert owner.get(url).json()["rotation"] == 0


def test_the_photo_page_turns_it_and_edits_its_date(archive: LiveServer) -> None:
    owner = sign_up_client(archive, "owner")
    photo = uploaded(api_login(archive, "owner"))
    page_url = f"/photos/{photo['id']}"
    page = parse(owner.get(page_url).text)
    # The buttons turn it a quarter from where it stands when the turn is made.
    assert page.find_all("button", name="turn", value="right")
    assert page.find_all("button", name="turn", value="left")
    assert page.find_all("input", type="datetime-local", name="taken_at")
    # Without the form's token nothing happens.
    forged = owner.post(f"{page_url}/rotation", data={"turn": "right"})
    assert forged.status_code == 403
    turned = form_post(owner, f"{page_url}/rotation", {"turn": "left", "from": "feed"})
    assert turned.status_code == 303 and turned.headers["location"] == f"{page_url}?from=feed"
    api = f"/api/v1/photos/{photo['id']}"
    assert owner.get(api).json()["rotation"] == 270
    # Each click turns on from where the photo stands (at once: tests/test_photo_fixes.py).
    for _ in range(2):
        assert form_post(owner, f"{page_url}/rotation", {"turn": "right"}).status_code == 303
    assert owner.get(api).json()["rotation"] == 90
    refused = form_post(owner, f"{page_url}/rotation", {"turn": "up"})
    assert refused.status_code == 422 and "left or right" in refused.text
    # A page drawn before the buttons said `turn` asks for where the photo ends up.
    assert form_post(owner, f"{page_url}/rotation", {"rotation": "180"}).status_code == 303
    assert owner.get(api).json()["rotation"] == 180
    assert form_post(owner, f"{page_url}/rotation", {"rotation": "abc"}).status_code == 422
    assert owner.get(api).json()["rotation"] == 180
    dated = form_post(
        owner, f"{page_url}/taken", {"taken_at": "2024-07-01T14:03", "offset": "+02:00"}
    )
    assert dated.status_code == 303
    assert owner.get(f"/api/v1/photos/{photo['id']}").json()["taken_at"] == (
        "2024-07-01T14:03:00+02:00"
    )
    page = owner.get(page_url).text
    assert 'value="2024-07-01T14:03:00"' in page and 'name="offset" value="+02:00"' in page
    assert (
        form_post(owner, f"{page_url}/taken", {"taken_at": "2999-01-01T00:00"}).status_code == 422
    )
    assert form_post(owner, f"{page_url}/taken", {"taken_at": ""}).status_code == 303
    assert owner.get(f"/api/v1/photos/{photo['id']}").json()["taken_at"] is None
    # On its page htmx swaps the photo in; in the modal the form opens the page instead.
    assert parse(owner.get(page_url).text).find_all("form", class_="rotate-form")[0]["hx-post"]
    in_modal = owner.get(page_url, headers={"HX-Request": "true", "HX-Target": "modal"}).text
    assert "hx-post" not in str(parse(in_modal).find_all("form", class_="rotate-form")[0])
    # Another member's page of it has no such controls.
    theirs = sign_up_client(archive, "other").get(page_url).text
    assert "Rotate right" not in theirs and "Edit date taken" not in theirs


def sign_up_client(server: LiveServer, name: str) -> httpx.Client:
    """A browser-like client signed in as `name` (signed up by the fixture)."""
    client = server.client()
    signed = form_post(client, "/login", {"login": name, "password": "correct horse battery"})
    assert signed.status_code == 303, signed.text
    return client


def test_a_turn_in_a_bucket_keeps_the_original_and_removes_the_old_renditions(
    rclone: S3Server, tmp_path: Path
) -> None:
    bucket = rclone.new_bucket()
    settings = make_settings(tmp_path / "data", **rclone.settings(bucket))
    digest = hashlib.sha256(PHOTO.read_bytes()).hexdigest()
    with live_server(settings) as server:
        sign_up(server, "owner")
        owner = api_login(server, "owner")
        photo = uploaded(owner)
        turned = owner.patch(f"/api/v1/photos/{photo['id']}", json={"rotation": 180})
        assert turned.status_code == 200, turned.text
        assert server.temp_files() == []
        original = owner.get(turned.json()["urls"]["original"]).content
    assert hashlib.sha256(original).hexdigest() == digest
    keys = set(rclone.keys(bucket, "archive/"))
    assert original_key(digest) in keys
    assert rendition_key(digest, "preview", 180) in keys
    assert rendition_key(digest, "preview") not in keys


@sqlite_only  # verify reads a SQLite archive only, for now
def test_verify_deletes_a_rendition_of_a_turn_no_photo_is_shown_at(archive: LiveServer) -> None:
    """A rendition left over from a turn (its delete failed) is a leftover, though the photo
    and its original are still there."""
    owner = api_login(archive, "owner")
    photo = uploaded(owner)
    owner.patch(f"/api/v1/photos/{photo['id']}", json={"rotation": 90})
    digest = str(photo["sha256"])
    left = archive.settings.blob_dir / rendition_key(digest, "thumbnail")
    left.write_bytes(
        (archive.settings.blob_dir / rendition_key(digest, "thumbnail", 90)).read_bytes()
    )
    hours_ago = time.time() - 2 * 3600
    os.utime(left, (hours_ago, hours_ago))
    found = run_cli(archive.settings.data_dir, "verify")
    assert found.returncode != 0 and rendition_key(digest, "thumbnail") in found.stdout
    repaired = run_cli(archive.settings.data_dir, "verify", "--repair")
    assert "deleted" in repaired.stdout and not left.exists()
    assert (archive.settings.blob_dir / rendition_key(digest, "thumbnail", 90)).is_file()


def test_a_full_disk_refuses_a_turn_with_507_and_changes_nothing(
    request: pytest.FixtureRequest,
) -> None:
    small: tuple[ServerProcess, Path] = request.getfixturevalue("server_on_small_disk")
    server, disk = small
    owner = api_login(server, "alice")
    data = FULL_DISK_PHOTO.read_bytes()
    photo = owner.post("/api/v1/photos", files=[("file", ("big.jpg", data))]).json()["items"][0]
    files = {path: path.read_bytes() for path in server.blobs()}
    ballast = fill(disk, 4 * 4096)  # less room than a preview
    refused = owner.patch(f"/api/v1/photos/{photo['id']}", json={"rotation": 90})
    assert refused.status_code == 507, refused.text
    assert "not rotated" in refused.json()["detail"]
    assert owner.get(f"/api/v1/photos/{photo['id']}").json()["rotation"] == 0
    assert {path: path.read_bytes() for path in server.blobs()} == files
    assert server.temp_files() == []
    ballast.unlink()
    turned = owner.patch(f"/api/v1/photos/{photo['id']}", json={"rotation": 90})
    assert turned.status_code == 200 and turned.json()["rotation"] == 90


def test_a_link_holder_gets_the_turned_photo(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    photo = uploaded(owner)
    owner.patch(f"/api/v1/photos/{photo['id']}", json={"rotation": 270})
    made = owner.post("/api/v1/shares", json={"photo_ids": [photo["id"]]})
    assert made.status_code == 201, made.text
    guest = archive.client()
    held = guest.get(f"/api/v1/s/{made.json()['token']}").json()["items"][0]
    assert (held["rotation"], held["width"], held["height"]) == (
        270,
        photo["height"],
        photo["width"],
    )
    thumbnail = guest.get(held["urls"]["thumbnail"])
    assert thumbnail.status_code == 200
    shown = describe(thumbnail.content)[1]
    assert shown[0] < shown[1]  # the landscape photo, turned upright
