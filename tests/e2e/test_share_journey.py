"""A password share link in a real browser, on a laptop and a phone (issue 17's "done when"):
alice makes an album, puts photos in it from their pages (one of them private), and shares it
from the album's page with a password and downloads allowed. Someone with no account opens the
link in a fresh browser: the password form, a wrong password refused, the right one; the grid,
a photo, the zip (the private photo in it, the location blanked). Alice turns the link off on
the album's page: the holder's next page load, and a media URL they had, are 404."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.e2e.conftest import VIEWPORTS, Server, sign_up
from tests.e2e.test_quality import violations
from tests.support import PHOTOS

# Share links, read and written through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

LINK_PASSWORD = "grandma's secret"
GPS = PHOTOS / "gps" / "DSCN0010.jpg"
FILES = (GPS, PHOTOS / "cameras" / "Canon_40D.jpg", PHOTOS / "cameras" / "Nikon_D70.jpg")
PRIVATE = 1  # the index in FILES of the photo alice makes private
# Whether an element is in the window, below the sticky top bar.
IN_VIEW = """(element) => {
  const box = element.getBoundingClientRect();
  const bar = document.querySelector('.topbar').getBoundingClientRect();
  return box.top >= bar.bottom && box.bottom <= innerHeight;
}"""
GPS_IFD = 0x8825
GPS_LATITUDE = 2


def latitude(data: bytes) -> Any:
    """The GPS latitude in a JPEG's EXIF, or None; blanked copies keep none that is not zero."""
    with Image.open(io.BytesIO(data)) as image:
        value = image.getexif().get_ifd(GPS_IFD).get(GPS_LATITUDE)
    return None if value is None or not any(float(part) for part in value) else value


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_password_link_is_made_opened_downloaded_and_turned_off(
    server: Server, new_context: Any, axe_source: str, viewport: str, tmp_path: Path
) -> None:
    size = VIEWPORTS[viewport]
    alice = new_context(size).new_page()
    sign_up(alice, server.url, "alice")
    api = server.api("alice")
    ids = []
    for path in FILES:
        kept = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
        ids.append(kept.json()["items"][0]["id"])

    alice.goto(f"{server.url}/albums")
    alice.click(".album-new summary")
    alice.fill("#new-album-title", "Summer at <Grandma's>")
    alice.click(".album-new button[type=submit]")
    alice.wait_for_url("**/albums/*")
    album_url = alice.url.split("?")[0]
    album_id = album_url.rsplit("/", 1)[1]

    for index, photo_id in enumerate(ids):  # on each photo's page
        alice.goto(f"{server.url}/photos/{photo_id}")
        if index == PRIVATE:
            alice.check('.visibility-form input[value="private"]')
            alice.click(".visibility-form button[type=submit]")
            alice.wait_for_url(f"**/photos/{photo_id}?saved=visibility#visibility-{photo_id}")
            assert alice.get_by_role("img", name="Private").count() == 1
        alice.select_option(f"#add-to-album-{photo_id}", album_id)
        alice.click(".add-to-album button[type=submit]")
        alice.wait_for_url(f"**/albums/{album_id}?saved=added")
    assert alice.locator("#album-items .grid-item").count() == len(ids)

    # Share it from the album's page: a password, downloads allowed.
    form = alice.locator(f"#share-{album_id}")
    form.locator("summary").click()
    form.get_by_label("Password (optional)").fill(LINK_PASSWORD)
    form.get_by_label("Allow downloading the originals").check()
    form.get_by_role("button", name="Make the link").click()
    alice.wait_for_url(f"{album_url}?saved=share#album-share-notice")
    # The notice is where the page landed: in view, below the top bar.
    notice = alice.locator("#album-share-notice")
    assert "Your link is made" in notice.inner_text()
    assert alice.evaluate(IN_VIEW, notice.element_handle()), alice.viewport_size
    (link_field,) = alice.locator("#album-share input.share-url").all()
    link = link_field.input_value()
    assert link.startswith(f"{server.url}/s/")
    assert link_field.get_attribute("readonly") is not None
    assert alice.locator("#album-share .share-link", has_text="password").count() == 1
    assert violations(alice, axe_source) == []

    # Someone with no account, no cookies: a fresh browser context.
    holder_context = new_context(size)
    holder = holder_context.new_page()
    assert holder.goto(link).status == 200
    assert holder.locator("#unlock-form").count() == 1
    assert holder.locator("img").count() == 0
    assert violations(holder, axe_source) == []
    holder.fill("#password", "not the password")
    with holder.expect_response(f"{link}/unlock") as refused:
        holder.click("#unlock-form button[type=submit]")
    assert refused.value.status == 401
    assert holder.locator("#unlock-error").count() == 1
    assert holder.locator("img").count() == 0
    holder.fill("#password", LINK_PASSWORD)
    holder.click("#unlock-form button[type=submit]")
    holder.wait_for_url(link)
    assert holder.get_by_role("heading", name="Summer at <Grandma's>").count() == 1
    shown = holder.locator("#share-grid .grid-item").evaluate_all(
        "items => items.map(i => Number(i.id.replace('grid-', '')))"
    )
    assert sorted(shown) == sorted(ids)  # the private photo included
    assert violations(holder, axe_source) == []

    # A photo, large: the viewer opens over the grid and its image loads.
    holder.click(f"#grid-{ids[0]} a")
    viewer = holder.locator(f"#p-{ids[0]}")
    viewer.wait_for(state="visible")
    preview = viewer.locator("img")
    assert preview.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    media_url = f"{link}/media/{ids[0]}/preview"
    assert holder_context.request.get(media_url).status == 200
    viewer.get_by_role("link", name="Close").click()
    viewer.wait_for(state="hidden")
    # With a keyboard (share.js): an arrow steps to the neighbour in the grid's order, Esc
    # closes the viewer back at the photo last shown, whose link in the grid has the focus.
    holder.click(f"#grid-{ids[0]} a")
    viewer.wait_for(state="visible")
    at = shown.index(ids[0])
    key, near = (
        ("ArrowRight", shown[at + 1]) if at + 1 < len(shown) else ("ArrowLeft", shown[at - 1])
    )
    holder.keyboard.press(key)
    holder.locator(f"#p-{near}").wait_for(state="visible")
    viewer.wait_for(state="hidden")
    # The open photo has the focus, and Tab goes through its own links, never to the grid or
    # the links behind it.
    # (share.js moves the focus on hashchange, a moment after the :target view shows)
    holder.wait_for_function(f"document.activeElement.id === 'p-{near}'")
    holder.keyboard.press("Tab")
    assert holder.evaluate(f"document.activeElement.closest('#p-{near}') !== null")
    behind = "document.activeElement.closest('.share-grid, .share-head') !== null"
    for _ in range(6):
        holder.keyboard.press("Tab")
        assert not holder.evaluate(behind), holder.evaluate("document.activeElement.outerHTML")
    holder.keyboard.press("Escape")
    holder.locator(f"#p-{near}").wait_for(state="hidden")
    assert holder.evaluate("location.hash") == f"#grid-{near}"
    holder.wait_for_function(f"document.activeElement.closest('.grid-item')?.id === 'grid-{near}'")

    with holder.expect_download() as waiting:
        holder.click("#share-download")
    saved = tmp_path / "shared.zip"
    waiting.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        # The link hides camera details (not asked to show them): file names are the link's own.
        assert sorted(archive.namelist()) == sorted(f"photo-{i}.jpg" for i in ids)
        blanked = archive.read(f"photo-{ids[0]}.jpg")
    original = api.get(f"/media/{ids[0]}/original").content
    assert original == GPS.read_bytes() and latitude(original) is not None
    assert len(blanked) == len(original) and blanked != original
    assert latitude(blanked) is None

    # Alice turns the link off on the album's page.
    alice.goto(album_url)
    alice.locator("#album-share .share-link").get_by_role("button", name="Turn off").click()
    alice.wait_for_url(f"{album_url}?saved=share-revoked#album-share-notice")
    assert alice.locator("#album-share .share-link").count() == 0

    reloaded = holder.reload()
    assert reloaded is not None and reloaded.status == 404
    assert holder.locator("img").count() == 0
    assert holder_context.request.get(media_url).status == 404
