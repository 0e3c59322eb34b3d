"""Uploads over a network that drops: tried again by themselves, then on request; a caption
per photo; the page asks before it is left mid-upload. On a laptop and on a phone.

The network is Playwright's `page.route` in front of the real server: it cuts a file's first
tries off, or answers for a busy server, then lets the file through. The page's clock is
paused, so every wait between tries ends when the test says, not when a busy machine gets to it.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    VIEWPORTS,
    WAIT_SECONDS,
    Server,
    photo_files,
    sign_in,
    sign_up,
    wait_until,
)
from tests.e2e.test_quality import violations

# Uploads tried again and their captions, kept by either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

viewports = pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))

FINISHED = "document.getElementById('upload-form').dataset.finished === 'true'"
RETRYING = "document.querySelector('#upload-list .upload-item.retrying') !== null"
LONGER_THAN_ANY_BACKOFF = 61_000  # milliseconds: more than any wait the page will keep
BUSY = '{"status": 503, "detail": "The server is busy; try again later."}'


class Network:
    """What the route does with each try of each file, by the file's name: the n-th try of a
    file takes the n-th step of its plan ("drop", "busy:SECONDS", "5xx", or "pass" when the
    plan has run out). `tries` counts what reached the route; `held` keeps routes not
    answered yet, for a test to release."""

    def __init__(self, page: Any) -> None:
        self.plan: dict[str, list[str]] = {}
        self.tries: dict[str, int] = {}
        self.order: list[str] = []
        self.held: list[Any] = []
        self.hold = False
        page.route(re.compile(r"/api/v1/photos$"), self._handle)

    def _handle(self, route: Any) -> None:
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        found = re.search(rb'filename="([^"]+)"', request.post_data_buffer or b"")
        name = found.group(1).decode() if found else "?"
        self.tries[name] = self.tries.get(name, 0) + 1
        self.order.append(name)
        if self.hold:
            self.held.append(route)
            return
        steps = self.plan.get(name, [])
        step = steps[self.tries[name] - 1] if self.tries[name] <= len(steps) else "pass"
        if step == "drop":
            route.abort("connectionreset")
        elif step.startswith("busy:"):
            route.fulfill(
                status=503,
                headers={"Retry-After": step.split(":")[1], "content-type": "application/json"},
                body=BUSY,
            )
        elif step == "5xx":
            route.fulfill(status=502, content_type="text/html", body="<h1>Bad gateway</h1>")
        else:
            route.continue_()


def open_upload_page(server: Server, new_context: Callable[..., Any], viewport: str) -> Any:
    # The phone in the dark theme, the laptop in the light one: axe sees both.
    scheme = "dark" if viewport == "phone" else "light"
    page = new_context(VIEWPORTS[viewport], color_scheme=scheme).new_page()
    sign_up(page, server.url, "alice")
    # The clock is the page's own; paused once the page is there, so waits end on command.
    page.clock.install()
    page.goto(f"{server.url}/upload")
    page.clock.pause_at(int(page.evaluate("Date.now()")) + 1000)
    return page


def item(page: Any, name: str) -> Any:
    return page.locator(
        "#upload-list .upload-item", has=page.locator(".upload-name", has_text=name)
    )


def settle(page: Any, network: Network) -> None:
    """Let every wait between tries end at once, until the run is over."""
    while True:
        state = wait_until(page, f"({FINISHED}) ? 'finished' : ({RETRYING}) ? 'retrying' : ''")
        if state == "finished":
            return
        sent = len(network.order)
        page.clock.run_for(LONGER_THAN_ANY_BACKOFF)
        deadline = time.monotonic() + WAIT_SECONDS
        while len(network.order) == sent:  # the wait is over: the file is on its way again
            assert time.monotonic() < deadline, "no new try after the wait"
            page.wait_for_timeout(20)


def summary(page: Any) -> dict[str, int]:
    return page.evaluate(
        """() => Object.fromEntries(
            [...document.querySelectorAll('#upload-summary li')].map(
                (li) => [li.dataset.outcome, Number(li.dataset.count)]))"""
    )


def captions(server: Server) -> dict[str, str]:
    """What the archive holds, read through the JSON API: each photo's caption by file name."""
    with httpx.Client(base_url=server.url, timeout=60) as api:
        token = api.post(
            "/api/v1/auth/login", json={"login": "alice", "password": "correct horse battery"}
        ).json()["token"]
        items = api.get("/api/v1/photos", headers={"Authorization": f"Bearer {token}"}).json()[
            "items"
        ]
        names = {hashlib.sha256(p.read_bytes()).hexdigest(): p.name for p in photo_files(*ALL)}
        return {names[photo["sha256"]]: photo["caption"] for photo in items}


