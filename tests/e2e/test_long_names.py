"""The longest names people may choose, and text without a break in it, on a laptop and a phone:
names and text wrap inside their boxes, and the display name is shown where a person is named."""

from __future__ import annotations

from typing import Any

import pytest

from photoarchive.accounts.users import DISPLAY_NAME_MAX, USERNAME_MAX
from photoarchive.library.comments import TEXT_MAX
from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in

# The longest names stored and shown back through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

viewports = pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))

USERNAME = ("Bartholomew_Featherstonehaugh_" + "W" * USERNAME_MAX)[:USERNAME_MAX]
DISPLAY_NAME = "W" * DISPLAY_NAME_MAX  # the widest letter, with nowhere to break
ONE_WORD = "M" * TEXT_MAX


def no_sideways_scroll(page: Any) -> None:
    sizes = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth, document.body.scrollWidth]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[1], f"page scrolls sideways: {sizes}"


def comment_share(page: Any, scope: str) -> float:
    """How much of its line box the long comment's text gets (0 to 1)."""
    share: float = page.evaluate(
        """(scope) => {
            const text = [...document.querySelectorAll(scope + ' .comment-text')]
                .find((el) => el.textContent.length > 1000);
            const line = text.closest('.comment');
            return text.getBoundingClientRect().width / line.getBoundingClientRect().width;
        }""",
        scope,
    )
    return share


def shows_display_name(page: Any, scope: str) -> None:
    for where in (f"{scope} .card-head .owner", f"{scope} .comment .owner"):
        name = page.locator(where).first
        assert name.text_content().strip() == DISPLAY_NAME, where
        assert name.get_attribute("href") == f"/u/{USERNAME}", where


@viewports
def test_longest_names_and_unbroken_text_wrap(
    server: Server, new_context: Any, viewport: str
) -> None:
    assert len(USERNAME) == USERNAME_MAX
    api = server.api(USERNAME)
    path = photo_files("gps/DSCN0010.jpg")[0]
    photo_id = api.post(
        "/api/v1/photos",
        files=[("file", (path.name, path.read_bytes()))],
        data={"caption": ONE_WORD},
    ).json()["items"][0]["id"]
    for text in (ONE_WORD, "Lovely light."):
        assert api.post(f"/api/v1/photos/{photo_id}/comments", json={"text": text}).is_success
    api.close()

    size = VIEWPORTS[viewport]
    page = new_context(size).new_page()
    sign_in(page, server.url, USERNAME)
    page.goto(f"{server.url}/settings")
    page.fill("#display_name", DISPLAY_NAME)
    page.get_by_role("button", name="Save profile").click()
    page.locator("#settings-notice").wait_for()
    no_sideways_scroll(page)

    # The feed: the card, its caption and its comments stay inside the column.
    page.goto(server.url)
    card = f"#photo-{photo_id}"
    page.locator(card).wait_for()
    no_sideways_scroll(page)
    shows_display_name(page, card)
    nav_name = page.locator(f".nav a[href='/u/{USERNAME}']")
    assert nav_name.text_content().strip() == DISPLAY_NAME
    assert comment_share(page, card) > 0.4
    card_width = page.locator(card).bounding_box()["width"]
    assert card_width <= size["width"]

    # The photo page: the viewer is as wide as with a short name.
    page.goto(f"{server.url}/photos/{photo_id}")
    viewer = page.locator("main article.viewer")
    viewer.wait_for()
    no_sideways_scroll(page)
    assert viewer.bounding_box()["width"] <= size["width"]
    assert page.locator("main .viewer-side .card-head .owner").text_content().strip() == (
        DISPLAY_NAME
    )
    assert comment_share(page, "main") > 0.4

    # The profile, and a photo opened over it.
    page.goto(f"{server.url}/u/{USERNAME}")
    no_sideways_scroll(page)
    page.locator(f"#grid-{photo_id} a").click()
    dialog = page.locator("#modal [role=dialog]")
    dialog.wait_for()
    no_sideways_scroll(page)
    body = page.locator("#modal .modal-body").bounding_box()
    assert body["x"] >= 0 and body["x"] + body["width"] <= size["width"]
    modal_viewer = page.locator("#modal article.viewer").bounding_box()
    assert modal_viewer["width"] <= body["width"] + 0.5
    assert comment_share(page, "#modal") > 0.4
