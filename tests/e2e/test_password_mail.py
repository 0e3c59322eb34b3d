"""A person who forgot a password asks for a link on the sign-in page, gets it by mail, and
signs in with the new password; an administrator mails an invite; a new email is confirmed
from the link mailed to it: the real server, a real SMTP server, Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, sign_up
from tests.e2e.test_quality import violations
from tests.mailbox import Mailbox, link_in, smtp_server
from tests.support import PASSWORD, current_database_url, free_socket

# Reset tokens and new passwords, kept by either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def mailing_server(tmp_path: Path, mailbox: Mailbox) -> Iterator[Server]:
    """`photoarchive serve` that sends its mail to `mailbox`."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")}
    env.update(
        PHOTOARCHIVE_DATA_DIR=str(data_dir),
        PHOTOARCHIVE_REGISTRATION="open",
        PHOTOARCHIVE_PUBLIC_URL=f"http://127.0.0.1:{port}",
        PHOTOARCHIVE_SMTP_URL=mailbox.url,
        PHOTOARCHIVE_MAIL_FROM="Family photos <photos@example.org>",
        PYTHONUNBUFFERED="1",
    )
    if current_database_url():
        env["PHOTOARCHIVE_DATABASE_URL"] = current_database_url()
    live = Server(f"http://127.0.0.1:{port}", port, data_dir, env, tmp_path / "server.log")
    live.start()
    try:
        yield live
    finally:
        live.stop()


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_forgotten_password_is_replaced_through_a_mailed_link(
    mailing_server: Server, mailbox: Mailbox, new_context: Any, axe_source: str, viewport: str
) -> None:
    server = mailing_server
    server.api("alice")  # the administrator
    bob_api = server.api("bob")
    assert bob_api.get("/api/v1/me").status_code == 200

    bob = new_context(VIEWPORTS[viewport]).new_page()  # signed out, on another device
    bob.goto(f"{server.url}/login")
    bob.get_by_role("link", name="Forgot your password?").click()
    bob.wait_for_url(f"{server.url}/forgot")
    assert violations(bob, axe_source) == []
    bob.fill("#email", "bob@example.org")
    bob.get_by_role("button", name="Email me a link").click()
    bob.locator("#forgot-sent").wait_for()
    assert violations(bob, axe_source) == []

    message = mailbox.next()
    assert parseaddr(message["To"])[1] == "bob@example.org"
    link = link_in(message)
    assert link.startswith(f"{server.url}/password-reset/")

    bob.goto(link)
    bob.fill("#password", NEW_PASSWORD)
    bob.fill("#password_again", NEW_PASSWORD)
    bob.get_by_role("button", name="Change password").click()
    bob.wait_for_url(f"{server.url}/login?notice=reset")
    assert bob_api.get("/api/v1/me").status_code == 401  # his other sessions ended

    bob.fill("#login", "bob")
    bob.fill("#password", NEW_PASSWORD)
    bob.click("form.stack button[type=submit]")
    bob.wait_for_url(f"{server.url}/")
    assert bob.locator(".nav").get_by_text("bob").count() >= 1


def test_an_administrator_mails_an_invite(
    mailing_server: Server, mailbox: Mailbox, new_context: Any, axe_source: str
) -> None:
    server = mailing_server
    admin = new_context().new_page()
    sign_up(admin, server.url, "alice")  # the first account: the administrator
    admin.goto(f"{server.url}/admin")
    admin.fill("#invite-email", "carol@example.org")
    admin.get_by_role("button", name="Create an invite link").click()
    admin.locator("#invite-mailed").wait_for()
    assert violations(admin, axe_source) == []
    message = mailbox.next()
    assert parseaddr(message["To"])[1] == "carol@example.org"
    assert link_in(message) == admin.locator("#invite-url").input_value()


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_new_email_is_confirmed_from_the_link_mailed_to_it(
    mailing_server: Server, mailbox: Mailbox, new_context: Any, axe_source: str, viewport: str
) -> None:
    """Alice types a new email and her password on /settings; it waits there, shown, until
    she opens the link mailed to it and presses its button; then it is hers."""
    server = mailing_server
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_up(page, server.url, "alice")
    page.goto(f"{server.url}/settings")
    page.fill("#email", "alice.new@example.org")
    page.fill("#profile_password", PASSWORD)
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_url(f"{server.url}/settings?saved=email-waiting")
    assert "alice.new@example.org" in page.locator("#email-waiting").inner_text()
    assert page.input_value("#email") == "alice@example.org"  # not changed yet
    assert violations(page, axe_source) == []

    arrived = {parseaddr(m["To"])[1]: m for m in (mailbox.next(), mailbox.next())}
    assert "asked" in arrived["alice@example.org"]["Subject"]  # the old address is told
    page.goto(link_in(arrived["alice.new@example.org"]))
    assert violations(page, axe_source) == []
    page.get_by_role("button", name="Confirm this email").click()
    page.wait_for_url(f"{server.url}/settings?saved=email-confirmed")
    assert page.input_value("#email") == "alice.new@example.org"
    assert page.locator("#email-waiting").count() == 0
    told = mailbox.next()
    assert parseaddr(told["To"])[1] == "alice@example.org" and "changed" in told["Subject"]
