"""Search in a real browser, on a laptop and a phone: words typed into the header's box and
Enter show the matching photos in the grid (an accent and a word's start are enough), the box
keeps the words, and a refused filter says what is wrong beside the page's box."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in
from tests.e2e.test_long_names import no_sideways_scroll
from tests.e2e.test_quality import violations


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_type_in_the_header_press_enter_see_results(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    found, other = photo_files("cameras/Canon_40D.jpg", "cameras/Nikon_D70.jpg")
    answer = api.post(
        "/api/v1/photos",
        files=[("file", (found.name, found.read_bytes()))],
        data={"caption": "Birthday at the Café"},
    )
    photo_id = answer.json()["items"][0]["id"]
    api.post(
        "/api/v1/photos",
        files=[("file", (other.name, other.read_bytes()))],
        data={"caption": "Harbour at dusk"},
    )
    api.close()
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")

    no_sideways_scroll(page)  # the box fits beside the links, on a phone too
    box = page.get_by_role("search").get_by_label("Search photos").first
    assert box.is_visible()
    box.fill("cafe birth")
    box.press("Enter")
    page.wait_for_url("**/search?q=cafe+birth")
    assert page.locator(".grid-item").count() == 1
    assert page.locator(f"#grid-{photo_id}").count() == 1
    assert page.input_value("#nav-search-q") == "cafe birth"
    no_sideways_scroll(page)
    assert violations(page, axe_source) == []

    box = page.locator("#nav-search-q")
    box.fill("year:soon")
    box.press("Enter")
    page.wait_for_url("**/search?q=year%3Asoon")
    assert "year:" in page.locator("#search-error").inner_text()
    assert violations(page, axe_source) == []
