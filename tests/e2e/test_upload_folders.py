"""A whole folder of photos, dropped on the upload page or chosen with its folder button: the
files in it and in its folders, in path order, without the computer's own hidden files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.e2e.conftest import DESKTOP, PHONE, PHOTOS, Server, sign_up, wait_until


def holiday_folder(root: Path) -> Path:
    """Photos in a folder and a subfolder, with what computers leave beside them."""
    folder = root / "Holiday"
    (folder / "day two").mkdir(parents=True)
    (folder / ".thumbnails").mkdir()
    shutil.copy(PHOTOS / "gps/DSCN0010.jpg", folder / "b beach.jpg")
    shutil.copy(PHOTOS / "orientation/landscape_1.jpg", folder / "a arrival.jpg")
    shutil.copy(PHOTOS / "gps/DSCN0012.jpg", folder / "day two" / "c cliffs.jpg")
    shutil.copy(PHOTOS / "gps/DSCN0012.jpg", folder / ".thumbnails" / "c cliffs.jpg")
    (folder / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (folder / "._b beach.jpg").write_bytes(b"\0\5\26\7" + b"\0" * 60)  # a Mac's AppleDouble
    (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (folder / "notes.txt").write_text("what we did\n")
    (folder / "@eaDir" / "b beach.jpg").mkdir(parents=True)  # a NAS's thumbnails
    shutil.copy(
        PHOTOS / "gps/DSCN0012.jpg", folder / "@eaDir" / "b beach.jpg" / "SYNOPHOTO_THUMB_M.jpg"
    )
    shutil.copy(PHOTOS / "orientation/portrait_3.jpg", folder / "day two" / "IMG_10.jpg")
    shutil.copy(PHOTOS / "orientation/landscape_2.jpg", folder / "day two" / "IMG_9.jpg")
    return folder


# In path order as people read it: IMG_9 before IMG_10.
PHOTOS_LISTED = ["a arrival.jpg", "b beach.jpg", "c cliffs.jpg", "IMG_9.jpg", "IMG_10.jpg"]


def listed(page: Any) -> list[str]:
    return page.locator("#upload-list .upload-name").all_inner_texts()


def test_a_chosen_folder_adds_its_photos_in_path_order_and_uploads_them(
    server: Server, new_context: Any, tmp_path: Path
) -> None:
    page = new_context(DESKTOP).new_page()
    sign_up(page, server.url, "alice")
    page.goto(f"{server.url}/upload")
    assert page.locator("#upload-folder").is_visible()

    page.set_input_files("#folder", str(holiday_folder(tmp_path)))
    # Hidden files and a NAS's folders are left out, and so is a file that is no photo (said).
    assert listed(page) == PHOTOS_LISTED
    text = page.locator("#upload-progress-text")
    assert (
        text.inner_text()
        == "5 photos added from the folder. 1 file that is not a photo was left out."
    )
    assert page.locator("#upload-submit").inner_text().strip() == "Upload 5 photos"

    page.click("#upload-submit")
    wait_until(page, "document.getElementById('upload-form').dataset.finished === 'true'")
    assert "Done: 5 of 5 uploaded" in page.locator("#upload-progress-text").inner_text()
    done = page.locator("#upload-list .upload-item.done .upload-name").all_inner_texts()
    assert done == PHOTOS_LISTED
    assert len(page.request.get(f"{server.url}/api/v1/photos").json()["items"]) == 5


def test_a_dropped_folder_is_read_through_its_subfolders(
    server: Server, new_context: Any, tmp_path: Path
) -> None:
    context = new_context(DESKTOP)
    page = context.new_page()
    sign_up(page, server.url, "alice")
    page.goto(f"{server.url}/upload")
    folder = holiday_folder(tmp_path)
    # The browser's own drag and drop, as from the desktop: the folder's path, as the system
    # hands it to the browser, which reads it through its entries API.
    box = page.locator("#dropzone").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = context.new_cdp_session(page)

    def drop(path: Path) -> None:
        data = {"items": [], "files": [str(path)], "dragOperationsMask": 1}
        for kind in ("dragEnter", "dragOver", "drop"):
            cdp.send("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})

    drop(folder)
    wait_until(page, "document.querySelectorAll('#upload-list .upload-item').length === 5")
    assert listed(page) == PHOTOS_LISTED
    assert page.locator("#upload-submit").inner_text().strip() == "Upload 5 photos"

    # A folder with nothing but a computer's hidden files says so and adds nothing.
    empty = tmp_path / "Empty"
    empty.mkdir()
    (empty / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    drop(empty)
    text = page.locator("#upload-progress-text")
    wait_until(
        page, "document.getElementById('upload-progress-text').textContent.startsWith('No ')"
    )
    assert text.inner_text() == "No photos to upload in that folder."
    assert text.is_visible() and len(listed(page)) == 5


def test_a_phone_is_not_offered_a_folder(server: Server, new_context: Any) -> None:
    page = new_context(PHONE, has_touch=True, is_mobile=True).new_page()
    sign_up(page, server.url, "alice")
    page.goto(f"{server.url}/upload")
    assert page.locator("#dropzone").is_visible()
    assert page.locator("#upload-folder").is_hidden()
