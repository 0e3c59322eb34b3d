"""An id written as text names a row only when written as the app writes ids: plain decimal
digits. `1.0`, `1e0`, ` 1`, `+1`, `01` and other scripts' digits name nothing: 404 in a path,
400 in an API query, 422 in a form field, and nothing is changed; a page's one-time notice
(`?trashed=`) is left out (db/row_ids.py, web/forms.py `row_id_field`, web/params.py
`PathIds`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from photoarchive.app import create_app
from photoarchive.db import MAX_ROWID, row_id
from photoarchive.errors import Invalid
from photoarchive.web.forms import row_id_field
from tests.state import snapshot
from tests.support import (
    PHOTOS,
    LiveServer,
    csrf,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

# Ways to write 1 that Python's int() (or a lax converter) would read as 1, and are not an id.
NOT_ONE = ["1.0", "1e0", " 1", "1 ", "+1", "01", "\u0661", "1_0", "0x1", "1\n"]


def test_row_id_reads_plain_decimal_digits_only() -> None:
    assert row_id("1") == 1
    assert row_id("17") == 17
    assert row_id(str(MAX_ROWID)) == MAX_ROWID
    for text in [*NOT_ONE, "", "0", "-1", str(MAX_ROWID + 1), "9" * 30, "one"]:
        assert row_id(text) is None, text
    for value in (None, 1, 1.0, True, b"1", ["1"]):
        assert row_id(value) is None, value


def test_a_form_field_that_is_no_id_is_refused_naming_it() -> None:
    assert row_id_field("album_id", "7", "Choose one.") == 7
    for text in NOT_ONE:
        with pytest.raises(Invalid) as refused:
            row_id_field("album_id", text, "Choose one.")
        assert refused.value.field == "album_id"
        assert refused.value.message == "Choose one."
        assert refused.value.status == 422


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[tuple[LiveServer, httpx.Client]]:
    """Alice with photo, comment, album, share, batch and session 1 each: a lax reading of a
    spelling of 1 would find them."""
    with live_server(make_settings(tmp_path / "data")) as server:
        alice = sign_up(server, "alice")
        token = {"x-csrftoken": csrf(alice)}
        photo = PHOTOS / "cameras" / "Canon_40D.jpg"
        made = alice.post(
            "/api/v1/photos", files=[("file", (photo.name, photo.read_bytes()))], headers=token
        )
        assert made.status_code == 201 and made.json()["items"][0]["id"] == 1
        assert (
            alice.post("/api/v1/photos/1/comments", json={"text": "hi"}, headers=token).json()["id"]
            == 1
        )
        album = alice.post("/api/v1/albums", json={"title": "one"}, headers=token).json()
        assert album["id"] == 1
        assert alice.post(
            "/api/v1/albums/1/photos", json={"photo_ids": [1]}, headers=token
        ).is_success
        share = alice.post("/api/v1/shares", json={"photo_ids": [1]}, headers=token)
        assert share.status_code == 201 and share.json()["id"] == 1
        yield server, alice


def test_an_id_in_a_path_not_written_as_one_is_404(
    archive: tuple[LiveServer, httpx.Client],
) -> None:
    server, alice = archive
    headers = {"x-csrftoken": csrf(alice)}
    assert alice.get("/api/v1/photos/1").status_code == 200
    assert alice.get("/photos/1").status_code == 200
    before = snapshot(server)
    checked = 0
    for route in create_app(server.settings).routes:
        if ":int}" not in route.path:
            continue
        for method in sorted(set(route.methods) - {"OPTIONS"}):
            for text in NOT_ONE:
                url = re.sub(
                    r"\{\w+:int\}", text.replace(" ", "%20").replace("\n", "%0A"), route.path
                )
                url = re.sub(r"\{(\w+):str\}", "original", url)
                answer = alice.request(method, url, headers=headers)
                assert answer.status_code == 404, (method, url, answer.status_code)
                checked += 1
    assert checked > 300
    assert not before.diff(snapshot(server))
    assert alice.get("/api/v1/photos/1").status_code == 200  # still signed in, still there
    missing = alice.get("/api/v1/photos/01")
    assert "plain digits" in missing.json()["detail"]


# (path, form fields with {id} where the id goes): the forms that name a row by its id.
FORMS = [
    ("/downloads", {"photo_ids": "{id}"}),
    ("/albums/1/photos/remove", {"photo_ids": "{id}"}),
    ("/shares", {"photo_ids": "{id}"}),
    ("/shares", {"album_id": "{id}"}),
    ("/photos/1/albums", {"album_id": "{id}"}),
    ("/albums/1/edit", {"title": "one", "sort": "taken_desc", "cover_photo_id": "{id}"}),
]


@pytest.mark.parametrize(("path", "fields"), FORMS, ids=[f"{p} {list(f)[-1]}" for p, f in FORMS])
def test_a_form_id_not_written_as_one_is_422(
    archive: tuple[LiveServer, httpx.Client], path: str, fields: dict[str, str]
) -> None:
    server, alice = archive
    (field,) = [name for name, value in fields.items() if value == "{id}"]
    before = snapshot(server)
    for text in NOT_ONE:
        refused = form_post(alice, path, {**fields, field: text})
        assert refused.status_code == 422, (text, refused.status_code)
        assert not before.diff(snapshot(server)), text
    accepted = form_post(alice, path, {**fields, field: "1"})
    assert accepted.status_code in (200, 303), accepted.text


def test_an_id_in_a_query_not_written_as_one_is_not_that_id(
    archive: tuple[LiveServer, httpx.Client],
) -> None:
    _, alice = archive
    notice = parse(alice.get("/", params={"trashed": "1"}).text).find_all(
        "div", id="trashed-notice"
    )
    assert len(notice) == 1
    assert alice.get("/api/v1/photos", params={"cursor": "2"}).status_code == 200
    for text in NOT_ONE:
        # A page's one-time notice: the page is shown, without a notice about photo 1.
        shown = alice.get("/", params={"trashed": text})
        assert shown.status_code == 200, text
        assert not parse(shown.text).find_all("div", id="trashed-notice"), text
        listed = alice.get("/api/v1/photos", params={"cursor": text})
        assert listed.status_code == 400, text
        assert listed.json() == {
            "status": 400,
            "detail": "The cursor is not valid.",
            "field": "cursor",
        }
