"""The daily digest through a real server and a real SMTP server (aiosmtpd on 127.0.0.1): the
setting on /settings, a comment, a day later the mail, and its links followed as a person would.
Without a mail server the setting is not offered."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from photoarchive.library import digests
from photoarchive.settings import parse_smtp_url
from tests.mailbox import LINK, Mailbox, body, smtp_server
from tests.support import (
    PHOTOS,
    FrozenClock,
    LiveServer,
    api_login,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
)
from tests.test_digests import process

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PHOTO = PHOTOS / "gps" / "DSCN0010.jpg"
CHECKBOX = {"type": "checkbox", "name": "digest"}


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def mailing_server(tmp_path: Path, mailbox: Mailbox) -> Iterator[LiveServer]:
    settings = make_settings(
        tmp_path / "data", smtp=parse_smtp_url(mailbox.url), mail_from="photos@example.org"
    )
    with live_server(settings) as live:
        yield live


def digest_box(client: httpx.Client) -> dict[str, str | None] | None:
    """The digest's checkbox on the person's settings page, if it is offered."""
    page = client.get("/settings")
    assert page.status_code == 200, page.text
    found = parse(page.text).find_all("input", **CHECKBOX)
    return found[0] if found else None


def run_the_digests(server: LiveServer) -> int:
    """One pass of the digest sender, as any process of this archive would make it (configured
    with the address people reach this server at)."""
    settings = dataclasses.replace(server.settings, public_url=server.url)

    async def one_pass() -> int:
        async with process(settings) as svc:
            return await digests.send_due(svc)

    return asyncio.run(one_pass())


def test_a_digest_turned_on_in_settings_arrives_with_working_links(
    mailing_server: LiveServer, mailbox: Mailbox, frozen_clock: FrozenClock
) -> None:
    server = mailing_server
    alice = sign_up(server, "alice")
    photo_id = upload(alice, PHOTO, caption="harbour").json()["items"][0]["id"]
    box = digest_box(alice)
    assert box is not None and "checked" not in box  # off by default
    turned_on = form_post(alice, "/settings/digest", {"digest": "on"})
    assert turned_on.status_code == 303
    assert "daily e-mail summary" in parse(alice.get(turned_on.headers["location"]).text).text
    box = digest_box(alice)
    assert box is not None and "checked" in box

    sign_up(server, "bob")
    bob = api_login(server, "bob")
    said = bob.post(f"/api/v1/photos/{photo_id}/comments", json={"text": "what a morning"})
    assert said.status_code == 201
    frozen_clock.advance(3600)
    assert run_the_digests(server) == 1

    message = mailbox.next()
    assert "alice@example.org" in message["To"]
    text = body(message)
    assert "bob commented on “harbour”: “what a morning”" in text
    photo_link, _, settings_link = LINK.findall(text)
    assert photo_link == f"{server.url}/photos/{photo_id}"
    opened = alice.get(urlsplit(photo_link).path)
    assert opened.status_code == 200 and "what a morning" in parse(opened.text).text
    assert settings_link == f"{server.url}/settings"

    # Sent once: the next pass finds nothing, and a day later nothing new means no mail.
    assert run_the_digests(server) == 0
    frozen_clock.advance(digests.INTERVAL_SECONDS)
    assert run_the_digests(server) == 0

    # Turned off where the mail says: more news, a day later, and no mail.
    turned_off = form_post(alice, "/settings/digest", {})
    assert turned_off.status_code == 303
    box = digest_box(alice)
    assert box is not None and "checked" not in box
    bob.put(f"/api/v1/photos/{photo_id}/like")
    frozen_clock.advance(digests.INTERVAL_SECONDS)
    assert run_the_digests(server) == 0
    assert mailbox.left() == []


def test_without_a_mail_server_the_setting_is_not_offered(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    assert digest_box(alice) is None
    assert "daily summary" not in alice.get("/settings").text
    refused = form_post(alice, "/settings/digest", {"digest": "on"})
    assert refused.status_code == 409
    # A guest is asked to sign in, as for every other setting.
    assert form_post(server.client(), "/settings/digest", {"digest": "on"}).status_code == 401
