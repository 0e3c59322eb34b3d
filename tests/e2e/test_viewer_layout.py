"""A photo's page and its modal on a laptop: the picture is in view whole, and its likes and the
favorite stay in view, however long the column beside it grows (the owner's forms, a long
thread), which scrolls by itself. Before, that column made the picture's box as tall as itself
and the picture sat far down the page, half below the window, its likes further still.
On a phone, the modal's close button leaves its header's date and lock in view; and a link to
a part of a page (#comment-N, a new album's #grid-N) shows it below the sticky top bar."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import DESKTOP, PHONE, Server, photo_files, sign_in

# Every box asked about, against the window; [] when everything is in view.
OUT_OF_VIEW = """(root) => {
  const outside = [];
  const view = { top: 0, left: 0, bottom: innerHeight, right: innerWidth };
  const within = (r, box) => r.top >= box.top - 1 && r.left >= box.left - 1
    && r.bottom <= box.bottom + 1 && r.right <= box.right + 1;
  const picture = root.querySelector('.viewer-image img');
  const frame = root.querySelector('.viewer-image').getBoundingClientRect();
  const shown = picture.getBoundingClientRect();
  if (!within(shown, view)) outside.push('the picture, against the window');
  if (!within(shown, frame)) outside.push('the picture, against its box');
  if (shown.height < 200) outside.push('the picture is too small: ' + shown.height);
  for (const part of ['.viewer-foot .like-form']) {
    const found = root.querySelector(part);
    if (!found || !within(found.getBoundingClientRect(), view)) outside.push(part);
  }
  const side = root.querySelector('.viewer-scroll');
  if (side.scrollHeight <= side.clientHeight) outside.push('the side column does not scroll');
  return outside;
}"""


def test_the_picture_and_its_likes_stay_in_view_beside_a_long_column(
    server: Server, new_context: Any
) -> None:
    alice = server.api("alice")
    ids = []
    for path in photo_files("orientation/portrait_6.jpg", "gps/DSCN0010.jpg"):
        sent = alice.post(
            "/api/v1/photos", files=[("file", (path.name, path.read_bytes()))], data={}
        )
        ids.append(sent.json()["items"][0]["id"])
    alice.close()
    bob = server.api("bob")
    for photo_id in ids:
        for n in range(12):
            said = bob.post(
                f"/api/v1/photos/{photo_id}/comments", json={"text": f"Comment {n}: " + "so " * 30}
            )
            assert said.status_code == 201, said.text
    bob.close()

    page = new_context(DESKTOP).new_page()
    sign_in(page, server.url, "alice")  # the owner: every form of hers is in the column
    for photo_id in ids:  # a tall picture and a wide one
        page.goto(f"{server.url}/photos/{photo_id}")
        page.locator("main .viewer-image img").evaluate("el => el.decode()")
        assert page.locator("main .viewer").evaluate(OUT_OF_VIEW) == [], photo_id
        assert page.evaluate("scrollY") == 0

    # The modal, in a laptop's window and in a short one (its padding counts).
    for window in (DESKTOP, {"width": 1280, "height": 620}):
        page.set_viewport_size(window)
        page.goto(server.url)
        page.locator(f"#photo-{ids[0]} .card-image").click()
        modal = page.locator("#modal .viewer")
        modal.wait_for()
        page.locator("#modal .viewer-image img").evaluate("el => el.decode()")
        assert modal.evaluate(OUT_OF_VIEW) == [], window

    # On a phone the modal is the whole window and its close button stays in the corner:
    # the header's date and a private photo's lock end before it (they lay under it when
    # the header was scrolled to the top).
    alice = server.api("alice")
    private = alice.post(
        "/api/v1/photos/bulk",
        json={"photo_ids": [ids[0]], "action": "set_visibility", "visibility": "private"},
    )
    assert private.status_code == 200 and private.json()["done"] == [ids[0]], private.text
    alice.close()
    page.set_viewport_size(PHONE)
    page.goto(f"{server.url}/u/alice")  # (the feed leaves private photos out)
    page.locator(f"#grid-{ids[0]} a").click()
    page.locator("#modal .viewer").wait_for()
    under_the_button = page.evaluate(UNDER_THE_CLOSE_BUTTON)
    assert under_the_button == [], under_the_button

    # A link to a part of a page brings it into view below the sticky top bar.
    page.goto(f"{server.url}/photos/{ids[1]}")
    comment = page.locator(f"main #photo-{ids[1]} .comment").nth(0).get_attribute("id")
    page.goto(f"{server.url}/photos/{ids[1]}#{comment}")
    gap = page.evaluate(
        f"""document.getElementById('{comment}').getBoundingClientRect().top
          - document.querySelector('.topbar').getBoundingClientRect().bottom"""
    )
    assert page.evaluate("scrollY") > 0 and gap >= 0, gap


# What in the modal's header lies under its close button, side by side ([] for nothing).
UNDER_THE_CLOSE_BUTTON = """() => {
  const close = document.querySelector('#modal .modal-close').getBoundingClientRect();
  const head = document.querySelector('#modal .viewer-side > .card-head');
  const parts = [...head.querySelectorAll('.photo-date, .private-badge, .badge, svg')];
  if (!parts.some(p => p.closest('.photo-date'))) return ['no date in the header'];
  return parts.filter(p => p.getBoundingClientRect().right > close.left)
    .map(p => p.className.baseVal ?? p.className);
}"""


def test_a_refusal_shown_over_the_photo_has_a_way_to_put_it_away(
    server: Server, new_context: Any
) -> None:
    alice = server.api("alice")
    ids = []
    for path in photo_files("cameras/Canon_40D.jpg", "cameras/Nikon_D70.jpg"):
        sent = alice.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
        ids.append(sent.json()["items"][0]["id"])
    for photo_id in ids:
        new_context.watch.expected.append(
            f"Response Status Error Code 404 from /photos/{photo_id}/like"
        )
    page = new_context(DESKTOP).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/photos/{ids[0]}")
    # Deleted from elsewhere (another tab, the API) while the page is open: liking it is refused.
    assert alice.delete(f"/api/v1/photos/{ids[0]}").status_code == 204
    with page.expect_response(f"{server.url}/photos/{ids[0]}/like") as refused:
        page.locator("main .like-form button").click()
    assert refused.value.status == 404
    messages = page.locator("#messages")
    dismiss = messages.get_by_role("button", name="Dismiss this message")
    dismiss.wait_for()
    assert "That photo does not exist (or was deleted)." in messages.inner_text()
    # The button is in view and on top (not under the top bar or the photo's column).
    box = dismiss.bounding_box()
    assert box is not None
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('.error-dismiss') !== null",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top
    dismiss.click()
    messages.wait_for(state="hidden")
    assert messages.inner_text().strip() == ""
    # The focus goes back to what had it before (the like button), not to the page.
    assert page.evaluate("document.activeElement.id") == f"like-button-{ids[0]}"

    # Over an open photo, Esc puts the message away and leaves the photo open; the next Esc
    # closes it.
    page.goto(server.url)
    page.locator(f"#photo-{ids[1]} .card-image").click()
    page.locator("#modal .viewer").wait_for()
    assert alice.delete(f"/api/v1/photos/{ids[1]}").status_code == 204
    alice.close()
    page.locator("#modal .like-form button").click()
    dismiss.wait_for()
    page.keyboard.press("Escape")
    messages.wait_for(state="hidden")
    assert page.locator("#modal .viewer").count() == 1
    # Its Dismiss button is not behind the open photo's inert page: a click reaches it.
    page.locator("#modal .like-form button").click()
    dismiss.click()
    messages.wait_for(state="hidden")
    assert page.locator("#modal .viewer").count() == 1
    page.keyboard.press("Escape")
    page.locator("#modal .viewer").wait_for(state="detached")
