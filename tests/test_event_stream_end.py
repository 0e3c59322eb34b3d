"""The live event stream ends with the session that opened it, however busy the archive is.

A stream must not outlive its session: once a person signs out, is disabled, changes their
password elsewhere or has their token signed out, no event that happened after that moment may
reach them, and the stream must close. Another member keeps commenting all the while, so events
never stop flowing; comment ids grow with time, so the ids tell which events came after.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support import (
    PASSWORD,
    PHOTOS,
    LiveServer,
    api_login,
    form_post,
    live_server,
    make_settings,
    sign_up,
    upload,
)
from tests.test_events import HANG_TIMEOUT, Stream, listen, wait_for

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

# Short, so that the stream's scheduled checks come often; the test never times them.
KEEPALIVE_SECONDS = 0.2
CAMERA = sorted((PHOTOS / "cameras").glob("*.jpg"))[0]


@pytest.fixture
def busy(tmp_path: Path) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path / "data", event_keepalive_seconds=KEEPALIVE_SECONDS)
    with live_server(settings) as live:
        yield live


@contextmanager
def commenting(client: httpx.Client, photo_id: int) -> Iterator[None]:
    """`client` comments on the photo, one comment after another, until the block ends."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        n = 0
        try:
            while not stop.is_set():
                n += 1
                response = form_post(client, f"/photos/{photo_id}/comments", {"text": f"#{n}"})
                assert response.status_code == 303, response.text
        except BaseException as exc:  # reported by the test, not lost in the thread
            failures.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=HANG_TIMEOUT)
    assert not failures, failures


def latest_comment_id(server: LiveServer) -> int:
    with server.db() as conn:
        return conn.execute("SELECT COALESCE(MAX(id), 0) FROM comments").fetchone()[0]


def read_to_the_end(stream: Stream, ended_after: int) -> None:
    """Read until the stream ends; fail at the first comment made after comment `ended_after`.
    Comments made before may still arrive: they were on their way when the session ended."""
    deadline = time.monotonic() + HANG_TIMEOUT
    while time.monotonic() < deadline:
        try:
            block = stream.next_event()
        except EOFError:
            return
        if block.get("event") == "comment":
            comment = json.loads(block["data"])
            assert comment["id"] <= ended_after, (
                f"comment {comment['id']}, made after the session ended, reached the viewer"
            )
    pytest.fail("the stream did not end")


def sign_out(server: LiveServer, admin: httpx.Client, viewer: httpx.Client) -> None:
    assert form_post(viewer, "/logout").status_code == 303


def disable(server: LiveServer, admin: httpx.Client, viewer: httpx.Client) -> None:
    assert form_post(admin, "/admin/users/bob/disable", {"confirmed": "1"}).status_code == 303


def change_password_elsewhere(
    server: LiveServer, admin: httpx.Client, viewer: httpx.Client
) -> None:
    elsewhere = server.client()
    assert form_post(elsewhere, "/login", {"login": "bob", "password": PASSWORD}).status_code == 303
    changed = form_post(
        elsewhere,
        "/settings/password",
        {
            "current_password": PASSWORD,
            "new_password": "a different battery",
            "new_password_again": "a different battery",
        },
    )
    assert changed.status_code == 303, changed.text
    # The session that made the change lives on; the stream's session does not.
    assert elsewhere.get("/settings").status_code == 200


def sign_out_token(server: LiveServer, admin: httpx.Client, viewer: httpx.Client) -> None:
    assert viewer.post("/api/v1/auth/logout").status_code == 204


@pytest.mark.parametrize(
    ("end_session", "bearer"),
    [
        (sign_out, False),
        (disable, False),
        (change_password_elsewhere, False),
        (sign_out_token, True),
    ],
    ids=["signed-out", "disabled", "password-changed", "token-signed-out"],
)
def test_no_event_after_the_session_ends_while_the_archive_is_busy(
    busy: LiveServer,
    end_session: Callable[[LiveServer, httpx.Client, httpx.Client], None],
    bearer: bool,
) -> None:
    admin = sign_up(busy, "alice")  # the first account is the administrator
    member = sign_up(busy, "carol")
    viewer = sign_up(busy, "bob")
    if bearer:
        viewer = api_login(busy, "bob")
    photo = upload(member, CAMERA).json()["items"][0]

    with commenting(member, photo["id"]), listen(viewer) as stream:
        # Events are flowing to the viewer.
        for _ in range(3):
            assert stream.next_named("comment")["photo_id"] == photo["id"]

        end_session(busy, admin, viewer)
        ended_after = latest_comment_id(busy)

        read_to_the_end(stream, ended_after)
        # The archive stayed busy after the session ended: there were events to leak.
        wait_for(lambda: latest_comment_id(busy) > ended_after + 3)
