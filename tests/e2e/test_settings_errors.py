"""A refused change on the long settings page, in a real browser: the page comes back with the
message and the field to correct on screen, that field focused, whether or not scripts run,
on a laptop and on a phone (not at the top of the page, the message a long scroll away)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, VIEWPORTS, Server, sign_in
from tests.e2e.test_quality import violations

IN_VIEW = """(selector) => {
    const box = document.querySelector(selector).getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
}"""


def _change_password(page: Any, current: str, new: str, again: str) -> None:
    page.fill("#current_password", current)
    page.fill("#new_password", new)
    page.fill("#new_password_again", again)
    page.click("form[action='/settings/password'] button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
@pytest.mark.parametrize("scripts", [True, False], ids=["scripts", "no-scripts"])
def test_a_refused_password_change_shows_its_message_and_field(
    server: Server, new_context: Any, axe_source: str, viewport: str, scripts: bool
) -> None:
    server.api("alice").close()
    page = new_context(VIEWPORTS[viewport], java_script_enabled=scripts).new_page()
    sign_in(page, server.url, "alice")

    page.goto(f"{server.url}/settings")
    _change_password(page, "not my password", "a new long password", "a new long password")
    assert "not your current password" in page.inner_text("#password-error")
    assert page.evaluate("document.activeElement.id") == "current_password"
    assert page.evaluate(IN_VIEW, "#password-error")
    assert page.evaluate(IN_VIEW, "#current_password")
    if scripts:
        assert violations(page, axe_source) == []

    _change_password(page, PASSWORD, "a new long password", "another long password")
    assert "not the same" in page.inner_text("#password-error")
    # Every field comes back empty, so the first is where typing starts again; the one that
    # was wrong is marked so.
    assert page.evaluate("document.activeElement.id") == "current_password"
    assert [page.input_value(f) for f in ("#current_password", "#new_password")] == ["", ""]
    assert page.evaluate(IN_VIEW, "#new_password_again")
    assert page.locator("#new_password_again").get_attribute("aria-invalid") == "true"
