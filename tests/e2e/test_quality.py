"""Accessibility (axe-core, both themes) and page weight, measured in the browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, Server, photo_files, sign_in, wait_until

# The pages measured over either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

SERIOUS = ("serious", "critical")


def violations(page: Any, axe_source: str) -> list[str]:
    """axe-core's serious and critical findings for the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source)  # evaluate is exempt from the page's CSP; a <script> is not
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
            }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
        for v in found
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(
    server: Server, new_context: Any, axe_source: str, scheme: str
) -> None:
    api = server.api("alice")  # the first account: an administrator
    path = photo_files("gps/DSCN0010.jpg")[0]
    photo = api.post(
        "/api/v1/photos", files=[("file", (path.name, path.read_bytes()))], data={"caption": ""}
    ).json()["items"][0]
    api.post(f"/api/v1/photos/{photo['id']}/comments", json={"text": "Lovely light."})
    api.close()

    context = new_context(DESKTOP, color_scheme=scheme)
    page = context.new_page()
    assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
    found: dict[str, list[str]] = {}
    for name in ("login", "signup"):
        page.goto(f"{server.url}/{name}")
        found[name] = violations(page, axe_source)
    page.fill("#username", "x")  # an error message on the form, announced and linked
    page.fill("#email", "x@example.org")
    page.fill("#password", "short")
    page.evaluate("document.querySelector('form.stack').noValidate = true")
    page.click("form.stack button[type=submit]")
    page.locator(".form-error").wait_for()
    found["signup with an error"] = violations(page, axe_source)

    sign_in(page, server.url, "alice")
    pages = {
        "feed": "/",
        "photo": f"/photos/{photo['id']}",
        "profile": "/u/alice",
        "upload": "/upload",
        "admin": "/admin",
    }
    for name, address in pages.items():
        page.goto(server.url + address)
        found[name] = violations(page, axe_source)
    page.goto(f"{server.url}/u/alice")
    page.locator(f"#grid-{photo['id']} a").click()
    page.locator("#modal [role=dialog]").wait_for()
    found["profile with the photo open"] = violations(page, axe_source)

    bad = {name: problems for name, problems in found.items() if problems}
    assert not bad, bad


def test_first_feed_screen_loads_renditions_within_budget(server: Server, new_context: Any) -> None:
    """30 large photos in the feed: the first screen at desktop size stays under 1.5 MB of
    images, because it loads feed-sized renditions lazily, never originals."""
    api = server.api("alice")
    big = photo_files("cameras/Reconyx_HC500_Hyperfire.jpg", "odd-exif/36-memory_error.jpg")
    originals = 0
    for n in range(30):
        source = big[n % len(big)]
        # Bytes after the JPEG's end marker are ignored by decoders: a distinct photo each time.
        data = source.read_bytes() + f"photo {n}".encode()
        originals += len(data)
        response = api.post("/api/v1/photos", files=[("file", (f"{n}.jpg", data, "image/jpeg"))])
        assert response.status_code == 201, response.text
    api.close()
    assert originals > 15 * 1024 * 1024  # the originals alone would blow the budget 10 times

    context = new_context(DESKTOP)
    page = context.new_page()
    sign_in(page, server.url, "alice")
    # Bytes on the wire per image, from Chromium's own network events (DevTools protocol).
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls: dict[str, str] = {}
    images: dict[str, int] = {}

    def received(event: dict[str, Any]) -> None:
        if event["type"] == "Image" and event["response"]["url"].startswith(server.url):
            urls[event["requestId"]] = event["response"]["url"]

    def finished(event: dict[str, Any]) -> None:
        if event["requestId"] in urls:
            images[urls[event["requestId"]]] = int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    page.goto(server.url)
    page.wait_for_load_state("networkidle")
    wait_until(page, "Array.from(document.images).slice(0, 2).every((i) => i.complete)")
    assert page.locator("#feed-items article.card").count() == 30
    total = sum(images.values())
    print(f"first feed screen at 1280x800: {len(images)} images, {total / 1024:.0f} KiB")
    assert images and all(size > 0 for size in images.values()), images
    assert not [url for url in images if url.endswith("/original")], images
    assert total <= 1.5 * 1024 * 1024, (total, images)
    # Lazy loading: far fewer than 30 images were fetched for the first screen.
    assert len(images) < 15, images
