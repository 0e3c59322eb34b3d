"""Search in a real browser, on a laptop and a phone: words typed into the header's box and
Enter show the matching photos in the grid (an accent and a word's start are enough), the box
keeps the words, and a refused filter says what is wrong beside the page's box."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in
from tests.e2e.test_long_names import no_sideways_scroll
from tests.e2e.test_quality import violations

# The journeys on both engines: the same pages over SQLite and over PostgreSQL.
pytestmark = pytest.mark.usefixtures("engine")


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


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_result_opens_and_steps_through_the_results(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    names = ("cameras/Canon_40D.jpg", "cameras/Nikon_D70.jpg", "cameras/Canon_40D.jpg")
    ids = []
    for n, path in enumerate(photo_files(*names)):
        caption = "Dusk at the harbour" if n != 1 else "Noon in the garden"
        answer = api.post(
            "/api/v1/photos",
            files=[("file", (f"{n}{path.name}", path.read_bytes() + bytes([n])))],
            data={"caption": caption},
        )
        ids.append(answer.json()["items"][0]["id"])
    api.close()
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/search?q=dusk")
    results = [
        int(str(i).removeprefix("grid-"))
        for i in page.locator(".grid-item").evaluate_all("items => items.map((item) => item.id)")
    ]
    assert sorted(results) == sorted([ids[0], ids[2]])
    page.locator(f"#grid-{results[0]} a").click()
    key = "search:dusk"
    page.locator(f"#modal article.viewer#photo-{results[0]}").wait_for()
    page.wait_for_url(f"{server.url}/photos/{results[0]}?from={key}")
    assert violations(page, axe_source) == []
    page.keyboard.press("ArrowRight")  # the next result, not the garden photo between them
    page.locator(f"#modal article.viewer#photo-{results[1]}").wait_for()
    page.wait_for_url(f"{server.url}/photos/{results[1]}?from={key}")
    assert page.get_by_role("dialog").get_by_role("link", name="Next photo").count() == 0
    assert violations(page, axe_source) == []
