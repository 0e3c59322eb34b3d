"""An error page in a real browser, on a laptop and a phone: a signed-in person keeps their
header, Go back returns to the page they were on, and axe finds nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, sign_in
from tests.e2e.test_quality import violations


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_missing_page_keeps_the_header_and_goes_back(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    server.api("alice").close()
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/albums")
    page.evaluate("location.href = '/photos/999999'")
    page.wait_for_url(f"{server.url}/photos/999999")
    assert page.get_by_role("heading", name="Not found").count() == 1
    assert page.locator("a.nav-link[href='/upload']").count() == 1
    assert page.get_by_role("link", name="Sign in").count() == 0
    assert violations(page, axe_source) == []
    page.get_by_role("link", name="Go back").click()
    page.wait_for_url(f"{server.url}/albums")
