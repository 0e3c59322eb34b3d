"""A person who forgot a password gets a new one through a link an administrator made."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, sign_up
from tests.e2e.test_quality import violations

# Reset links and new passwords, kept by either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

NEW_PASSWORD = "a brand new passphrase"


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_admin_makes_a_reset_link_and_the_person_signs_in_with_a_new_password(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    admin = new_context(VIEWPORTS[viewport]).new_page()
    sign_up(admin, server.url, "alice")  # the first account: the administrator
    bob_api = server.api("bob")
    assert bob_api.get("/api/v1/me").status_code == 200

    admin.goto(f"{server.url}/admin")
    admin.get_by_role("button", name="Reset link for bob").click()
    link = admin.locator("#reset-url")
    link.wait_for()
    url = link.input_value()
    assert url.startswith(f"{server.url}/password-reset/")
    assert violations(admin, axe_source) == []

    bob = new_context(VIEWPORTS[viewport]).new_page()  # signed out, on another device
    bob.goto(url)
    assert violations(bob, axe_source) == []
    bob.fill("#password", NEW_PASSWORD)
    bob.fill("#password_again", NEW_PASSWORD)
    bob.get_by_role("button", name="Change password").click()
    bob.wait_for_url(f"{server.url}/login?notice=reset")
    assert bob.get_by_role("status").is_visible()
    assert bob_api.get("/api/v1/me").status_code == 401  # his other sessions ended

    bob.fill("#login", "bob")
    bob.fill("#password", NEW_PASSWORD)
    bob.click("form.stack button[type=submit]")
    bob.wait_for_url(f"{server.url}/")
    assert bob.locator(".nav").get_by_text("bob").count() >= 1

    bob.goto(url)  # used once: the link now only says so
    assert bob.locator("#reset-link-error").is_visible()
    assert bob.locator("#password").count() == 0
    assert violations(bob, axe_source) == []
