"""The list pages on a phone, where the photos run edge to edge: the words beside them (titles,
hints, buttons) keep a margin from the screen's edges, and the timeline's list of months sits
above its hint instead of over it. With scripts and without: the layout is the style sheet's."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PHONE, Server, photo_files, sign_in
from tests.e2e.test_quality import violations

# What a phone shows: the smallest gap between a word and the screen's edge.
MARGIN = 8

# Every visible heading, paragraph, label and control in the page's main part that is not a
# photo of a grid, with where its words (a control: its box) start and end across the screen.
EDGES = """() => {
    const found = [];
    const chosen = "main h1, main h2, main p, main label, main summary, main button, main a.button";
    for (const element of document.querySelectorAll(chosen)) {
        if (element.closest(".visually-hidden, .grid-item, [hidden]")) continue;
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        const style = getComputedStyle(element);
        const control = element.matches("button, a.button");
        const left = box.left + (control ? 0 : parseFloat(style.paddingLeft));
        const right = box.right - (control ? 0 : parseFloat(style.paddingRight));
        found.push([element.tagName + " " + element.innerText.trim().slice(0, 30), left, right]);
    }
    return found;
}"""


def _photos(server: Server) -> list[int]:
    api = server.api("alice")
    ids = []
    for path in photo_files("cameras/Canon_40D.jpg", "cameras/Nikon_D70.jpg"):
        answer = api.post(
            "/api/v1/photos",
            files=[("file", (path.name, path.read_bytes()))],
            data={"caption": "Grandma at the lake"},
        )
        ids.append(answer.json()["items"][0]["id"])
    album = api.post("/api/v1/albums", json={"title": "Summer at the lake"})
    assert album.status_code == 201, album.text
    added = api.post(f"/api/v1/albums/{album.json()['id']}/photos", json={"photo_ids": ids})
    assert added.status_code in (200, 204), added.text
    api.put(f"/api/v1/photos/{ids[0]}/favorite")
    api.delete(f"/api/v1/photos/{ids[1]}")  # one in the trash, with its buttons
    album_id = album.json()["id"]
    api.close()
    return [album_id, *ids]


@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_words_keep_a_margin_from_the_screen_edges_on_a_phone(
    server: Server, new_context: Any, axe_source: str, scripts: bool
) -> None:
    album_id, *_ = _photos(server)
    page = new_context(PHONE, java_script_enabled=scripts).new_page()
    sign_in(page, server.url, "alice")
    width = PHONE["width"]
    for path in (
        "/albums",
        f"/albums/{album_id}",
        "/favorites",
        "/archive",
        "/trash",
        "/search?q=grandma",
        "/search?q=nothing",
        "/places",
        "/timeline",
        "/u/alice",
    ):
        page.goto(server.url + path)
        touching = [
            f"{what} ({left:.0f} to {right:.0f})"
            for what, left, right in page.evaluate(EDGES)
            if left < MARGIN or right > width - MARGIN
        ]
        assert touching == [], f"{path}: {touching}"
    if scripts:
        assert violations(page, axe_source) == []


def test_the_timeline_months_sit_above_the_words_on_a_phone(
    server: Server, new_context: Any, axe_source: str
) -> None:
    _photos(server)
    page = new_context(PHONE).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/timeline")
    months = page.locator(".timeline-scrubber").bounding_box()
    hint = page.locator(".timeline-photos .hint").bounding_box()
    heading = page.locator("#timeline-title").bounding_box()
    assert months is not None and hint is not None and heading is not None
    # Between the page's title and the hint, each line whole: nothing drawn over the words.
    assert months["y"] >= heading["y"] + heading["height"]
    assert months["y"] + months["height"] <= hint["y"]
    assert page.locator(".timeline-months a").first.is_visible()
    assert violations(page, axe_source) == []
