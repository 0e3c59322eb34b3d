"""Selecting photos in a grid, in a real browser on a laptop and a phone: Select enters select
mode, a click and Space toggle a photo (no viewer opens), Shift+click selects a range, Ctrl+A
everything loaded, Esc leaves; the bar counts aloud and is axe clean while open; Archive on a
selection takes those photos out of the profile's grid and says how many it archived; Make
private puts the lock on the photo where it is; Download posts the selected ids."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, sign_in, wait_until
from tests.e2e.test_quality import violations
from tests.test_bulk_api import jpeg

# Selections archived, made private and downloaded through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

COUNT = "#grid-items-bar [data-select-count]"


def tile(index: int) -> str:
    return f"#grid-items .grid-item:nth-child({index + 1}) a"


def selected(page: Any) -> list[int]:
    return [
        int(n)
        for n in page.eval_on_selector_all(
            "#grid-items .grid-item a[aria-checked='true']",
            "links => links.map(a => a.closest('li').dataset.photoId)",
        )
    ]


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_select_toggle_range_all_escape_then_archive(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    for _ in range(6):
        sent = api.post("/api/v1/photos", files=[("file", ("p.jpg", jpeg()))])
        assert sent.status_code == 201, sent.text
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/u/alice")
    ids = [
        int(i)
        for i in page.eval_on_selector_all(
            "#grid-items .grid-item", "l => l.map(e => e.dataset.photoId)"
        )
    ]
    assert len(ids) == 6

    toggle = "#grid-items-select"
    page.wait_for_selector(toggle, state="visible")
    assert page.locator("#grid-items-bar").is_hidden()
    page.click(toggle)
    assert page.get_attribute(toggle, "aria-pressed") == "true"
    page.wait_for_selector("#grid-items-bar", state="visible")
    assert page.inner_text(COUNT) == "0 selected"
    assert page.get_attribute(COUNT, "aria-live") == "polite"

    page.click(tile(0))
    assert selected(page) == ids[:1] and page.inner_text(COUNT) == "1 selected"
    assert page.locator("#modal [data-modal]").count() == 0  # toggled, not opened
    page.click(tile(0))
    assert selected(page) == []
    page.focus(tile(1))
    page.keyboard.press("Space")
    assert selected(page) == [ids[1]]
    page.click(tile(4), modifiers=["Shift"])
    assert selected(page) == ids[1:5] and page.inner_text(COUNT) == "4 selected"
    page.keyboard.press("ControlOrMeta+a")
    assert selected(page) == ids and page.inner_text(COUNT) == "6 selected"
    assert violations(page, axe_source) == []

    page.keyboard.press("Escape")
    page.wait_for_selector("#grid-items-bar", state="hidden")
    assert page.get_attribute(toggle, "aria-pressed") == "false"
    assert page.locator("#grid-items .grid-item a[role='checkbox']").count() == 0

    page.click(toggle)
    page.click(tile(0))
    page.focus(tile(2))
    page.keyboard.press("Enter")
    assert selected(page) == [ids[0], ids[2]]
    page.click("#grid-items-bar button[data-bulk='archive']")
    wait_until(page, "document.querySelectorAll('#grid-items .grid-item').length === 4")
    status = page.locator("#grid-items-bar [data-select-status]")
    wait_until(
        page,
        "document.querySelector('#grid-items-bar [data-select-status]').textContent === '2 archived'",
    )
    assert status.get_attribute("role") == "status"
    assert page.inner_text(COUNT) == "0 selected"
    assert page.url == f"{server.url}/u/alice"
    archived = api.get("/api/v1/photos").json()["items"]
    assert sorted(p["id"] for p in archived) == sorted(set(ids) - {ids[0], ids[2]})
    assert violations(page, axe_source) == []

    # Made private, a photo stays on its owner's profile, with the lock at once.
    page.click(tile(0))
    page.click("#grid-items-bar button[data-bulk='set_visibility']:text-is('Make private')")
    page.locator(f"#grid-{ids[1]} .private-badge").wait_for()
    assert api.get(f"/api/v1/photos/{ids[1]}").json()["visibility"] == "private"
    assert page.inner_text("#grid-items-bar [data-select-status]") == "1 made private"
    api.close()

    # Download: a plain form post of the selected ids, one field each, with the form's token.
    page.click(tile(1))
    with page.expect_request(f"{server.url}/downloads") as sent:
        page.click("#grid-items-bar [data-select-download] button")
    fields = parse_qs(sent.value.post_data or "")
    assert fields["photo_ids"] == [str(ids[1]), str(ids[3])]
    assert fields["_csrf_token"] and sent.value.method == "POST"


def test_deleting_chosen_photos_asks_first(server: Server, new_context: Any) -> None:
    """Select, Ctrl+A, Delete: a whole profile went to the trash (or for good, with no trash)
    without a question. It asks first, saying how many and for how long they can be restored,
    and a No deletes nothing."""
    api = server.api("alice")
    for _ in range(3):
        sent = api.post("/api/v1/photos", files=[("file", ("p.jpg", jpeg()))])
        assert sent.status_code == 201, sent.text
    page = new_context(VIEWPORTS["desktop"]).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/u/alice")
    page.click("#grid-items-select")
    page.click(tile(0))
    page.click(tile(1))
    asked: list[str] = []

    def answer(accept: bool) -> Any:
        def on_dialog(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return on_dialog

    page.once("dialog", answer(False))
    page.click("#grid-items-bar button[data-bulk='trash']")
    wait_until(page, "true")
    assert asked == ["Move 2 photos to the trash? They can be restored for 30 days."]
    assert len(api.get("/api/v1/photos").json()["items"]) == 3

    page.once("dialog", answer(True))
    page.click("#grid-items-bar button[data-bulk='trash']")
    wait_until(page, "document.querySelectorAll('#grid-items .grid-item').length === 1")
    assert len(asked) == 2
    assert len(api.get("/api/v1/photos").json()["items"]) == 1
    api.close()
