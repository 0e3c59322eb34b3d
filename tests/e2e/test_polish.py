"""Small things a careful team does not leave: the keyboard keeps its place on Like, and the
archive has an icon (no 404 for /favicon.ico in the console of every page)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PHOTOS, VIEWPORTS, Server, photo_files, sign_in, wait_until

# The pages and likes, read and written through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

viewports = pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))


@viewports
def test_enter_on_like_keeps_the_focus_and_says_the_state(
    server: Server, new_context: Any, viewport: str
) -> None:
    api = server.api("alice")
    path = photo_files("gps/DSCN0010.jpg")[0]
    answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    photo_id = answer.json()["items"][0]["id"]
    api.close()
    server.api("bob").close()

    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "bob")
    button = page.locator(f"#like-{photo_id} button.like")
    button.focus()
    assert button.get_attribute("aria-pressed") == "false"
    page.keyboard.press("Enter")
    page.locator(f"#like-{photo_id} button.like.liked").wait_for()
    liked = page.locator(f"#like-{photo_id} button.like")
    assert liked.get_attribute("aria-pressed") == "true"
    assert liked.get_attribute("aria-label") == "Unlike"
    # The swapped-in button has the focus, so Enter again undoes it.
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert focused == f"like-button-{photo_id}"
    page.keyboard.press("Enter")
    page.locator(f"#like-{photo_id} button.like:not(.liked)").wait_for()
    assert page.locator(f"#like-{photo_id} button.like").get_attribute("aria-pressed") == "false"
    assert page.evaluate("document.activeElement.id") == f"like-button-{photo_id}"

    # In the photo window over its card (a second like form on the page): the same.
    page.locator(f"#photo-{photo_id} a.card-image").click()
    window = f"#modal #like-{photo_id}-open"
    # htmx takes up new content once it has settled (a person is never that quick).
    settled = "!document.querySelector('.htmx-settling, .htmx-swapping')"
    page.locator(f"{window} button.like").focus()
    wait_until(page, settled)
    for pressed in ("true", "false"):
        page.keyboard.press("Enter")
        page.locator(f"{window} button.like[aria-pressed={pressed}]").wait_for()
        wait_until(page, settled)
        assert page.evaluate("document.activeElement.id") == f"like-button-{photo_id}-open"
        likers = page.locator(f"#modal #liked-by-{photo_id}")  # follows, outside the form
        if pressed == "true":
            assert likers.is_visible() and "Liked by bob" in likers.inner_text()
        else:
            assert likers.is_hidden()
    assert page.locator(f"#like-{photo_id}").count() == 1  # the card's, ids unique


def test_a_button_whose_part_is_swapped_leaves_the_focus_nearby(
    server: Server, new_context: Any
) -> None:
    """Save caption, Post and a comment's Delete are replaced with their part of the page:
    the focus goes to that part's next sensible place, not to the page's start."""
    api = server.api("alice")
    path = photo_files("gps/DSCN0010.jpg")[0]
    answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    photo_id = answer.json()["items"][0]["id"]
    api.close()
    page = new_context().new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/photos/{photo_id}")
    focused = "document.activeElement && document.activeElement.matches(arguments[0])"

    def pressed_then_focus(button: str, where: str) -> None:
        page.locator(button).focus()
        wait_until(page, "!document.querySelector('.htmx-settling, .htmx-swapping')")
        page.keyboard.press("Enter")
        wait_until(page, focused.replace("arguments[0]", repr(where)))

    page.locator(f"#caption-{photo_id} summary").click()
    page.fill(f"#caption-input-{photo_id}", "Lighthouse at dusk")
    pressed_then_focus(f"#caption-{photo_id} button[type=submit]", f"#caption-{photo_id} summary")
    assert "Lighthouse at dusk" in page.locator(f"#caption-{photo_id}").inner_text()

    comment = f"#comment-text-{photo_id}"
    page.fill(comment, "The sky!")
    pressed_then_focus(f"#comments-{photo_id} .comment-form button", comment)
    page.locator(f"#comments-{photo_id} .comment", has_text="The sky!").wait_for()
    pressed_then_focus(f"#comments-{photo_id} .comment button.danger", comment)
    assert page.locator(f"#comments-{photo_id} .comment").count() == 0


def test_the_archive_has_an_icon(server: Server, new_context: Any) -> None:
    icon = httpx.get(f"{server.url}/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.lstrip().startswith(b"<svg")
    page = new_context().new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{server.url}/login")
    href = page.locator("link[rel=icon]").get_attribute("href")
    assert href is not None
    linked = httpx.get(f"{server.url}{href}")
    assert linked.status_code == 200 and linked.headers["content-type"].startswith("image/svg")
    page.goto(f"{server.url}/favicon.ico")
    assert not failed, failed


def fits_the_screen(page: Any) -> None:
    """No sideways scroll, and every button inside the viewport's width."""
    overflow = page.evaluate(
        """() => {
            const width = window.innerWidth;
            const wide = document.documentElement.scrollWidth > width;
            const off = [...document.querySelectorAll('main button, main a.button')]
                .filter((b) => b.offsetParent !== null)
                .filter((b) => { const r = b.getBoundingClientRect(); return r.left < 0 || r.right > width; })
                .map((b) => b.textContent.trim());
            return {wide, off, scroll: document.documentElement.scrollWidth, width, at: location.pathname};
        }"""
    )
    assert not overflow["wide"] and not overflow["off"], (overflow["at"], overflow)


