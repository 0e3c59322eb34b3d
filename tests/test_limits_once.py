"""Each limit is written once, in the Python module that enforces it.

Templates and scripts get the limits handed down (Jinja's `limits`, the upload form's
`data-max-bytes` and its file input's `accept`), so none of them may write a limit's number or
a format list by hand; and the pages really carry the values the server enforces.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from photoarchive.accounts import cognito, users
from photoarchive.library import comments, photos, usage
from photoarchive.media.images import FORMATS, UPLOAD_FORMATS
from tests.support import (
    REPO,
    LiveServer,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload_bytes,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

SOURCES = sorted([*(REPO / "templates").rglob("*.html"), *(REPO / "static" / "js").glob("*.js")])
UPLOAD_LABELS = [label for labels in UPLOAD_FORMATS.values() for label in labels]


def written_by_hand() -> list[re.Pattern[str]]:
    patterns = [
        # An input's bounds come from `limits`, never a number in the markup.
        re.compile(r"""\b(?:max|min)length=["']?\d"""),
        re.compile(r"""\b(?:pattern|accept)=["'](?!\{\{)"""),
        # The format names the upload page lists, in the order the module gives them.
        re.compile(r"\b" + r"\W+".join(map(re.escape, list(UPLOAD_FORMATS)[:3]))),
    ]
    # (Bounds as small as 8 or 1,024 are everyday numbers: `maxlength=` above catches those.)
    for number in (photos.CAPTION_MAX, comments.TEXT_MAX):
        patterns.append(re.compile(rf"(?<![\w.]){number:,}(?!\d)".replace(",", ",?")))
    for label in UPLOAD_LABELS:
        # `image/jpeg` anywhere; a name ending only as a listed one (`.heic"`, `.heic,`, `heic|`).
        if label.startswith("."):
            patterns.append(re.compile(rf"""{re.escape(label)}(?=["',|)\]]|$)""", re.MULTILINE))
            patterns.append(re.compile(rf"""[(|]{re.escape(label[1:])}[|)]"""))
        else:
            patterns.append(re.compile(re.escape(label)))
    return patterns


@pytest.mark.parametrize("source", SOURCES, ids=lambda path: path.name)
def test_no_limit_or_format_list_is_written_by_hand(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    found = [
        f"line {text.count(chr(10), 0, match.start()) + 1}: {match.group(0)!r}"
        for pattern in written_by_hand()
        for match in pattern.finditer(text)
    ]
    assert not found, f"{source.relative_to(REPO)} writes limits by hand: {found}"


def test_the_check_above_finds_what_it_looks_for() -> None:
    # The markup these files had before the limits were handed down.
    before = (
        '<textarea name="caption" maxlength="2200"></textarea>'
        '<input name="text" maxlength="2000">'
        '<input type="file" accept="image/jpeg,image/png,.heic,.heif,.avif">'
        "<small>JPEG, PNG, WebP, GIF, HEIC or AVIF</small>"
        "var ACCEPTED_NAMES = /\\.(jpe?g|png|webp|gif|heic|heif|avif)$/i;"
    )
    caught = {match.group(0) for pattern in written_by_hand() for match in pattern.finditer(before)}
    for expected in ('maxlength="2', "2200", "2000", 'accept="', "image/png", ".heic", "|png|"):
        assert any(expected in found for found in caught), expected
    assert any(found.startswith("JPEG") for found in caught)


def test_every_format_the_server_opens_is_offered() -> None:
    offered = {label for label in UPLOAD_LABELS if not label.startswith(".")}
    assert set(FORMATS.values()) <= offered


def test_the_pages_carry_the_limits_the_server_enforces(tmp_path: Path) -> None:
    # A bound unlike the default, so the page cannot be right by accident.
    settings = make_settings(tmp_path / "data", max_upload_mb=3)
    with live_server(settings) as server:
        check_pages(server, settings.max_upload_bytes)


def check_pages(server: LiveServer, max_upload_bytes: int) -> None:
    signup = parse(server.client().get("/signup").text)
    (username,) = signup.find_all("input", id="username")
    assert username["minlength"] == str(users.USERNAME_MIN)
    assert username["maxlength"] == str(users.USERNAME_MAX)
    assert re.fullmatch(username["pattern"] or "", "a" * users.USERNAME_MAX)
    assert username["pattern"] == users.USERNAME_PATTERN
    (password,) = signup.find_all("input", id="password")
    assert password["minlength"] == str(users.PASSWORD_MIN)
    assert password["maxlength"] == str(users.PASSWORD_MAX)
    (email,) = signup.find_all("input", id="email")
    assert email["maxlength"] == str(users.EMAIL_MAX)

    alice = sign_up(server, "alice")
    page = parse(alice.get("/upload").text)
    (form,) = page.find_all("form", id="upload-form")
    assert form["data-max-bytes"] == str(max_upload_bytes)
    (file_input,) = page.find_all("input", id="file")
    assert (file_input["accept"] or "").split(",") == sorted(
        UPLOAD_LABELS, key=lambda label: label.startswith(".")
    )
    (caption,) = page.find_all("textarea", id="caption")
    assert caption["maxlength"] == str(photos.CAPTION_MAX)
    assert ", ".join(list(UPLOAD_FORMATS)[:-1]) in page.text
    assert f"up to {usage.size_text(max_upload_bytes)} each" in page.text  # "3 MB", no ".0"

    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(buffer, "JPEG")
    photo_id = upload_bytes(alice, "red.jpg", buffer.getvalue()).json()["items"][0]["id"]
    photo_page = parse(alice.get(f"/photos/{photo_id}").text)
    (caption_edit,) = photo_page.find_all("textarea", id=f"caption-input-{photo_id}")
    assert caption_edit["maxlength"] == str(photos.CAPTION_MAX)
    (comment,) = photo_page.find_all("input", id=f"comment-text-{photo_id}")
    assert comment["maxlength"] == str(comments.TEXT_MAX)

    settings_page = parse(alice.get("/settings").text)
    (display_name,) = settings_page.find_all("input", id="display_name")
    assert display_name["maxlength"] == str(users.DISPLAY_NAME_MAX)
    confirm = parse(server.client().get("/confirm").text)
    codes = confirm.find_all("input", id="code")
    assert all(code["maxlength"] == str(cognito.CODE_MAX) for code in codes)
