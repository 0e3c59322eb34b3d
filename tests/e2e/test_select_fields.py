"""Every choice list (<select>) looks like the text fields around it: the same font, border,
corners, padding and background, on each page that has one (an album's settings and members,
a photo's "Add to album", the settings page's time zone)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import DESKTOP, Server, sign_up
from tests.test_bulk_api import jpeg

LOOKS = (
    "font-family",
    "font-size",
    "border-top-width",
    "border-top-style",
    "border-top-color",
    "border-top-left-radius",
    "padding-left",
    "padding-top",
    "background-color",
    "color",
)

_STYLES = """([selects, field, looks]) => {
  const of = (el) => {
    const style = getComputedStyle(el);
    return Object.fromEntries(looks.map((name) => [name, style.getPropertyValue(name)]));
  };
  const wanted = of(document.querySelector(field));
  return [wanted, Object.fromEntries(
    selects.map((s) => [s, of(document.querySelector(s))]))];
}"""


def _looks_alike(page: Any, selects: list[str], field: str) -> None:
    for chosen in selects:
        assert page.locator(chosen).count() == 1, chosen
    wanted, found = page.evaluate(_STYLES, [selects, field, list(LOOKS)])
    assert found == dict.fromkeys(selects, wanted)


def test_choice_lists_look_like_the_fields_beside_them(server: Server, new_context: Any) -> None:
    page = new_context(DESKTOP).new_page()
    sign_up(page, server.url, "alice")
    api = server.api("alice")
    photo_id = api.post("/api/v1/photos", files=[("file", ("a.jpg", jpeg()))]).json()["items"][0][
        "id"
    ]
    album_id = api.post("/api/v1/albums", json={"title": "Summer"}).json()["id"]

    page.goto(f"{server.url}/albums/{album_id}")
    _looks_alike(page, ["#album-sort", "#album-cover", "#member-role"], "#album-title")
    page.goto(f"{server.url}/photos/{photo_id}")
    _looks_alike(page, [f"#add-to-album-{photo_id}"], "#caption-input-" + str(photo_id))
    page.goto(f"{server.url}/settings")
    _looks_alike(page, ["#time_zone"], "input[type=email], input[type=text]")
