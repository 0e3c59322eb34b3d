"""Places and the map in a real browser, on a laptop and a phone: a photo taken in Arezzo is
listed on /places by country and town; on /map (its tiles answered locally, never fetched from
the internet) it is a marker, and choosing the marker opens the photo. axe finds nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in, wait_until
from tests.e2e.test_quality import violations

# Places and map markers, read through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

TILES = "https://tile.openstreetmap.org/**"


def _tile() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (170, 211, 223)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_places_list_the_town_and_the_map_opens_the_photo(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    path = photo_files("gps/DSCN0010.jpg")[0]
    answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    photo_id = answer.json()["items"][0]["id"]
    api.close()
    context = new_context(VIEWPORTS[viewport])
    tiles: list[str] = []
    tile = _tile()

    def serve_tile(route: Any) -> None:
        tiles.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=tile)

    context.route(TILES, serve_tile)
    page = context.new_page()
    sign_in(page, server.url, "alice")

    page.goto(f"{server.url}/places")
    country = page.locator(".place-country h2 a")
    assert country.inner_text() == "Italy"
    assert country.get_attribute("href") == "/search?q=place%3A%22Italy%22"
    assert page.locator(".place-cities a").inner_text() == "Arezzo"
    assert violations(page, axe_source) == []

    page.goto(f"{server.url}/map")
    marker = page.locator(".leaflet-marker-icon.map-thumb")
    marker.wait_for()
    wait_until(page, "document.querySelectorAll('.leaflet-tile-loaded').length > 0")
    assert tiles and all(url.startswith("https://tile.openstreetmap.org/") for url in tiles)
    assert marker.get_attribute("src", timeout=1000) is not None
    assert violations(page, axe_source) == []
    marker.click()
    page.wait_for_url(f"{server.url}/photos/{photo_id}")
    assert page.locator("dd.place").inner_text() == "Arezzo, Italy"
