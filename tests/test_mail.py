"""Mail: the SMTP settings, the messages, and reset and invite links mailed through a real
SMTP server (aiosmtpd on 127.0.0.1) to a real server, followed as a person would."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from email.utils import parseaddr
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from photoarchive.accounts import mail, resets, throttle
from photoarchive.settings import MailServer, Settings, SettingsError, parse_smtp_url
from tests.mailbox import Mailbox, body, link_in, smtp_server
from tests.support import (
    HANG_TIMEOUT,
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

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

NEW_PASSWORD = "a brand new passphrase"
SENDER = "Family photos <photos@example.org>"

# --- the settings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", MailServer("mail.example.org", 25)),
        ("smtp://127.0.0.1:2525", MailServer("127.0.0.1", 2525)),
        ("smtp://me:pw@mail.example.org", MailServer("mail.example.org", 587, False, "me", "pw")),
        ("smtps://me:pw@mail.example.org", MailServer("mail.example.org", 465, True, "me", "pw")),
        (
            "smtps://me:pw@mail.example.org:2465/",
            MailServer("mail.example.org", 2465, True, "me", "pw"),
        ),
        # reserved characters in the user or password are percent-encoded
        (
            "smtp://me%40example.org:p%3Aw%40@[::1]:587",
            MailServer("::1", 587, False, "me@example.org", "p:w@"),
        ),
    ],
)
def test_smtp_urls(url: str, expected: MailServer) -> None:
    parsed = parse_smtp_url(url)
    assert parsed == expected
    assert parsed.requires_starttls == (bool(expected.username) and not expected.implicit_tls)


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.org",
        "mail.example.org:25",
        "smtp://",
        "smtp://mail.example.org:0",
        "smtp://mail.example.org:99999",
        "smtp://mail.example.org:twenty-five",
        "smtp://me@mail.example.org",  # a user without a password
        "smtp://me:s3cret-pw@mail.example.org/inbox",
        "smtp://me:s3cret-pw@mail.example.org?tls=yes",
        "smtp://me:s3cret-pw@[::1",
    ],
)
def test_a_wrong_smtp_url_stops_start_up_without_showing_the_password(url: str) -> None:
    env = {"PHOTOARCHIVE_SMTP_URL": url, "PHOTOARCHIVE_MAIL_FROM": SENDER}
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    assert "PHOTOARCHIVE_SMTP_URL" in str(refused.value)
    assert "s3cret-pw" not in str(refused.value)


def test_mail_settings_are_read_and_the_password_is_never_shown() -> None:
    env = {
        "PHOTOARCHIVE_SMTP_URL": "smtps://photos%40example.org:s3cret-pw@mail.example.org",
        "PHOTOARCHIVE_MAIL_FROM": SENDER,
    }
    settings = Settings.from_env(env)
    assert settings.smtp == MailServer(
        "mail.example.org", 465, True, "photos@example.org", "s3cret-pw"
    )
    assert settings.mail_from == SENDER
    assert "s3cret-pw" not in repr(settings)
    assert "s3cret-pw" not in repr(settings.smtp)
    assert Settings.from_env({}).smtp is None  # no server: no mail


@pytest.mark.parametrize("sender", [None, "photos", "photos@", "<@example.org>"])
def test_a_server_needs_a_sender_address(sender: str | None) -> None:
    env = {"PHOTOARCHIVE_SMTP_URL": "smtp://mail.example.org"}
    if sender is not None:
        env["PHOTOARCHIVE_MAIL_FROM"] = sender
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    assert "PHOTOARCHIVE_MAIL_FROM" in str(refused.value)


# --- the messages -------------------------------------------------------------------------

MAIL_SETTINGS = Settings(
    public_url="https://photos.example.org",
    smtp=MailServer("mail.example.org", 25),
    mail_from=SENDER,
)
EXPIRES = 1_767_225_600.0 + 24 * 3600  # 2026-01-02 00:00 UTC


def test_the_reset_mail_carries_the_link_its_expiry_and_what_to_do_if_unasked() -> None:
    link = "https://photos.example.org/password-reset/abc"
    message = mail.reset_mail(
        MAIL_SETTINGS,
        email="bob@example.org",
        name="Uncle Bob",
        username="bob",
        link=link,
        expires_at=EXPIRES,
    )
    assert parseaddr(message["To"])[1] == "bob@example.org"
    assert message["From"] == SENDER
    assert parseaddr(message["Message-ID"])[1].endswith("@example.org")
    assert "photos.example.org" in message["Subject"]
    text = body(message)
    assert link_in(message) == link
    assert "Uncle Bob" in text and '"bob"' in text
    assert "Friday 2 January 2026 at 00:00 UTC" in text
    assert "If you did not ask for this, ignore this mail" in text
    assert message.get_content_type() == "text/plain"


def test_the_invite_mail_names_who_invites_and_until_when() -> None:
    link = "https://photos.example.org/signup?invite=xyz"
    message = mail.invite_mail(
        MAIL_SETTINGS,
        email="carol@example.org",
        inviter="Grandma Rose",
        link=link,
        expires_at=EXPIRES,
    )
    assert parseaddr(message["To"])[1] == "carol@example.org"
    assert "Grandma Rose" in message["Subject"]
    text = body(message)
    assert link_in(message) == link
    assert "Friday 2 January 2026 at 00:00 UTC" in text
    assert "If you did not expect this invitation, ignore this mail" in text


# --- through a real server ----------------------------------------------------------------


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


def mail_settings(tmp_path: Path, smtp_url: str, **overrides: object) -> Settings:
    return make_settings(
        tmp_path / "data", smtp=parse_smtp_url(smtp_url), mail_from=SENDER, **overrides
    )


@pytest.fixture
def mailing_server(tmp_path: Path, mailbox: Mailbox) -> Iterator[LiveServer]:
    with live_server(mail_settings(tmp_path, mailbox.url)) as live:
        yield live


def ask_for_link(client: httpx.Client, address: str, via: str | None = None) -> httpx.Response:
    headers = {"x-forwarded-for": via} if via else {}
    return form_post(client, "/forgot", {"email": address}, headers=headers)


def signs_in(server: LiveServer, login: str, password: str) -> bool:
    answer = form_post(server.client(), "/login", {"login": login, "password": password})
    return answer.status_code == 303


def test_a_mailed_link_sets_a_new_password_and_ends_every_session(
    mailing_server: LiveServer, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    server = mailing_server
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    stranger = server.client()

    login = parse(stranger.get("/login").text)
    assert login.find_all("a", href="/forgot")
    form = parse(stranger.get("/forgot").text)
    assert form.find_all("form", action="/forgot") and form.find_all("input", name="email")

    asked = ask_for_link(stranger, "BOB@example.org")  # addresses match whatever their case
    assert asked.status_code == 200
    assert parse(asked.text).find_all("p", id="forgot-sent")

    message = mailbox.next()
    assert parseaddr(message["To"])[1] == "bob@example.org"
    assert message["From"] == SENDER
    link = link_in(message)
    assert link.startswith(f"{server.settings.public_url}{resets.PATH}/")
    assert mail.until(frozen_clock.moment + resets.RESET_HOURS * 3600) in body(message)

    path = urlsplit(link).path
    changed = form_post(stranger, path, {"password": NEW_PASSWORD})
    assert changed.status_code == 303
    assert changed.headers["location"] == "/login?notice=reset"
    assert bob.get("/api/v1/me").status_code == 401  # every other session ended
    assert not signs_in(server, "bob", PASSWORD)
    assert signs_in(server, "bob", NEW_PASSWORD)
    assert form_post(stranger, path, {"password": "yet another phrase"}).status_code == 404


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    mailing_server: LiveServer, mailbox: Mailbox
) -> None:
    server = mailing_server
    sign_up(server, "alice")
    sign_up(server, "carol")
    client = server.client()
    answers = {
        address: ask_for_link(client, address)
        for address in ("nobody@example.org", "carol@example.org")
    }
    assert {answer.status_code for answer in answers.values()} == {200}
    texts = {
        address: answer.text.replace(address, "ADDRESS") for address, answer in answers.items()
    }
    assert texts["nobody@example.org"] == texts["carol@example.org"]
    names = {tuple(sorted(answer.headers)) for answer in answers.values()}
    assert len(names) == 1

    # The outbox works in order: once carol's mail is here, nobody's request was dealt with.
    assert parseaddr(mailbox.next()["To"])[1] == "carol@example.org"
    assert mailbox.left() == []
    assert server.count("password_resets") == 1


def test_disabled_accounts_get_no_mail(mailing_server: LiveServer, mailbox: Mailbox) -> None:
    server = mailing_server
    admin = sign_up(server, "alice")
    sign_up(server, "bob")
    sign_up(server, "carol")
    assert form_post(admin, "/admin/users/bob/disable", {"confirmed": "1"}).status_code == 303
    client = server.client()
    assert ask_for_link(client, "bob@example.org").status_code == 200
    assert ask_for_link(client, "carol@example.org").status_code == 200
    assert parseaddr(mailbox.next()["To"])[1] == "carol@example.org"
    assert mailbox.left() == []


def test_a_malformed_address_is_refused_before_anything_is_counted(
    mailing_server: LiveServer, mailbox: Mailbox
) -> None:
    answer = ask_for_link(mailing_server.client(), "not an address")
    assert answer.status_code == 422
    assert parse(answer.text).find_all("p", id="forgot-error")
    assert mailing_server.count("login_failures") == 0


@pytest.fixture
def throttled_server(tmp_path: Path, mailbox: Mailbox) -> Iterator[LiveServer]:
    settings = mail_settings(
        tmp_path,
        mailbox.url,
        login_max_failures=3,
        trusted_proxies=(ip_network("127.0.0.1/32"),),
    )
    with live_server(settings) as live:
        yield live


def test_requests_are_throttled_per_address_and_per_client(
    throttled_server: LiveServer, mailbox: Mailbox
) -> None:
    server = throttled_server
    sign_up(server, "alice")
    sign_up(server, "bob")
    client = server.client()
    # One address, asked about from three clients: then the address's budget is spent.
    for number in range(3):
        assert (
            ask_for_link(client, "bob@example.org", via=f"198.51.100.{number}").status_code == 200
        )
    refused = ask_for_link(client, "bob@example.org", via="198.51.100.9")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == 60 * 60  # an address's budget is an hour's
    assert (
        "Too many requests for a reset link. Try again in 60 minutes." in parse(refused.text).text
    )
    # One client asking about three addresses: then the client's budget is spent, known or not.
    for address in ("x@example.org", "y@example.org", "alice@example.org"):
        assert ask_for_link(client, address, via="203.0.113.7").status_code == 200
    assert ask_for_link(client, "z@example.org", via="203.0.113.7").status_code == 429
    assert ask_for_link(client, "z@example.org", via="203.0.113.8").status_code == 200

    received = [parseaddr(mailbox.next()["To"])[1] for _ in range(4)]
    assert received == ["bob@example.org"] * 3 + ["alice@example.org"]
    assert mailbox.left() == []
    # Asking for mail spends nothing of the sign-in budget, of the account or the client.
    assert signs_in(server, "bob", PASSWORD)


def test_an_inbox_gets_three_reset_mails_an_hour_whatever_sign_in_allows(
    mailing_server: LiveServer, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    server = mailing_server
    assert server.settings.login_max_failures > throttle.MAILS_PER_ADDRESS
    sign_up(server, "alice")
    sign_up(server, "bob")
    client = server.client()
    for _ in range(throttle.MAILS_PER_ADDRESS):
        assert ask_for_link(client, "bob@example.org").status_code == 200
    assert ask_for_link(client, "bob@example.org").status_code == 429
    # Sign-in forgets its own counts after its window; the mail counts outlive that.
    frozen_clock.advance(server.settings.login_window_minutes * 60 + 60)
    assert not signs_in(server, "alice", "not her password")
    assert ask_for_link(client, "bob@example.org").status_code == 429
    frozen_clock.advance(throttle.MAIL_WINDOW_SECONDS)
    assert ask_for_link(client, "bob@example.org").status_code == 200
    received = [parseaddr(mailbox.next()["To"])[1] for _ in range(throttle.MAILS_PER_ADDRESS + 1)]
    assert received == ["bob@example.org"] * (throttle.MAILS_PER_ADDRESS + 1)
    assert mailbox.left() == []


class Records(logging.Handler):
    """Records of the app's loggers (the app's start-up replaces the root logger's handlers,
    pytest's caplog among them)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + HANG_TIMEOUT
        while not any(text in message for message in self.messages):
            assert time.monotonic() < deadline, f"never logged: {text}"
            time.sleep(0.02)


