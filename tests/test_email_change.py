"""Changing one's email on /settings: whoever has the email can reset the password, so the
change asks for the current password (the display name does not), is throttled like it, and
is told to the old address where the archive can mail."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager
from email.utils import parseaddr
from pathlib import Path

import httpx
import pytest

from photoarchive.accounts.profiles import WHY_EMAIL_ASKS_CONFIRMING
from photoarchive.accounts.throttle import MAILS_PER_ADDRESS
from photoarchive.settings import parse_smtp_url
from tests.mailbox import Mailbox, body, smtp_server
from tests.support import (
    PASSWORD,
    LiveServer,
    form_post,
    free_socket,
    live_server,
    make_settings,
    parse,
    sign_up,
)
from tests.test_mail import Records

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PROFILE = "/settings/profile"
NEW = "alice.new@example.org"


def saved(client: httpx.Client) -> tuple[str, str]:
    me = client.get("/api/v1/me").json()["user"]
    return me["display_name"], me["email"]


def change(client: httpx.Client, password: str | None, email: str = NEW) -> httpx.Response:
    fields = {"display_name": "Alice", "email": email}
    if password is not None:
        fields["current_password"] = password
    return form_post(client, PROFILE, fields)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (None, WHY_EMAIL_ASKS_CONFIRMING),
        ("", WHY_EMAIL_ASKS_CONFIRMING),
        ("not it", "not your current password"),
    ],
)
def test_a_new_email_without_the_right_password_changes_nothing(
    server: LiveServer, password: str | None, message: str
) -> None:
    alice = sign_up(server, "alice")
    refused = change(alice, password)
    assert refused.status_code == 422
    page = parse(refused.text)
    assert message in page.text
    # The form keeps what was typed, and points at the password field and the message.
    assert page.find_all("input", id="email")[0]["value"] == NEW
    assert page.find_all("input", id="display_name")[0]["value"] == "Alice"
    (field,) = page.find_all("input", id="profile_password")
    assert field["aria-invalid"] == "true" and "profile-error" in (field["aria-describedby"] or "")
    assert page.find_all("p", id="profile-error")
    assert saved(alice) == ("", "alice@example.org")


def test_the_right_password_changes_the_email_and_the_name_needs_none(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    assert change(alice, None, email="alice@example.org").status_code == 303
    assert saved(alice) == ("Alice", "alice@example.org")
    assert change(alice, PASSWORD).status_code == 303
    assert saved(alice) == ("Alice", NEW)


def test_wrong_passwords_for_an_email_change_are_throttled(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path, login_max_failures=3)) as server:
        alice = sign_up(server, "alice")
        for _ in range(3):
            assert change(alice, "guess-guess").status_code == 422
        blocked = change(alice, PASSWORD)
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        assert saved(alice) == ("", "alice@example.org")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def mailing(tmp_path: Path, url: str) -> AbstractContextManager[LiveServer]:
    settings = make_settings(tmp_path / "data", smtp=parse_smtp_url(url), mail_from="p@example.org")
    return live_server(settings)


def test_the_old_address_is_told_of_the_change(tmp_path: Path, mailbox: Mailbox) -> None:
    with mailing(tmp_path, mailbox.url) as server:
        alice = sign_up(server, "alice")
        assert change(alice, None, email="alice@example.org").status_code == 303
        assert change(alice, PASSWORD).status_code == 303
        notice = mailbox.next()
        assert parseaddr(notice["To"])[1] == "alice@example.org"
        assert NEW in body(notice) and '"alice"' in body(notice)
        assert mailbox.left() == []  # the name alone changed nothing worth a mail


def test_a_notice_that_cannot_be_sent_does_not_stop_the_change(tmp_path: Path) -> None:
    records = Records()
    logging.getLogger("photoarchive").addHandler(records)
    sock = free_socket()  # bound, never accepting
    try:
        with mailing(tmp_path, f"smtp://127.0.0.1:{sock.getsockname()[1]}") as server:
            alice = sign_up(server, "alice")
            assert change(alice, PASSWORD).status_code == 303
            assert saved(alice) == ("Alice", NEW)
            records.wait_for("The email-change notice for alice was not sent")
    finally:
        sock.close()
        logging.getLogger("photoarchive").removeHandler(records)


def test_changing_back_and_forth_mails_each_address_a_few_times_an_hour(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    """Each change tells the old address; changed back and forth, each address is told at
    most MAILS_PER_ADDRESS times an hour, and the change is made. Reset links asked for on
    /forgot have a budget of their own: spending it takes no notice away."""
    records = Records()
    logging.getLogger("photoarchive").addHandler(records)
    try:
        with mailing(tmp_path, mailbox.url) as server:
            alice = sign_up(server, "alice")
            for _ in range(MAILS_PER_ADDRESS):
                asked = form_post(server.client(), "/forgot", {"email": "alice@example.org"})
                assert asked.status_code == 200, asked.text
            resets = [mailbox.next() for _ in range(MAILS_PER_ADDRESS)]
            addresses = ["alice@example.org", NEW]
            for turn in range(2 * (MAILS_PER_ADDRESS + 1)):
                assert change(alice, PASSWORD, email=addresses[(turn + 1) % 2]).status_code == 303
            assert saved(alice) == ("Alice", "alice@example.org")
            records.wait_for("that address has had its mail for this hour")
            told = [mailbox.next() for _ in range(2 * MAILS_PER_ADDRESS)]
            assert all("changed" in m["Subject"] for m in told)
            assert not any("changed" in m["Subject"] for m in resets)
            to = sorted(parseaddr(m["To"])[1] for m in told)
            assert to == sorted(addresses * MAILS_PER_ADDRESS)
        assert mailbox.left() == []
    finally:
        logging.getLogger("photoarchive").removeHandler(records)


def test_a_reset_link_an_administrator_makes_is_told_to_its_holder(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    """Whoever opens it can take the account, and see its private photos: the person hears
    of it, with who made it, and how to stop it."""
    with mailing(tmp_path, mailbox.url) as server:
        admin = sign_up(server, "admin")
        sign_up(server, "bob")
        made = form_post(admin, "/admin/reset-links/bob")
        assert made.status_code == 200, made.text
        notice = mailbox.next()
        assert parseaddr(notice["To"])[1] == "bob@example.org"
        said = " ".join(body(notice).split())
        assert (
            'the administrator admin made a link to set a new password for the account "bob"'
            in said
        )
        assert "change your password: that stops the link at once" in said
        (link,) = parse(made.text).find_all("input", id="reset-url")
        assert str(link["value"]).rsplit("/", 1)[1] not in said  # the link is the admin's alone
        assert mailbox.left() == []
