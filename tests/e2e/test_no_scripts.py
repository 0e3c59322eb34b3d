"""Liking and commenting with scripts off, in a real browser on a phone: from the feed the
person comes back to the feed at the photo (not to the photo's own page), and on a photo
opened from the feed the page comes back with its way through the feed still there."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import PHONE, Server, photo_files, sign_in


def test_like_and_comment_without_scripts_keep_the_persons_place(
    server: Server, new_context: Any
) -> None:
    api = server.api("alice")
    ids = []
    for path in photo_files("cameras/Canon_40D.jpg", "cameras/Nikon_D70.jpg"):
        answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
        ids.append(answer.json()["items"][0]["id"])
    api.close()
    server.api("bob").close()
    older, newer = ids
    page = new_context(PHONE, java_script_enabled=False).new_page()
    sign_in(page, server.url, "bob")

    page.locator(f"#like-{older} button.like").click()
    page.wait_for_url(f"{server.url}/#photo-{older}")
    assert page.locator(f"#like-{older} button.like").get_attribute("aria-pressed") == "true"
    page.fill(f"#comment-text-{older}", "What a day")
    page.locator(f"#comments-{older} .comment-form button[type=submit]").click()
    page.wait_for_url(f"{server.url}/#comments-{older}")
    assert "What a day" in page.inner_text(f"#comments-{older}")

    page.goto(f"{server.url}/photos/{newer}?from=feed")
    page.locator(f"#like-{newer} button.like").click()
    page.wait_for_url(f"{server.url}/photos/{newer}?from=feed")
    assert page.locator(f"#like-{newer} button.like").get_attribute("aria-pressed") == "true"
    # Still on the way through the feed: the next photo is one step away.
    page.locator("a.viewer-next").click()
    page.wait_for_url(f"{server.url}/photos/{older}?from=feed")
