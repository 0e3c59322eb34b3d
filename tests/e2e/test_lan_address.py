"""A family's box reached by plain http at a name of its own on the LAN (http://photos.lan), on a
laptop and a phone: a share link's password form opens the link.

Its page is sent with `Referrer-Policy: no-referrer`, so the browser posts the form with
`Origin: null`, and Chromium sends Sec-Fetch-Site only to https or localhost addresses. This
browser resolves photos.lan to 127.0.0.1, where the server listens: to it, the box is on the LAN."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS, WAIT_SECONDS, Server
from tests.e2e.test_quality import violations
from tests.support import PHOTOS

LINK_PASSWORD = "grandma's secret"
LAN = "photos.lan"


@pytest.fixture
def lan_browser(browser: Any) -> Iterator[Any]:
    """A Chromium of its own, for whom photos.lan is this machine."""
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {LAN} 127.0.0.1"],
    )
    yield chromium
    chromium.close()


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_password_link_opens_at_a_lan_address(
    server: Server, lan_browser: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    photo = PHOTOS / "cameras" / "Canon_40D.jpg"
    kept = api.post("/api/v1/photos", files=[("file", (photo.name, photo.read_bytes()))])
    photo_id = kept.json()["items"][0]["id"]
    made = api.post("/api/v1/shares", json={"photo_ids": [photo_id], "password": LINK_PASSWORD})
    assert made.status_code == 201, made.text
    link = f"http://{LAN}:{server.port}/s/{made.json()['url'].rsplit('/s/', 1)[1]}"

    context = lan_browser.new_context(viewport=VIEWPORTS[viewport])
    context.set_default_timeout(WAIT_SECONDS * 1000)
    holder = context.new_page()
    problems: list[str] = []
    holder.on("pageerror", lambda error: problems.append(str(error)))
    assert holder.goto(link).status == 200
    assert violations(holder, axe_source) == []
    holder.fill("#password", LINK_PASSWORD)
    with holder.expect_response(f"{link}/unlock") as answer:
        holder.click("#unlock-form button[type=submit]")
    # What the browser said of where the form came from: nothing but a hidden origin.
    sent = answer.value.request.all_headers()
    assert sent.get("origin") == "null" and "sec-fetch-site" not in sent
    assert answer.value.status == 303
    holder.wait_for_url(link)
    assert holder.locator(f"#share-grid #grid-{photo_id}").count() == 1
    assert violations(holder, axe_source) == []
    assert problems == []
    context.close()