ALL = (
    "cameras/Canon_40D.jpg",
    "cameras/Nikon_D70.jpg",
    "cameras/Pentax_K10D.jpg",
    "cameras/Kodak_CX7530.jpg",
)


@viewports
def test_dropped_uploads_are_retried_then_resent_on_request(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    page = open_upload_page(server, new_context, viewport)
    network = Network(page)
    steady, shaky, cut, busy = photo_files(*ALL)
    network.plan = {
        shaky.name: ["drop"],  # one drop: the page tries again by itself
        cut.name: ["drop", "5xx", "drop", "drop"],  # every try of the first run fails
        busy.name: ["busy:1"],  # the server asks to come back in a second
    }
    page.set_input_files("#file", [str(p) for p in (steady, shaky, cut, busy)])
    # A text file dressed as a photo: the browser cannot tell, the server refuses it.
    page.set_input_files(
        "#file", files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"words" * 50}]
    )
    assert page.locator("#upload-list .upload-item").count() == 5
    # Read out as well as shown, from a live region that is always there.
    announce = page.get_by_role("status").and_(page.locator("#upload-announce"))
    assert announce.inner_text() == "1 file added."
    page.fill(f"textarea[aria-label='Caption for {steady.name}']", "Breakfast on the porch")
    page.fill(f"textarea[aria-label='Caption for {cut.name}']", "Kite day")
    page.fill("#caption", "Easter at the farm")
    assert page.get_attribute(
        f"textarea[aria-label='Caption for {shaky.name}']", "placeholder"
    ) == ("Easter at the farm")
    page.click("#upload-submit")

    # The dropped file says it will try again, and does so only when its wait is over.
    item(page, shaky.name).and_(page.locator(".retrying")).wait_for()
    assert "Trying again in" in item(page, shaky.name).inner_text()
    assert network.tries[shaky.name] == 1
    settle(page, network)

    assert network.tries == {
        steady.name: 1,
        shaky.name: 2,
        cut.name: 4,
        busy.name: 2,
        "notes.jpg": 1,
    }
    assert item(page, steady.name).get_attribute("data-outcome") == "sent"
    assert item(page, shaky.name).get_attribute("data-outcome") == "sent"
    assert item(page, busy.name).get_attribute("data-outcome") == "sent"
    failed = item(page, cut.name)
    assert failed.get_attribute("data-outcome") == "failed"
    assert "Failed: Network error" in failed.inner_text()
    refused = item(page, "notes.jpg")
    assert refused.get_attribute("data-outcome") == "refused"
    assert "Refused: " in refused.inner_text() and "not a supported image" in refused.inner_text()
    assert summary(page) == {"sent": 3, "refused": 1, "failed": 1}
    assert "notes.jpg (" in page.locator("#upload-summary li.refused").inner_text()
    text = page.locator("#upload-progress-text").inner_text()
    assert text == "Done: 3 of 5 uploaded; 1 refused, 1 failed."
    assert announce.inner_text() == text
    retry = page.locator("#upload-retry")
    assert retry.is_visible() and retry.inner_text().strip() == "Retry 1 failed"
    page.clock.resume()  # axe waits on timers of its own; from here on time runs as usual
    assert violations(page, axe_source) == []
    # Nothing new to send: Upload does not resend what failed, and says what does.
    page.click("#upload-submit")
    assert "Retry 1 failed" in page.locator("#upload-progress-text").inner_text()
    assert sum(network.tries.values()) == 10

    # The connection is back: Retry failed sends that one file, and only it.
    page.fill(f"textarea[aria-label='Caption for {cut.name}']", "Kite day, windy")
    sent_before = len(network.order)
    retry.click()
    settle(page, network)
    assert network.order[sent_before:] == [cut.name]
    assert failed.get_attribute("data-outcome") == "sent"
    assert summary(page) == {"sent": 4, "refused": 1}
    assert page.locator("#upload-progress-text").inner_text() == "Done: 4 of 5 uploaded; 1 refused."
    assert retry.is_hidden()
    assert page.locator("#upload-done").is_visible()

    # Each photo has its own caption, or the batch's when it was left empty.
    assert captions(server) == {
        steady.name: "Breakfast on the porch",
        shaky.name: "Easter at the farm",
        cut.name: "Kite day, windy",
        busy.name: "Easter at the farm",
    }
    assert violations(page, axe_source) == []
    # The Upload's caption is its post's, though the first photo sent had words of its own.
    page.goto(f"{server.url}/")
    assert page.locator(".batch-caption").inner_text().strip() == "Easter at the farm"


