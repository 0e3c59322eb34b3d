"""Setting a photo right in a real browser, on a laptop and a phone: the owner turns a landscape
photo right by keyboard (htmx swaps the portrait picture in, from a new address, and the focus
stays), types the date it was taken, and turns it back without scripts; axe finds nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in, wait_until
from tests.e2e.test_quality import violations

# Turns and dates written through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

SHOWN = ".viewer-image img"
PORTRAIT = (
    "(() => { const img = document.querySelector('.viewer-image img');"
    " return img.complete && img.naturalWidth > 0 && img.naturalWidth < img.naturalHeight; })()"
)
LANDSCAPE = PORTRAIT.replace(
    "img.naturalWidth < img.naturalHeight", "img.naturalWidth > img.naturalHeight"
)


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_rotate_a_photo_and_edit_its_date(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    path = photo_files("cameras/Canon_40D.jpg")[0]  # landscape
    answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    photo_id = answer.json()["items"][0]["id"]
    api.close()
    photo_url = f"{server.url}/photos/{photo_id}"
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")

    page.goto(photo_url)
    wait_until(page, LANDSCAPE)
    before = page.get_attribute(SHOWN, "src")
    # With scripts htmx swaps the turned photo in; the focus stays on the button pressed.
    page.focus(f"#rotate-right-{photo_id}")
    page.keyboard.press("Enter")
    wait_until(page, PORTRAIT)
    assert page.get_attribute(SHOWN, "src") != before
    assert page.evaluate("document.activeElement.id") == f"rotate-right-{photo_id}"
    assert page.url == photo_url
    # Two quick clicks: the second, made while the first is under way, waits and is sent
    # after it (the form is kept through the swap): each counts. Twice, back to 90.
    double = f"(() => {{ const b = document.getElementById('rotate-right-{photo_id}');"
    double += " b.click(); b.click(); })()"
    for seen in ("-r270", "-r90"):
        page.evaluate(double)
        wait_until(page, f"document.querySelector('{SHOWN}').src.includes('{seen}')")
        wait_until(page, PORTRAIT)
    assert violations(page, axe_source) == []

    # The date taken, typed into its field.
    page.get_by_text("Edit date taken").click()
    page.get_by_label("Date taken").fill("2024-07-01T14:03")
    page.get_by_role("button", name="Save date taken").click()
    wait_until(page, "document.querySelector('.meta dd.taken').textContent.includes('2024')")
    assert page.locator(".meta dd.taken").inner_text() == "1 Jul 2024, 14:03"
    assert violations(page, axe_source) == []

    # Without scripts the same form turns it back.
    plain = new_context(VIEWPORTS[viewport], java_script_enabled=False).new_page()
    sign_in(plain, server.url, "alice")
    plain.goto(photo_url)
    plain.get_by_role("button", name="Rotate left").click()
    plain.wait_for_url(photo_url)
    assert plain.get_attribute(SHOWN, "src") == before  # as it came: its first address again
    page.reload()
    wait_until(page, LANDSCAPE)