@pytest.fixture
def app_log() -> Iterator[Records]:
    records = Records()
    logger = logging.getLogger("photoarchive")
    logger.addHandler(records)
    try:
        yield records
    finally:
        logger.removeHandler(records)


def test_a_failed_send_is_logged_and_the_answer_does_not_change(
    tmp_path: Path, app_log: Records
) -> None:
    sock = free_socket()  # a port nobody listens on: bound, never accepting
    closed = f"smtp://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with live_server(mail_settings(tmp_path, closed)) as server:
            sign_up(server, "alice")
            client = server.client()
            known = ask_for_link(client, "alice@example.org")
            unknown = ask_for_link(client, "nobody@example.org")
            assert known.status_code == unknown.status_code == 200
            assert known.text.replace("alice@", "X@") == unknown.text.replace("nobody@", "X@")
            app_log.wait_for("The password-reset mail for alice was not sent")
    finally:
        sock.close()
    logged = "\n".join(app_log.messages)
    assert "could not be reached" in logged
    assert resets.PATH not in logged  # the link is as good as a password: never logged


# --- without mail, and invites ------------------------------------------------------------


def test_without_mail_the_pages_say_to_ask_the_administrator(server: LiveServer) -> None:
    sign_up(server, "alice")
    browser = server.client()
    login = parse(browser.get("/login").text)
    assert login.find_all("small", id="forgot-hint")
    page = browser.get("/forgot")
    assert page.status_code == 200
    assert parse(page.text).find_all("p", id="forgot-ask")
    assert not parse(page.text).find_all("input", name="email")
    asked = ask_for_link(browser, "alice@example.org")
    assert asked.status_code == 404
    assert server.count("password_resets") == 0


