"""Uploading photos: every test photo accepted, originals kept byte for byte, bad files refused."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support import (
    PHOTOS,
    LiveServer,
    all_test_photos,
    api_login,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
    upload_bytes,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_every_shared_test_photo_uploads_upright_and_clean(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    paths = all_test_photos()
    assert len(paths) >= 30, f"test photos not found under {PHOTOS}"
    for path in paths:
        response = upload(client, path)
        assert response.status_code == 201, (path.name, response.text)
        photo = response.json()["items"][0]
        assert photo["sha256"] and photo["bytes"] == path.stat().st_size
        original = client.get(photo["urls"]["original"])
        assert original.status_code == 200
        assert original.content == path.read_bytes(), path.name
        for name, edge in (("thumbnail", 512), ("preview", 2048)):
            rendition = client.get(photo["urls"][name])
            assert rendition.status_code == 200
            assert rendition.headers["content-type"] == "image/webp"
            image = _image(rendition.content)
            assert max(image.size) <= edge
            assert not image.getexif(), f"{path.name} {name} carries EXIF"
            assert "exif" not in image.info and "xmp" not in image.info
            # upright: same orientation (portrait/landscape) as the stored upright size
            assert (image.width >= image.height) == (photo["width"] >= photo["height"]), path.name
    assert server.count("photos") == len(paths)


@pytest.mark.parametrize("number", range(1, 9))
def test_orientation_renditions_match_the_upright_reference(
    server: LiveServer, number: int
) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    for kind in ("landscape", "portrait"):
        reference = upload(client, PHOTOS / "orientation" / f"{kind}_1.jpg").json()["items"][0]
        rotated = upload(client, PHOTOS / "orientation" / f"{kind}_{number}.jpg").json()["items"][0]
        assert (rotated["width"], rotated["height"]) == (reference["width"], reference["height"])
        want = _image(client.get(reference["urls"]["thumbnail"]).content).convert("L")
        got = _image(client.get(rotated["urls"]["thumbnail"]).content).convert("L")
        assert got.size == want.size
        small = (32, 32)
        a, b = want.resize(small).tobytes(), got.resize(small).tobytes()
        mean_difference = sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)
        assert mean_difference < 20, f"{kind}_{number} is not upright ({mean_difference:.1f})"


def test_same_user_same_bytes_is_a_duplicate_other_user_shares_the_blob(server: LiveServer) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice, bob = api_login(server, "alice"), api_login(server, "bob")
    path = PHOTOS / "cameras" / "Canon_40D.jpg"
    first = upload(alice, path)
    again = upload(alice, path)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["items"][0]["duplicate"] is True
    assert again.json()["items"][0]["id"] == first.json()["items"][0]["id"]
    blobs_before = len(server.blobs())
    bobs = upload(bob, path)
    assert (
        bobs.status_code == 201 and bobs.json()["items"][0]["id"] != first.json()["items"][0]["id"]
    )
    assert server.count("photos") == 2
    assert len(server.blobs()) == blobs_before  # one stored original and renditions, shared
    # deleting one owner's photo for good keeps the blob the other still uses
    for client, made in ((alice, first), (bob, bobs)):
        photo_id = made.json()["items"][0]["id"]
        assert client.delete(f"/api/v1/photos/{photo_id}").status_code == 204
        assert len(server.blobs()) == blobs_before  # waiting in the trash
        assert client.delete(f"/api/v1/trash/{photo_id}").status_code == 204
        if client is alice:
            assert bob.get(bobs.json()["items"][0]["urls"]["original"]).content == path.read_bytes()
    assert server.blobs() == []


def test_originals_are_stored_under_their_hash_not_the_filename(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    photo = upload(client, PHOTOS / "gps" / "DSCN0010.jpg").json()["items"][0]
    names = [p.relative_to(server.settings.blob_dir).as_posix() for p in server.blobs()]
    digest = photo["sha256"]
    assert f"originals/{digest[:2]}/{digest[2:4]}/{digest}" in names
    assert not any("DSCN" in name for name in names)


def _assert_nothing_left(server: LiveServer) -> None:
    assert server.count("photos") == 0
    assert server.blobs() == []
    assert server.temp_files() == []


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("notes.jpg", b"this is plain text, not a picture" * 10, 415, "not a supported image"),
        (
            "page.jpg",
            b"<!doctype html><html><script>alert(1)</script></html>",
            415,
            "not a supported",
        ),
        ("doc.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", 415, "not a supported"),
        ("empty.jpg", b"", 422, "empty"),
    ],
)
def test_non_images_are_refused_and_leave_nothing(
    server: LiveServer, name: str, data: bytes, status: int, message: str
) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    response = upload_bytes(client, name, data)
    assert response.status_code == status
    body = response.json()
    assert body["errors"][0]["filename"] == name
    assert message in body["errors"][0]["detail"]
    _assert_nothing_left(server)


def test_truncated_jpeg_is_refused_with_422(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    data = (PHOTOS / "gps" / "DSCN0010.jpg").read_bytes()
    response = upload_bytes(client, "cut.jpg", data[: len(data) * 7 // 10])
    assert response.status_code == 422
    assert "damaged or truncated" in response.json()["errors"][0]["detail"]
    _assert_nothing_left(server)


def test_over_the_pixel_limit_is_refused_without_decoding(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path, max_pixels=10_000)) as server:
        sign_up(server, "alice")
        client = api_login(server, "alice")
        buffer = io.BytesIO()
        Image.new("RGB", (200, 200), "red").save(buffer, "PNG")
        response = upload_bytes(client, "big.png", buffer.getvalue())
        assert response.status_code == 422
        assert "limit is 10,000" in response.json()["errors"][0]["detail"]
        _assert_nothing_left(server)


def test_over_the_byte_limit_is_413_and_leaves_nothing(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path, max_upload_mb=1)) as server:
        sign_up(server, "alice")
        client = api_login(server, "alice")
        response = upload_bytes(client, "huge.jpg", b"\xff\xd8" + b"\0" * (1024 * 1024 + 10))
        assert response.status_code == 413
        assert "1 MB limit: nothing sent with it was saved" in response.json()["detail"]
        _assert_nothing_left(server)


def test_one_bad_file_among_good_ones_is_reported_per_file(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    good = PHOTOS / "cameras" / "Nikon_D70.jpg"
    files = [
        ("file", ("good.jpg", good.read_bytes(), "image/jpeg")),
        ("file", ("bad.jpg", b"nope" * 100, "image/jpeg")),
    ]
    response = client.post("/api/v1/photos", files=files, data={"caption": "trip"})
    assert response.status_code == 201
    body = response.json()
    assert [p["caption"] for p in body["items"]] == ["trip"]
    assert body["errors"] == [
        {"filename": "bad.jpg", "status": 415, "detail": body["errors"][0]["detail"]}
    ]
    assert server.temp_files() == []


def test_caption_limit_and_metadata(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    too_long = upload(client, PHOTOS / "cameras" / "Canon_40D.jpg", caption="x" * 2201)
    assert too_long.status_code == 422 and "2,200" in too_long.json()["detail"]
    _assert_nothing_left(server)
    photo = upload(client, PHOTOS / "cameras" / "Canon_40D.jpg", caption="y" * 2200).json()[
        "items"
    ][0]
    assert photo["camera"] == "Canon EOS 40D"
    assert photo["taken_at"].startswith("2008-05-30T15:56:01")
    assert photo["content_type"] == "image/jpeg"


def test_media_headers_range_and_download_name(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    path = PHOTOS / "gps" / "DSCN0012.jpg"
    photo = upload(client, path).json()["items"][0]
    data = path.read_bytes()
    original = client.get(photo["urls"]["original"])
    assert original.headers["content-type"] == "image/jpeg"
    assert original.headers["x-content-type-options"] == "nosniff"
    assert original.headers["content-disposition"].startswith("attachment;")
    assert "DSCN0012.jpg" in original.headers["content-disposition"]
    etag = original.headers["etag"]
    assert client.get(photo["urls"]["original"], headers={"if-none-match": etag}).status_code == 304
    part = client.get(photo["urls"]["original"], headers={"range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    tail = client.get(photo["urls"]["original"], headers={"range": "bytes=-10"})
    assert tail.content == data[-10:]
    bad = client.get(photo["urls"]["original"], headers={"range": f"bytes={len(data) + 5}-"})
    assert bad.status_code == 416
    thumb = client.get(photo["urls"]["thumbnail"])
    assert "immutable" in thumb.headers["cache-control"]
    # Not the original: its bytes are the viewer's (location blanked for all but its owner),
    # so a browser two accounts share asks again, and the ETag decides.
    assert original.headers["cache-control"] == "private, no-cache"


def test_an_original_kept_by_a_shared_browser_is_not_replayed_to_the_next_account(
    server: LiveServer,
) -> None:
    """Its owner's original holds the place it was taken; anyone else's copy has it blanked.
    A browser both use keeps the owner's (no-cache: kept, but asked for again), and the
    other's request with the owner's ETag gets the blanked bytes, not a 304."""
    alice = sign_up(server, "alice")
    sign_up(server, "bob")
    photo = upload(alice, PHOTOS / "gps" / "DSCN0010.jpg").json()["items"][0]
    url = photo["urls"]["original"]
    owners = alice.get(url)
    assert owners.status_code == 200 and owners.headers["cache-control"] == "private, no-cache"
    bob = api_login(server, "bob")
    replayed = bob.get(url, headers={"if-none-match": owners.headers["etag"]})
    assert replayed.status_code == 200
    assert replayed.headers["etag"] != owners.headers["etag"]
    assert replayed.content != owners.content and len(replayed.content) == len(owners.content)


def test_no_javascript_upload_form_works_with_the_form_token(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    path = PHOTOS / "cameras" / "Pentax_K10D.jpg"
    from tests.support import csrf

    token = csrf(alice)
    response = alice.post(
        "/upload",
        data={"_csrf_token": token, "caption": "from the form"},
        files=[("file", (path.name, path.read_bytes(), "image/jpeg"))],
    )
    assert response.status_code == 201
    page = parse(response.text)
    assert "uploaded" in page.text and "Pentax_K10D.jpg" in page.text
    assert server.count("photos") == 1
    # without the token the same form is refused and nothing is kept
    missing = alice.post(
        "/upload",
        data={"caption": "x"},
        files=[("file", ("b.jpg", path.read_bytes(), "image/jpeg"))],
    )
    assert missing.status_code == 403
    assert server.count("photos") == 1 and server.temp_files() == []
    # a browser submitting without choosing a file sends an empty, unnamed file part
    nothing = alice.post(
        "/upload",
        data={"_csrf_token": token, "caption": "x"},
        files=[("file", ("", b"", "application/octet-stream"))],
    )
    assert nothing.status_code == 400
    assert "Choose at least one photo" in parse(nothing.text).text


def test_media_urls_change_when_a_deleted_photos_id_is_reused(
    server: LiveServer, engine: str
) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    first = upload(client, PHOTOS / "cameras" / "Canon_40D.jpg").json()["items"][0]
    assert client.delete(f"/api/v1/photos/{first['id']}").status_code == 204
    assert client.delete(f"/api/v1/trash/{first['id']}").status_code == 204  # for good
    second = upload(client, PHOTOS / "cameras" / "Nikon_D70.jpg").json()["items"][0]
    # renditions are cached as immutable: the same URL must never show other bytes
    if engine == "sqlite":  # SQLite reuses the highest rowid once it is free (PostgreSQL never)
        assert second["id"] == first["id"]
    assert second["urls"]["thumbnail"] != first["urls"]["thumbnail"]
    assert client.get(second["urls"]["thumbnail"]).status_code == 200
    # and a re-upload of the very same bytes is a new photo with URLs of its own
    assert client.delete(f"/api/v1/photos/{second['id']}").status_code == 204
    assert client.delete(f"/api/v1/trash/{second['id']}").status_code == 204
    third = upload(client, PHOTOS / "cameras" / "Nikon_D70.jpg").json()["items"][0]
    assert third["id"] == second["id"] or engine == "postgres"
    assert third["urls"]["thumbnail"] != second["urls"]["thumbnail"]


def test_a_form_part_in_an_unknown_charset_is_read_as_utf8(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    path = PHOTOS / "cameras" / "Canon_40D.jpg"
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="caption"\r\n'
            "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/api/v1/photos",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["items"][0]["caption"] == "hello"


def test_a_blob_missing_from_the_store_is_a_clear_404(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    photo = upload(client, PHOTOS / "cameras" / "Canon_40D.jpg").json()["items"][0]
    digest = photo["sha256"]
    original = server.settings.blob_dir / "originals" / digest[:2] / digest[2:4] / digest
    original.unlink()
    response = client.get(photo["urls"]["original"])
    assert response.status_code == 404
    assert response.json()["detail"] == "This file is missing from the store."


def test_a_reupload_fills_an_empty_caption_and_keeps_a_written_one(server: LiveServer) -> None:
    sign_up(server, "alice")
    client = api_login(server, "alice")
    path = PHOTOS / "cameras" / "Kodak_CX7530.jpg"
    first = upload(client, path).json()["items"][0]
    assert first["caption"] == ""
    # Sent again with a caption: the photo had none, so it takes this one, and says so.
    again = upload(client, path, caption="Grandma's garden")
    assert again.status_code == 200
    body = again.json()
    assert body["items"][0]["id"] == first["id"] and body["items"][0]["duplicate"] is True
    assert body["items"][0]["caption"] == "Grandma's garden"
    assert body["results"][0]["outcome"] == "duplicate"
    assert body["results"][0]["detail"] == "Already in your archive; it has your caption."
    # Sent once more with other words: the caption someone wrote stays, and the answer says
    # the new one was not applied.
    other = upload(client, path, caption="Summer batch").json()
    assert other["items"][0]["caption"] == "Grandma's garden"
    assert "yours was not applied" in other["results"][0]["detail"]
    # Without a caption nothing changes and nothing is said about captions.
    plain = upload(client, path).json()
    assert plain["items"][0]["caption"] == "Grandma's garden"
    assert plain["results"][0]["detail"] == "Already in your archive."
    assert client.get(f"/api/v1/photos/{first['id']}").json()["caption"] == "Grandma's garden"
    assert server.count("photos") == 1


def test_a_reupload_says_when_it_keeps_who_sees_the_photo(server: LiveServer) -> None:
    """A duplicate keeps its visibility (as its caption): someone who chose Private for a
    photo already seen by the family is told so, not left to believe it is private now."""
    sign_up(server, "alice")
    client = api_login(server, "alice")
    path = PHOTOS / "cameras" / "Canon_40D.jpg"
    photo_id = upload(client, path).json()["items"][0]["id"]

    def again(visibility: str) -> dict[str, Any]:
        files = [("file", (path.name, path.read_bytes(), "image/jpeg"))]
        answer = client.post("/api/v1/photos", files=files, data={"visibility": visibility})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    private = again("private")
    assert private["items"][0]["visibility"] == "family"
    assert private["results"][0]["detail"] == (
        "Already in your archive. It stays seen by the family, not private: make it private"
        " on its page."
    )
    assert again("family")["results"][0]["detail"] == "Already in your archive."
    made = client.patch(f"/api/v1/photos/{photo_id}", json={"visibility": "private"})
    assert made.status_code == 200, made.text
    assert "It stays private" in again("family")["results"][0]["detail"]
    assert again("private")["results"][0]["detail"] == "Already in your archive."


def test_another_persons_caption_is_never_touched_by_a_reupload(server: LiveServer) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice, bob = api_login(server, "alice"), api_login(server, "bob")
    path = PHOTOS / "cameras" / "Kodak_CX7530.jpg"
    alices = upload(alice, path).json()["items"][0]
    bobs = upload(bob, path, caption="Bob's words")
    assert bobs.status_code == 201  # a photo of bob's own, not a duplicate of alice's
    assert alice.get(f"/api/v1/photos/{alices['id']}").json()["caption"] == ""


def test_no_javascript_form_tells_what_became_of_a_duplicates_caption(
    server: LiveServer,
) -> None:
    alice = sign_up(server, "alice")
    from tests.support import csrf

    token = csrf(alice)
    kept, empty = PHOTOS / "cameras" / "Canon_40D.jpg", PHOTOS / "cameras" / "Nikon_D70.jpg"
    client = api_login(server, "alice")
    upload(client, kept, caption="Our first camera")
    upload(client, empty)
    response = alice.post(
        "/upload",
        data={"_csrf_token": token, "caption": "Holiday"},
        files=[
            ("file", (kept.name, kept.read_bytes(), "image/jpeg")),
            ("file", (empty.name, empty.read_bytes(), "image/jpeg")),
        ],
    )
    assert response.status_code == 200
    page = parse(response.text)
    outcomes = [li.get("data-outcome") for li in page.find_all("li")]
    assert outcomes.count("duplicate") == 2
    text = page.text.replace(" :", ":")  # the name is a link: its own text node
    assert f"{kept.name}: Already in your archive with a caption of its own" in text
    assert f"{empty.name}: Already in your archive; it has your caption." in text
    feed = client.get("/api/v1/photos").json()["items"]
    assert sorted(p["caption"] for p in feed) == ["Holiday", "Our first camera"]


@pytest.fixture
def crashing_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose ingestion fails on our side (a decoder crashing on it)."""
    from photoarchive.library import ingest

    real_add = ingest.add

    async def add(
        svc: object,
        owner: object,
        incoming: object,
        caption: str,
        adding: object = None,
        *,
        private: bool = False,
    ) -> object:
        if "crash" in getattr(incoming, "filename", ""):
            raise RuntimeError("the decoder fell over")
        return await real_add(svc, owner, incoming, caption, adding, private=private)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "add", add)


