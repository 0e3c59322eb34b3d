"""A person changes their email on /settings in the browser: without the current password
the form says why and keeps what was typed; with it the email is saved. Checked with axe, on
a desktop and a phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, sign_up
from tests.e2e.test_quality import violations
from tests.support import PASSWORD

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

NEW = "alice.elsewhere@example.org"


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_new_email_asks_for_the_current_password(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_up(page, server.url, "alice")
    page.goto(f"{server.url}/settings")
    page.fill("#display_name", "Alice")
    page.fill("#email", NEW)
    page.get_by_role("button", name="Save profile").click()

    error = page.locator("#profile-error")
    error.wait_for()
    assert "type your current password" in error.inner_text()
    assert page.input_value("#email") == NEW  # what was typed is kept
    assert page.input_value("#display_name") == "Alice"
    assert page.get_attribute("#profile_password", "aria-invalid") == "true"
    assert violations(page, axe_source) == []
    assert server.api("alice").get("/api/v1/me").json()["user"]["email"] == "alice@example.org"

    page.fill("#profile_password", PASSWORD)
    page.get_by_role("button", name="Save profile").click()
    page.locator("#settings-notice").wait_for()
    assert page.input_value("#email") == NEW
    assert violations(page, axe_source) == []