def invite(admin: httpx.Client, address: str) -> httpx.Response:
    return form_post(admin, "/admin/invites", {"email": address})


def test_an_invite_is_mailed_and_its_link_signs_someone_up(
    mailing_server: LiveServer, mailbox: Mailbox
) -> None:
    server = mailing_server
    admin = sign_up(server, "alice")
    page = parse(admin.get("/admin").text)
    assert page.find_all("input", name="email", id="invite-email")

    made = invite(admin, "carol@example.org")
    assert made.status_code == 200
    shown = parse(made.text)
    assert shown.find_all("p", id="invite-mailed")
    (field,) = shown.find_all("input", id="invite-url")

    message = mailbox.next()
    assert parseaddr(message["To"])[1] == "carol@example.org"
    assert "alice" in message["Subject"]
    link = link_in(message)
    assert link == field["value"]
    carol = server.client()
    joined = form_post(
        carol,
        "/signup",
        {
            "username": "carol",
            "email": "carol@example.org",
            "password": PASSWORD,
            "invite": link.split("invite=", 1)[1],
        },
    )
    assert joined.status_code == 303, joined.text


def test_an_invite_without_an_address_is_only_shown(
    mailing_server: LiveServer, mailbox: Mailbox
) -> None:
    admin = sign_up(mailing_server, "alice")
    made = invite(admin, "")
    assert made.status_code == 200
    shown = parse(made.text)
    assert shown.find_all("input", id="invite-url")
    assert not shown.find_all("p", id="invite-mailed")
    refused = invite(admin, "not an address")
    assert refused.status_code == 422
    assert not parse(refused.text).find_all("input", id="invite-url")
    assert mailing_server.count("invites") == 1  # the refused one made no link
    assert mailbox.left() == []


