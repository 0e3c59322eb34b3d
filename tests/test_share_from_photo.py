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


def test_a_private_photo_s_page_tells_its_owner_which_links_still_show_it(
    archive: LiveServer,
) -> None:
    owner = browser(archive, "owner")
    photo_id = uploaded(api_login(archive, "owner"), CAMERA)
    for _ in range(2):
        assert form_post(owner, "/shares", {"photo_ids": str(photo_id)}).status_code == 303
    made = api_login(archive, "owner").get("/api/v1/shares").json()["items"]
    family = {"visibility": "family"}
    assert form_post(owner, f"/photos/{photo_id}/visibility", family).status_code == 303
    assert "anyone with" not in parse(owner.get(f"/photos/{photo_id}").text).text  # not private

    private = {"visibility": "private"}
    assert form_post(owner, f"/photos/{photo_id}/visibility", private).status_code == 303
    page = parse(owner.get(f"/photos/{photo_id}").text)
    assert "Also seen by anyone with one of your 2 links to it" in page.text
    assert page.find_all("a", href="/settings#shared-links")
    # The link still shows it: that is what the sentence warns of.
    held = archive.client().get(f"/api/v1/s/{made[0]['token']}").json()["items"]
    assert [item["id"] for item in held] == [photo_id]

    for link in made[1:]:
        assert form_post(owner, f"/shares/{link['id']}/revoke", {}).status_code == 303
    assert (
        "Also seen by anyone with your link to it"
        in parse(owner.get(f"/photos/{photo_id}").text).text
    )
    assert form_post(owner, f"/shares/{made[0]['id']}/revoke", {}).status_code == 303
    assert "anyone with" not in parse(owner.get(f"/photos/{photo_id}").text).text
    # Nobody else is told (a private photo is not there for them at all).
    assert (
        "anyone with" not in parse(browser(archive, "other").get(f"/photos/{photo_id}").text).text
    )