@viewports
def test_account_and_device_tables_fit_a_phone_and_disabling_asks_first(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    from tests.e2e.test_quality import violations

    server.api("admin").close()  # the first account administers the archive
    bob = server.api("bob_with_a_rather_long_name_x")
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "admin")

    page.goto(f"{server.url}/settings")
    devices = page.locator("table.sessions .device")
    assert "Chrome" in devices.first.inner_text()  # named, not "Mozilla/5.0 (X11; ..."
    assert "Mozilla/5.0" not in page.locator("table.sessions").inner_text()
    fits_the_screen(page)

    page.goto(f"{server.url}/admin")
    fits_the_screen(page)
    assert violations(page, axe_source) == []
    page.get_by_role("button", name="Disable bob_with_a_rather_long_name_x").click()
    page.locator("#disable-title").wait_for()
    fits_the_screen(page)
    assert bob.get("/api/v1/me").status_code == 200  # asked, not done
    page.get_by_role("link", name="Cancel, keep the account as it is").click()
    page.wait_for_url(f"{server.url}/admin")
    assert bob.get("/api/v1/me").status_code == 200
    page.get_by_role("button", name="Disable bob_with_a_rather_long_name_x").click()
    page.locator("#confirm-disable").click()
    page.wait_for_url(f"{server.url}/admin")
    assert bob.get("/api/v1/me").status_code == 401
    bob.close()


@viewports
def test_the_new_photos_pill_does_not_cover_the_first_card(
    server: Server, new_context: Any, viewport: str
) -> None:
    alice = server.api("alice")
    first, second = photo_files("gps/DSCN0010.jpg", "gps/DSCN0012.jpg")
    assert alice.post("/api/v1/photos", files=[("file", (first.name, first.read_bytes()))])
    server.api("bob").close()
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "bob")
    page.locator(".card-head").first.wait_for()
    wait_until(page, "document.documentElement.dataset.live === 'open'")
    sent = alice.post("/api/v1/photos", files=[("file", (second.name, second.read_bytes()))])
    assert sent.status_code == 201
    alice.close()
    page.locator("#new-photos button").wait_for(state="visible")
    pill = page.locator("#new-photos button").bounding_box()
    head = page.locator(".card-head").first.bounding_box()
    assert pill is not None and head is not None
    assert pill["y"] + pill["height"] <= head["y"], (pill, head)


@viewports
def test_the_navigation_says_what_each_entry_is_and_keeps_sign_out_in_a_menu(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    from tests.e2e.test_quality import violations

    server.api("alice").close()
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")
    nav = page.locator("nav.nav")
    for word in ("Feed", "Notifications", "Upload", "Menu"):
        label = nav.get_by_text(word, exact=True).first
        assert label.is_visible(), f"{word} is not shown as a word on a {viewport}"
        box = label.bounding_box()
        assert box is not None and box["width"] > 8 and box["height"] > 6, (word, box)
    sign_out = page.get_by_role("button", name="Sign out")
    assert not sign_out.is_visible()  # not one tap away next to Upload
    page.locator("#nav-menu summary").click()
    assert sign_out.is_visible()
    for entry in ("alice", "Settings"):
        assert page.locator(".nav-menu-items").get_by_text(entry, exact=True).is_visible()
    fits_the_screen(page)
    assert violations(page, axe_source) == []
    page.keyboard.press("Escape")
    assert not sign_out.is_visible()
    assert page.evaluate("document.activeElement.closest('summary') !== null")
    page.locator("#nav-menu summary").click()
    page.locator("main").click(position={"x": 5, "y": 5})  # a click elsewhere closes it
    assert not sign_out.is_visible()
    page.locator("#nav-menu summary").click()
    sign_out.click()
    page.wait_for_url(f"{server.url}/login?notice=signed-out")
    assert page.get_by_text("You are signed out.").is_visible()


@viewports
def test_the_upload_area_shows_where_the_keyboard_is(
    server: Server, new_context: Any, viewport: str
) -> None:
    server.api("alice").close()
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/upload")
    ring = "getComputedStyle(document.getElementById('dropzone')).outlineStyle"
    assert page.evaluate(ring) == "none"
    for _ in range(40):  # Tab through the page until the file chooser has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "file":
            break
    assert page.evaluate("document.activeElement.id") == "file"
    assert page.evaluate(ring) == "solid"
    width = page.evaluate("getComputedStyle(document.getElementById('dropzone')).outlineWidth")
    assert float(width.removesuffix("px")) >= 2


PHONE_WIDTHS = (320, 390, 412)


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_pages_fit_a_phone_of_any_common_width(
    server: Server, new_context: Any, width: int
) -> None:
    admin = server.api("admin")  # the first account administers the archive
    server.api("bob_with_a_rather_long_name_x").close()
    # Photos of many months and years: the timeline's scrubber is as long as a real one.
    for path in sorted((PHOTOS / "cameras").glob("*.jpg")):
        sent = admin.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
        assert sent.is_success, sent.text
    admin.close()
    page = new_context({"width": width, "height": 800}).new_page()
    sign_in(page, server.url, "admin")
    for path in (
        "/",
        "/timeline",
        "/admin",
        "/upload",
        "/u/admin",
        "/albums",
        "/trash",
        "/settings",
    ):
        page.goto(f"{server.url}{path}")
        fits_the_screen(page)
        # The header's search box keeps room for its placeholder's word.
        room, needed = page.locator("#nav-search-q").evaluate(
            """e => {
                const style = getComputedStyle(e);
                const pen = document.createElement("canvas").getContext("2d");
                pen.font = style.font;
                const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
                return [e.clientWidth - padding, pen.measureText(e.placeholder).width];
            }"""
        )
        assert room >= needed, (path, room, needed)