def test_a_busy_servers_retry_after_is_waited_for(server: Server, new_context: Any) -> None:
    page = open_upload_page(server, new_context, "desktop")
    network = Network(page)
    (photo,) = photo_files("cameras/Canon_40D.jpg")
    network.plan = {photo.name: ["busy:30"]}
    page.set_input_files("#file", str(photo))
    page.click("#upload-submit")
    item(page, photo.name).and_(page.locator(".retrying")).wait_for()
    assert "Trying again in 30 s" in item(page, photo.name).inner_text()
    page.clock.run_for(29_000)  # longer than the page's own first wait, shorter than asked
    assert network.tries[photo.name] == 1
    assert item(page, photo.name).get_attribute("class") == "upload-item retrying"
    page.clock.run_for(2_000)
    wait_until(page, FINISHED)
    assert network.tries[photo.name] == 2
    assert item(page, photo.name).get_attribute("data-outcome") == "sent"


def test_a_server_asking_for_a_long_wait_fails_the_file_at_once(
    server: Server, new_context: Any
) -> None:
    page = open_upload_page(server, new_context, "desktop")
    network = Network(page)
    (photo,) = photo_files("cameras/Canon_40D.jpg")
    network.plan = {photo.name: ["busy:600"]}
    page.set_input_files("#file", str(photo))
    page.click("#upload-submit")
    wait_until(page, FINISHED)
    assert network.tries[photo.name] == 1
    assert item(page, photo.name).get_attribute("data-outcome") == "failed"
    assert "asks to wait 10 min" in item(page, photo.name).inner_text()
    assert page.locator("#upload-retry").is_visible()


