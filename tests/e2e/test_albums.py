"""An album in a real browser, on a laptop and a phone: its owner makes it, adds photos from
their pages (one of them private), shares it with a member as a viewer; the member finds it
under /albums, sees the private photo in it, steps through it with previous and next, and
downloads the zip."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, sign_up
from tests.e2e.test_quality import violations
from tests.support import PHOTOS

# Albums and their members, read and written through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

NAMES = ("Canon_40D.jpg", "Nikon_D70.jpg", "Pentax_K10D.jpg")


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_an_album_is_made_filled_shared_walked_and_downloaded(
    server: Server, new_context: Any, axe_source: str, viewport: str, tmp_path: Path
) -> None:
    owner = new_context(VIEWPORTS[viewport]).new_page()
    sign_up(owner, server.url, "alice")
    member = new_context(VIEWPORTS[viewport]).new_page()
    sign_up(member, server.url, "bob")
    api = server.api("alice")
    ids = []
    for name in NAMES:
        kept = api.post(
            "/api/v1/photos", files=[("file", (name, (PHOTOS / "cameras" / name).read_bytes()))]
        )
        ids.append(kept.json()["items"][0]["id"])
    api.patch(f"/api/v1/photos/{ids[1]}", json={"visibility": "private"})

    owner.goto(f"{server.url}/albums")
    assert violations(owner, axe_source) == []
    owner.click(".album-new summary")
    owner.fill("#new-album-title", "Holidays & <friends>")
    owner.click(".album-new button[type=submit]")
    owner.wait_for_url("**/albums/*")
    album_url = owner.url.split("?")[0]
    album_id = album_url.rsplit("/", 1)[1]

    for photo_id in ids:  # "Add to album" on each photo's page
        owner.goto(f"{server.url}/photos/{photo_id}")
        owner.select_option(f"#add-to-album-{photo_id}", album_id)
        owner.click(".add-to-album button[type=submit]")
        owner.wait_for_url(f"**/albums/{album_id}?saved=added")
    assert owner.locator("#album-items .grid-item").count() == 3

    owner.fill("#member-username", "bob")
    owner.select_option("#member-role", "viewer")
    owner.click(".member-add button[type=submit]")
    # The members list comes back in place (htmx), bob in it.
    owner.locator(".member-list li", has_text="bob").wait_for()
    assert owner.locator(".member-list li", has_text="bob").count() == 1
    assert violations(owner, axe_source) == []

    member.goto(f"{server.url}/albums")
    assert violations(member, axe_source) == []
    member.click(f"#album-{album_id} a")
    member.wait_for_url(album_url)
    assert member.get_by_role("heading", name="Holidays & <friends>").count() == 1
    shown = [
        int(v)
        for v in member.locator("#album-items .grid-item").evaluate_all(
            "items => items.map(i => i.dataset.photoId)"
        )
    ]
    assert sorted(shown) == sorted(ids)
    assert member.locator(f"#grid-{ids[1]}").get_by_role("img", name="Private").count() == 1
    assert violations(member, axe_source) == []

    # Step through the album in its order, on the photo's own page.
    member.goto(f"{server.url}/photos/{shown[0]}?from=album:{album_id}")
    walked = [shown[0]]
    while member.locator("a[rel=next]").count():
        member.click("a[rel=next]")
        member.wait_for_url(f"**/photos/{shown[len(walked)]}?from=album:{album_id}")
        walked.append(shown[len(walked)])
    assert walked == shown
    member.click("a[rel=prev]")
    member.wait_for_url(f"**/photos/{shown[-2]}?from=album:{album_id}")

    member.goto(album_url)
    with member.expect_download() as waiting:
        member.click(f"a[href='/api/v1/albums/{album_id}/download']")
    download = waiting.value
    assert download.suggested_filename.endswith(".zip")
    saved = tmp_path / "album.zip"
    download.save_as(saved)
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
        assert sorted(archive.namelist()) == sorted(NAMES)