def test_the_administrator_is_told_when_an_invite_was_not_mailed(tmp_path: Path) -> None:
    sock = free_socket()
    closed = f"smtp://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with live_server(mail_settings(tmp_path, closed)) as server:
            admin = sign_up(server, "alice")
            made = invite(admin, "carol@example.org")
            assert made.status_code == 200
            shown = parse(made.text)
            assert shown.find_all("p", id="invite-not-mailed")
            assert "could not be reached" in shown.text
            assert shown.find_all("input", id="invite-url")  # to send by other means
    finally:
        sock.close()


def test_a_password_is_never_sent_to_a_server_without_starttls(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    url = f"smtp://photos:s3cret-pw@127.0.0.1:{mailbox.port}"
    with live_server(mail_settings(tmp_path, url)) as server:
        admin = sign_up(server, "alice")
        shown = parse(invite(admin, "carol@example.org").text)
        assert shown.find_all("p", id="invite-not-mailed")
        assert "does not offer STARTTLS" in shown.text
    assert mailbox.left() == []


def test_without_mail_an_invite_says_why_it_was_not_mailed(server: LiveServer) -> None:
    admin = sign_up(server, "alice")
    page = parse(admin.get("/admin").text)
    assert not page.find_all("input", name="email")  # no field that could not work
    shown = parse(invite(admin, "carol@example.org").text)
    assert shown.find_all("p", id="invite-not-mailed")
    assert "PHOTOARCHIVE_SMTP_URL" in shown.text
    assert shown.find_all("input", id="invite-url")
