"""A fresh install, in a real browser on a laptop and a phone: the first visitor makes the
administrator's account, is told what to do next, invites someone, and that person's link
says who sent it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, VIEWPORTS, Server
from tests.e2e.test_quality import violations

# The first account and invites, kept by either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")


@pytest.fixture
def fresh(server: Server) -> Server:
    """The server as installed: joining after the first account takes an invite link."""
    server.stop()
    server.env["PHOTOARCHIVE_REGISTRATION"] = "invite"
    server.start()
    return server


def fill_sign_up(page: Any, username: str) -> None:
    page.fill("#username", username)
    page.fill("#email", f"{username}@example.org")
    page.fill("#password", PASSWORD)


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_first_run_to_the_first_invited_member(
    fresh: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    base = fresh.url
    rose = new_context(VIEWPORTS[viewport]).new_page()
    rose.goto(base)  # the address the install told her to open
    rose.wait_for_url(f"{base}/signup")
    assert rose.get_by_role("heading", level=1).inner_text() == "Create the first account"
    assert "will administer the archive" in rose.locator("main").inner_text()
    assert rose.locator("#invite").count() == 0
    assert violations(rose, axe_source) == []
    fill_sign_up(rose, "rose")
    rose.get_by_role("button", name="Create the account").click()
    rose.wait_for_url(f"{base}/")

    welcome = rose.locator("#welcome")
    assert welcome.is_visible()
    assert welcome.get_by_role("link", name="Upload your photos").get_attribute("href") == "/upload"
    assert violations(rose, axe_source) == []
    welcome.get_by_role("link", name="Invite the family").click()
    rose.wait_for_url(f"{base}/admin#invite-title")
    rose.get_by_role("button", name="Create an invite link").click()
    rose.locator("#invite-url").wait_for()
    link = rose.locator("#invite-url").input_value()
    assert link.startswith(f"{base}/signup?invite=")

    # Someone else, on their own device, opens the link from the message.
    lily = new_context(VIEWPORTS[viewport]).new_page()
    lily.goto(link)
    assert lily.get_by_role("heading", level=1).inner_text() == "Join the archive"
    assert "rose invited you" in lily.locator("#inviter").inner_text()
    assert lily.locator("#invite").count() == 0  # the code travels with the link
    assert violations(lily, axe_source) == []
    fill_sign_up(lily, "lily")
    lily.get_by_role("button", name="Sign up").click()
    lily.wait_for_url(f"{base}/")
    assert lily.locator(".nav a[href='/u/lily']").count() == 1
    assert lily.locator("#welcome").count() == 0  # the administrator's, not hers

    # The link has made its account: opened again, it says so, and offers no form.
    again = new_context(VIEWPORTS[viewport]).new_page()
    again.goto(link)
    assert "This invite link has been used" in again.locator("main").inner_text()
    assert "rose" in again.locator("#invite-problem").inner_text()
    assert again.locator("form[action='/signup']").count() == 0
    assert violations(again, axe_source) == []

    # Rose hides the welcome in place (htmx): the plain empty feed takes its place.
    rose.goto(f"{base}/")
    rose.evaluate("window.__samePage = true")
    rose.get_by_role("button", name="Hide this welcome").click()
    rose.locator("#feed-empty").wait_for()
    assert rose.locator("#welcome").count() == 0
    assert rose.evaluate("window.__samePage === true")
    rose.reload()
    assert rose.locator("#welcome").count() == 0 and rose.locator("#feed-empty").is_visible()