@viewports
def test_leaving_while_photos_are_sending_asks_first(
    server: Server, new_context: Any, viewport: str
) -> None:
    page = open_upload_page(server, new_context, viewport)
    page.clock.resume()  # nothing here waits between tries
    network = Network(page)
    network.hold = True
    dialogs: list[str] = []

    def answer(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.set_input_files("#file", [str(p) for p in photo_files(*ALL[:2])])
    page.click("#upload-submit")
    wait_until(page, "document.querySelector('#upload-list .upload-item.sending') !== null")
    # The page marks the item before its request reaches the route that holds it.
    deadline = time.monotonic() + WAIT_SECONDS
    while not network.held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert len(network.held) == 1
    feed = page.locator(".nav a.nav-link[href='/']")
    feed.click()
    deadline = time.monotonic() + WAIT_SECONDS
    while not dialogs and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert dialogs == ["beforeunload"]
    assert page.url == f"{server.url}/upload"

    network.hold = False
    network.held.pop().continue_()
    wait_until(page, FINISHED)
    assert page.locator("#upload-list .upload-item.done").count() == 2
    feed.click()
    page.wait_for_url(f"{server.url}/")
    assert dialogs == ["beforeunload"]  # once done, leaving asks nothing


def test_a_reupload_keeps_a_written_caption_and_fills_an_empty_one(
    server: Server, new_context: Any
) -> None:
    written, bare = photo_files(*ALL[:2])
    api = server.api("alice")
    for path, caption in ((written, "Grandpa's first camera"), (bare, "")):
        api.post(
            "/api/v1/photos",
            files=[("file", (path.name, path.read_bytes()))],
            data={"caption": caption},
        )
    api.close()
    page = new_context(VIEWPORTS["desktop"]).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/upload")
    page.set_input_files("#file", [str(written), str(bare)])
    page.fill("#caption", "Old cameras")
    page.click("#upload-submit")
    wait_until(page, FINISHED)
    kept = item(page, written.name)
    assert kept.get_attribute("data-outcome") == "duplicate"
    assert "yours was not applied" in kept.inner_text()
    assert kept.locator(".upload-caption-kept").inner_text() == "Grandpa's first camera"
    filled = item(page, bare.name)
    assert filled.get_attribute("data-outcome") == "duplicate"
    assert "it has your caption" in filled.inner_text()
    assert summary(page) == {"duplicate": 2}
    line = page.locator("#upload-summary li.duplicate").inner_text()
    assert line == "2 were already in your archive (1 kept its own caption: yours was not applied)"
    # Nothing was added: the count of uploads says so.
    progress = page.locator("#upload-progress-text")
    assert progress.inner_text() == "Done: 0 of 2 uploaded; 2 already in your archive."
    page.click("#upload-submit")  # again, with nothing left to send
    assert progress.inner_text() == "All done: choose or drop more photos to upload them."
    assert captions(server) == {written.name: "Grandpa's first camera", bare.name: "Old cameras"}


@viewports
def test_without_javascript_one_form_post_uploads_and_reports(
    server: Server, new_context: Any, viewport: str
) -> None:
    (written,) = photo_files(ALL[0])
    api = server.api("alice")
    api.post(
        "/api/v1/photos",
        files=[("file", (written.name, written.read_bytes()))],
        data={"caption": "Grandpa's first camera"},
    )
    api.close()
    page = new_context(VIEWPORTS[viewport], java_script_enabled=False).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/upload")
    assert page.locator("textarea.upload-caption").count() == 0  # per photo needs the script
    fresh = photo_files(ALL[1])[0]
    page.set_input_files("#file", [str(written), str(fresh)])
    page.fill("#caption", "Old cameras")
    page.click("#upload-submit")
    page.wait_for_url(f"{server.url}/upload")
    lines = page.locator("#upload-result li")
    assert [li.get_attribute("data-outcome") for li in lines.all()] == ["duplicate", "kept"]
    assert "yours was not applied" in lines.nth(0).inner_text()
    assert lines.nth(1).inner_text() == f"{fresh.name}: uploaded"
    assert captions(server) == {written.name: "Grandpa's first camera", fresh.name: "Old cameras"}


def test_an_upload_whose_session_ended_stops_and_goes_on_after_signing_in_again(
    server: Server, new_context: Any
) -> None:
    """The session ends as a long upload starts (signed out elsewhere, its 30 days over): the
    first answer is 401, and no file after it could be kept. The page sends no more (each
    would be sent whole first), says to sign in again in another tab, and Retry failed then
    sends them all."""
    page = open_upload_page(server, new_context, "desktop")
    network = Network(page)
    files = photo_files(*ALL)
    page.set_input_files("#file", [str(p) for p in files])
    page.context.clear_cookies()  # the session gone, as if ended elsewhere
    page.click("#upload-submit")
    wait_until(page, FINISHED)

    assert sum(network.tries.values()) == 1
    for path in files:
        shown = item(page, path.name)
        assert shown.get_attribute("data-outcome") == "failed"
        assert "Sign in again in another tab" in shown.inner_text(), shown.inner_text()
    retry = page.locator("#upload-retry")
    assert retry.inner_text().strip() == f"Retry {len(files)} failed"

    other = page.context.new_page()
    sign_in(other, server.url, "alice")
    other.close()
    retry.click()
    settle(page, network)
    assert summary(page) == {"sent": len(files)}
    assert set(captions(server)) == {path.name for path in files}


def test_files_the_page_will_not_send_are_said_as_they_are_added(
    server: Server, new_context: Any
) -> None:
    page = open_upload_page(server, new_context, "desktop")
    photo = photo_files("cameras/Canon_40D.jpg")[0]
    page.set_input_files(
        "#file",
        files=[
            {"name": photo.name, "mimeType": "image/jpeg", "buffer": photo.read_bytes()},
            {"name": "list.txt", "mimeType": "text/plain", "buffer": b"milk, eggs"},
        ],
    )
    assert page.locator("#upload-progress").is_hidden()
    assert page.get_by_role("status").and_(page.locator("#upload-announce")).inner_text() == (
        "2 files added, 1 of them cannot be uploaded (see the list)."
    )
