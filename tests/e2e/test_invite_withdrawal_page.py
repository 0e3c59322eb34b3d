"""Withdrawing an invite on /admin in a real browser: with script the browser asks (No keeps
it, Yes withdraws it and the list changes in place); without script a page of its own asks."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Server, sign_up
from tests.e2e.test_album_members import Answers
from tests.e2e.test_quality import violations


def make_invite(page: Any, base: str) -> None:
    page.goto(f"{base}/admin")
    page.get_by_role("button", name="Create an invite link").click()
    page.locator("#invite-url").wait_for()
    page.goto(f"{base}/admin")


def test_withdrawing_asks_first_and_changes_the_list_in_place(
    server: Server, new_context: Any, axe_source: str
) -> None:
    page = new_context().new_page()
    answers = Answers(page)
    sign_up(page, server.url, "alice")
    make_invite(page, server.url)
    pending = page.locator("#pending-invites")
    assert "1 unused invite." in pending.inner_text()

    page.get_by_role("button", name="Withdraw").click()
    assert len(answers.asked) == 1 and "stops working" in answers.asked[0]
    assert "1 unused invite." in pending.inner_text()  # No: kept

    answers.yes = True
    with page.expect_response(lambda r: r.url.endswith("/withdraw")):
        page.get_by_role("button", name="Withdraw").click()
    page.get_by_text("0 unused invites.").wait_for()
    assert page.url == f"{server.url}/admin"  # swapped in place, not a new page
    assert page.get_by_role("button", name="Withdraw").count() == 0
    assert violations(page, axe_source) == []


def test_without_script_a_page_asks_first(server: Server, new_context: Any) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_up(page, server.url, "alice")
    make_invite(page, server.url)

    page.get_by_role("button", name="Withdraw").click()
    page.locator("#withdraw-title").wait_for()
    page.get_by_role("button", name="Withdraw the invite").click()
    page.wait_for_url(f"{server.url}/admin")
    assert "0 unused invites." in page.locator("main").inner_text()
