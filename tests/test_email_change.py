"""Changing one's email on /settings: whoever has the email can reset the password, so the
change asks for the current password (the display name does not), is throttled like it, and,
where the archive can mail, waits until the person confirms it from a link mailed to the new
address, while the old one is told."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from photoarchive.accounts.email_changes import CONFIRM_HOURS, SIGN_IN_FIRST
from photoarchive.accounts.profiles import (
    LINK_NOT_MAILED,
    LINK_RETRY_SECONDS,
    WHY_EMAIL_ASKS_CONFIRMING,
)
from photoarchive.accounts.throttle import MAILS_PER_ADDRESS
from photoarchive.settings import parse_smtp_url
from tests.mailbox import Mailbox, body, link_in, smtp_server
from tests.support import (
    PASSWORD,
    FrozenClock,
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


def test_without_mail_the_right_password_changes_the_email_at_once_and_the_name_needs_none(
    server: LiveServer,
) -> None:
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


def asked(
    mailbox: Mailbox,
    client: httpx.Client,
    email: str = NEW,
    *,
    password: str = PASSWORD,
    old: str = "alice@example.org",
) -> str:
    """Ask for `email` with the password: the path of the link mailed to it. The link's mail
    names no account (the address may be a stranger's); the old address is told."""
    answer = change(client, password, email=email)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/settings?saved=email-waiting"
    arrived = {parseaddr(m["To"])[1]: m for m in (mailbox.next(), mailbox.next())}
    link = arrived[email]
    assert link["Subject"].startswith("Confirm your new email")
    assert "alice" not in body(link).lower()
    told = body(arrived[old])
    assert email in told and "change your password" in told and '"alice"' in told
    return urlsplit(link_in(link)).path


def test_a_new_email_waits_for_its_inbox_then_the_old_one_is_told(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    """Whoever reads the email can reset the password: a mistyped address must not take the
    account. The new one is mailed a link; opened by anyone but the person signed in (a mail
    scanner, the mistyped address's owner), it shows nothing and changes nothing; the person
    confirms it with its button, and goes on while their other sessions end; the old address
    is told of the ask and of the change."""
    with mailing(tmp_path, mailbox.url) as server:
        alice = sign_up(server, "alice")
        elsewhere = server.client()
        signed_in = form_post(elsewhere, "/login", {"login": "alice", "password": PASSWORD})
        assert signed_in.status_code == 303
        assert change(alice, None, email="alice@example.org").status_code == 303
        assert mailbox.left() == []  # the name alone changed nothing worth a mail
        path = asked(mailbox, alice)
        assert saved(alice) == ("Alice", "alice@example.org")  # not yet
        waiting = parse(alice.get("/settings").text)
        assert waiting.find_all("div", id="email-waiting") and NEW in waiting.text
        # The inbox's owner, not signed in: asked to sign in, shown nothing, changing nothing.
        stranger = server.client()
        shown = stranger.get(path)
        assert shown.status_code == 403 and SIGN_IN_FIRST in parse(shown.text).text
        assert NEW not in shown.text
        assert shown.headers["referrer-policy"] == "no-referrer"
        assert parse(shown.text).find_all("a", href=f"/login?next={path}")
        refused = form_post(stranger, path)
        assert refused.status_code == 403 and NEW not in refused.text
        assert SIGN_IN_FIRST in parse(refused.text).text  # not refused for want of a token
        assert saved(alice) == ("Alice", "alice@example.org")
        # Alice's browser: shown, and without the form's token nothing happens.
        page = alice.get(path)
        assert page.status_code == 200 and NEW in page.text
        assert "Confirm this email" in parse(page.text).text
        assert alice.post(path, data={}).status_code == 403
        done = form_post(alice, path)
        assert done.status_code == 303
        assert done.headers["location"] == "/settings?saved=email-confirmed"
        assert saved(alice) == ("Alice", NEW)  # the browser goes on, under a new session
        assert elsewhere.get("/api/v1/me").status_code == 401  # the others are signed out
        notice = mailbox.next()
        assert parseaddr(notice["To"])[1] == "alice@example.org"
        assert NEW in body(notice) and "was changed" in body(notice)
        again = form_post(alice, path)
        assert again.status_code == 404 and "cannot be used" in again.text
        waiting = parse(alice.get("/settings").text)
        assert waiting.find_all("div", id="email-waiting") == []
        assert mailbox.left() == []


def test_the_person_confirms_signed_in_on_any_device_and_nobody_else_can(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    """Another account's browser (a shared computer) cannot confirm; the person's phone, once
    signed in through the link's sign-in, can."""
    with mailing(tmp_path, mailbox.url) as server:
        alice = sign_up(server, "alice")
        bob = sign_up(server, "bob")  # the family computer, signed in as Bob
        path = asked(mailbox, alice)
        refused = form_post(bob, path)
        assert refused.status_code == 403 and "another account" in refused.text
        assert bob.get(path).status_code == 403
        assert saved(alice) == ("Alice", "alice@example.org")
        # Her phone: asked to sign in, and back to the link; it confirms, her laptop is
        # signed out.
        phone = server.client()
        assert phone.get(path).status_code == 403
        back = form_post(phone, "/login", {"login": "alice", "password": PASSWORD, "next": path})
        assert back.status_code == 303 and back.headers["location"] == path
        assert NEW in phone.get(path).text
        assert form_post(phone, path).status_code == 303
        assert saved(phone) == ("Alice", NEW)
        assert alice.get("/api/v1/me").status_code == 401
        assert bob.get("/api/v1/me").json()["user"]["username"] == "bob"
        mailbox.next()  # the old address's notice


def test_a_newer_change_or_a_cancel_ends_the_link_and_a_taken_address_is_refused(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    with mailing(tmp_path, mailbox.url) as server:
        alice = sign_up(server, "alice")
        first = asked(mailbox, alice)
        second = asked(mailbox, alice, "alice.other@example.org")
        assert form_post(alice, first).status_code == 404  # replaced
        cancelled = form_post(alice, "/settings/email-change/cancel")
        assert cancelled.headers["location"] == "/settings?saved=email-cancelled"
        assert alice.get(second).status_code == 404
        assert form_post(alice, second).status_code == 404
        again = form_post(alice, "/settings/email-change/cancel")  # nothing waits now
        assert again.headers["location"] == "/settings?saved=email-not-waiting"
        assert "No change of email was waiting" in alice.get(again.headers["location"]).text
        assert saved(alice) == ("Alice", "alice@example.org")
        # An address another account has is refused at once; one taken after the link went
        # out is refused when confirmed, and the link kept.
        sign_up(server, "carol")
        refused = change(alice, PASSWORD, email="carol@example.org")
        assert refused.status_code == 409 and "already exists" in refused.text
        third = asked(mailbox, alice)
        bob = server.client()
        taken = form_post(bob, "/signup", {"username": "bob", "email": NEW, "password": PASSWORD})
        assert taken.status_code == 303
        conflict = form_post(alice, third)
        assert conflict.status_code == 409 and "already exists" in conflict.text
        assert saved(alice) == ("Alice", "alice@example.org")
        assert alice.get(third).status_code == 200  # kept
        assert mailbox.left() == []


def test_a_new_password_a_reset_or_disabling_ends_a_waiting_change(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    """Someone who knew the password asked for their own address: the owner's new password,
    a reset link used, or an administrator's disabling stops it, for good."""
    with mailing(tmp_path, mailbox.url) as server:
        admin = sign_up(server, "admin")
        alice = sign_up(server, "alice")

        def ended(link: str, client: httpx.Client) -> bool:
            waiting = parse(client.get("/settings").text).find_all("div", id="email-waiting")
            return client.get(link).status_code == 404 and waiting == []

        link = asked(mailbox, alice)
        refused = form_post(admin, link)  # an administrator is someone else here too
        assert refused.status_code == 403 and SIGN_IN_FIRST in parse(refused.text).text
        for disabled in (True, False):
            action = "disable" if disabled else "enable"
            done = form_post(admin, f"/admin/users/alice/{action}", {"confirmed": "1"})
            assert done.status_code == 303, done.text
        alice = server.client()
        assert (
            form_post(alice, "/login", {"login": "alice", "password": PASSWORD}).status_code == 303
        )
        assert ended(link, alice)
        link = asked(mailbox, alice)
        fields = {"current_password": PASSWORD, "new_password": "a second passphrase"}
        fields["new_password_again"] = fields["new_password"]
        assert form_post(alice, "/settings/password", fields).status_code == 303
        assert ended(link, alice)
        link = asked(mailbox, alice, password="a second passphrase")
        made = form_post(admin, "/admin/reset-links/alice")
        (url,) = parse(made.text).find_all("input", id="reset-url")
        reset = urlsplit(str(url["value"])).path
        used = form_post(alice, reset, {"password": PASSWORD, "password_again": PASSWORD})
        assert used.status_code == 303, used.text
        alice = server.client()
        assert (
            form_post(alice, "/login", {"login": "alice", "password": PASSWORD}).status_code == 303
        )
        assert ended(link, alice)
        assert form_post(alice, link).status_code == 404
        assert saved(alice) == ("Alice", "alice@example.org")


def test_a_link_works_for_a_day(
    tmp_path: Path, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    with mailing(tmp_path, mailbox.url) as server:
        alice = sign_up(server, "alice")
        path = asked(mailbox, alice)
        frozen_clock.advance(CONFIRM_HOURS * 3600 - 60)
        assert alice.get(path).status_code == 200
        frozen_clock.advance(120)
        assert alice.get(path).status_code == 404
        assert form_post(alice, path).status_code == 404
        waiting = parse(alice.get("/settings").text)
        assert waiting.find_all("div", id="email-waiting") == []
        assert saved(alice) == ("Alice", "alice@example.org")


def test_a_link_that_cannot_be_sent_says_so_and_leaves_nothing_waiting(tmp_path: Path) -> None:
    records = Records()
    logging.getLogger("photoarchive").addHandler(records)
    sock = free_socket()  # bound, never listening: the mail server cannot be reached
    try:
        with mailing(tmp_path, f"smtp://127.0.0.1:{sock.getsockname()[1]}") as server:
            alice = sign_up(server, "alice")
            refused = change(alice, PASSWORD)
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == str(LINK_RETRY_SECONDS)
            page = parse(refused.text)
            assert (
                f"The link to confirm {NEW} could not be sent just now (the mail server could"
                " not be reached), so your email stays alice@example.org." in page.text
            )
            assert page.find_all("input", id="email")[0]["value"] == NEW  # kept to try again
            records.wait_for("The email-confirmation link for alice was not sent")
            assert saved(alice) == ("Alice", "alice@example.org")  # the name is saved
            settings = alice.get("/settings")
            assert NEW not in settings.text and 'id="email-waiting"' not in settings.text
            with server.db() as conn:
                assert conn.execute("SELECT COUNT(*) FROM email_changes").fetchone()[0] == 0
            # A link never sent is not counted: asking again, past the hour's three, is
            # answered as the first was, not "sent as many links as it may".
            for _ in range(MAILS_PER_ADDRESS):
                assert change(alice, PASSWORD).status_code == 503
    finally:
        sock.close()
        logging.getLogger("photoarchive").removeHandler(records)


@pytest.mark.parametrize(
    "answer",
    [
        "450 4.1.2 Domain not found",  # for now: its DNS did not answer
        "554 5.7.1 Relay access denied",  # the server's own rule: a relay wanting a login
    ],
)
def test_a_refusal_that_is_not_the_addresss_fault_is_a_try_later(
    tmp_path: Path, mailbox: Mailbox, answer: str
) -> None:
    mailbox.refused[NEW] = answer
    with mailing(tmp_path, mailbox.url) as server:
        alice = sign_up(server, "alice")
        refused = change(alice, PASSWORD)
        assert refused.status_code == 503 and "retry-after" in refused.headers
        assert "Check the address" not in parse(refused.text).text


def test_an_address_the_mail_server_refuses_is_said_at_the_field(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    mailbox.refused[NEW] = "550 5.1.1 No such user here"
    with mailing(tmp_path, mailbox.url) as server:
        alice = sign_up(server, "alice")
        refused = change(alice, PASSWORD)
        assert refused.status_code == 422 and "retry-after" not in refused.headers
        page = parse(refused.text)
        assert f"The mail server refused {NEW}" in page.text and "Check the address." in page.text
        (field,) = page.find_all("input", id="email")
        assert field["value"] == NEW and field["aria-invalid"] == "true"
        assert saved(alice) == ("Alice", "alice@example.org")
        assert 'id="email-waiting"' not in alice.get("/settings").text
        assert mailbox.left() == []  # nor was the old address told of an ask


def test_links_are_mailed_a_few_times_an_hour_per_address_and_per_account(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    """Each ask mails the new address a link; past MAILS_PER_ADDRESS an hour to one address,
    or from one account, the ask is refused (429) and nothing changes, so nobody's inbox can
    be filled from here. Reset links asked for on /forgot, and the notices that tell of a
    takeover, have budgets of their own."""
    with mailing(tmp_path, mailbox.url) as server:
        alice = sign_up(server, "alice")
        bob = sign_up(server, "bob")
        for _ in range(MAILS_PER_ADDRESS):
            forgot = form_post(server.client(), "/forgot", {"email": NEW})
            assert forgot.status_code == 200, forgot.text  # no account has it: nothing sent
        links = [
            asked(mailbox, alice, f"alice{n}@example.org") for n in range(MAILS_PER_ADDRESS - 1)
        ]
        links.append(asked(mailbox, alice))
        refused = change(alice, PASSWORD, email="bob.next@example.org")  # per account
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert LINK_NOT_MAILED in parse(refused.text).text
        # That refusal spent nothing of the address's: Bob asks for it as often as it allows.
        bobs = {"display_name": "Bob", "email": "bob.next@example.org"}
        bobs["current_password"] = PASSWORD
        for _ in range(MAILS_PER_ADDRESS):
            assert form_post(bob, PROFILE, bobs).status_code == 303
            mailbox.next(), mailbox.next()
        carol = sign_up(server, "carol")
        carols = {"display_name": "Carol", "email": NEW, "current_password": PASSWORD}
        for _ in range(MAILS_PER_ADDRESS - 1):  # Carol asks for the address Alice did
            assert form_post(carol, PROFILE, carols).status_code == 303
            mailbox.next(), mailbox.next()
        assert form_post(carol, PROFILE, carols).status_code == 429  # per address
        assert [form_post(alice, link).status_code for link in links[:-1]] == [404] * (
            MAILS_PER_ADDRESS - 1
        )
        assert form_post(alice, links[-1]).status_code == 303  # the last one sent works
        assert saved(alice) == ("Alice", NEW)
        notice = mailbox.next()  # the old address's notice: its own budget is not spent
        assert "was changed" in body(notice)
        assert mailbox.left() == []


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