def test_no_javascript_form_tells_a_failure_on_our_side_from_a_refusal(
    tmp_path: Path, crashing_decoder: None
) -> None:
    with live_server(make_settings(tmp_path / "data")) as server:
        alice = sign_up(server, "alice")
        from tests.support import csrf

        good = PHOTOS / "cameras" / "Pentax_K10D.jpg"
        response = alice.post(
            "/upload",
            data={"_csrf_token": csrf(alice), "caption": "Grandma at 90"},
            files=[
                ("file", ("crash.jpg", good.read_bytes(), "image/jpeg")),
                ("file", ("notes.jpg", b"plain words, not a picture" * 10, "image/jpeg")),
                ("file", (good.name, good.read_bytes(), "image/jpeg")),
            ],
        )
        assert response.status_code == 201
        page = parse(response.text)
        lines = [li for li in page.find_all("li") if "data-outcome" in li]
        # The outcomes of the JSON answer; a failure on our side is also marked as worth retrying.
        assert [li["data-outcome"] for li in lines] == ["refused", "refused", "kept"]
        assert [li.get("data-retryable") for li in lines] == ["true", None, None]
        assert [li.get("class") for li in lines] == ["failed", "refused", "ok"]
        text = page.text.replace(" :", ":")  # the name is set in bold: its own text node
        assert "crash.jpg: failed (500)" in text and "Choose it again to retry" in text
        assert "notes.jpg: refused (415)" in text
        # The file to choose again goes with the caption it was sent with, which is offered
        # again although another file was kept.
        assert page.find_all("textarea", id="caption")
        assert '<textarea id="caption" name="caption"' in response.text
        assert ">Grandma at 90</textarea>" in response.text
