"""A link to one photo, made from that photo's page, over HTTP: its owner finds the share form
there (Settings says to look for it there), nobody else does, and what the form makes is a link
to that photo alone, listed on Settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    browser,
    form_post,
    parse,
    uploaded,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERA = PHOTOS / "cameras" / "Canon_40D.jpg"


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("owner", "other")) as server:
        yield server


def share_form(html: str, photo_id: int) -> list[dict[str, str | None]]:
    """The hidden `photo_ids` of the share forms on a page that name this photo."""
    page = parse(html)
    if not page.find_all("form", action="/shares"):
        return []
    return [
        f
        for f in page.find_all("input", name="photo_ids", type="hidden")
        if f.get("value") == str(photo_id)
    ]


def test_a_photo_s_owner_shares_it_from_its_page(archive: LiveServer) -> None:
    owner = browser(archive, "owner")
    photo_id = uploaded(api_login(archive, "owner"), CAMERA)
    # Settings points there before any link exists.
    assert "from a photo of yours" in parse(owner.get("/settings").text).text
    page = owner.get(f"/photos/{photo_id}")
    assert page.status_code == 200 and share_form(page.text, photo_id)
    # Family members see the photo, not a way to share what is not theirs.
    seen = browser(archive, "other").get(f"/photos/{photo_id}")
    assert seen.status_code == 200 and not parse(seen.text).find_all("form", action="/shares")

    made = form_post(owner, "/shares", {"photo_ids": str(photo_id), "allow_download": "1"})
    assert made.status_code == 303 and made.headers["location"].startswith("/settings")
    (link,) = api_login(archive, "owner").get("/api/v1/shares").json()["items"]
    assert link["kind"] == "photos" and link["photo_count"] == 1
    listed = parse(owner.get("/settings").text)
    assert [f["value"] for f in listed.find_all("input", class_="share-url")] == [link["url"]]
    held = archive.client().get(f"/api/v1/s/{link['token']}").json()["items"]
    assert [item["id"] for item in held] == [photo_id]
