"""Requests of every kind while PostgreSQL restarts answer 503 with `Retry-After`: an upload in
flight (through the API and the upload page alike, with no row and no file of it kept, and the
same file sent again once the server is back stored whole), and a thumbnail asked for with a
session cookie (answered by the media door when the database is there). An upload whose
server restarted and was back before its row's transaction began is saved. A cluster of this
module's own, as it is stopped."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from photoarchive.db import Transaction
from photoarchive.library import usage
from photoarchive.storage.local import LocalBlobStore
from tests.postgres import PostgresServer, _start
from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    csrf,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
)

BACK_WITHIN = 30.0  # bounds a failure (a server that never comes back), never what passing takes
KEPT = PHOTOS / "cameras" / "Canon_40D.jpg"
IN_FLIGHT = PHOTOS / "cameras" / "Fujifilm_FinePix_E500.jpg"


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresServer]:
    with tempfile.TemporaryDirectory(prefix="photoarchive-pg-upload-") as root:
        yield from _start(Path(root))


@pytest.fixture
def server(cluster: PostgresServer, tmp_path: Path) -> Iterator[LiveServer]:
    url = cluster.new_database()
    try:
        with live_server(make_settings(tmp_path / "data", database_url=url)) as live:
            yield live
    finally:
        cluster.drop(url)


def _restart_after_first_file(cluster: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The moment an upload has stored a file and not yet begun its row's transaction: the
    server restarts (`pg_ctl stop -m fast`, then start), ending every session it had."""
    store_bytes = LocalBlobStore.put_bytes
    restarted: list[bool] = []

    async def restarting(self: LocalBlobStore, key: str, data: bytes) -> None:
        await store_bytes(self, key, data)
        if not restarted:
            restarted.append(True)
            cluster.restart()

    monkeypatch.setattr(LocalBlobStore, "put_bytes", restarting)


def _restart_while_the_row_is_written(
    cluster: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The moment the upload's transaction has inserted its row and not yet committed: the
    server restarts, and the transaction goes with its session."""
    check = usage.check_after_insert

    async def restarting(tx: Transaction, owner_id: int, added: int) -> None:
        cluster.restart()
        await check(tx, owner_id, added)

    monkeypatch.setattr(usage, "check_after_insert", restarting)


def _until_back(client: httpx.Client) -> None:
    deadline = time.monotonic() + BACK_WITHIN
    while client.get("/api/v1/photos").status_code == 503:
        assert time.monotonic() < deadline, "the app did not reconnect by itself"
        time.sleep(0.2)


def test_an_upload_in_flight_during_a_restart_is_a_503_with_retry_after_and_leaves_nothing(
    cluster: PostgresServer, server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    upload(alice, KEPT)
    files = server.blobs()
    _restart_while_the_row_is_written(cluster, monkeypatch)

    refused = upload(alice, IN_FLIGHT)

    assert refused.status_code == 503, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert "database" in refused.json()["detail"]
    _until_back(alice)
    assert server.count("photos") == 1
    assert server.blobs() == files
    assert server.temp_files() == []
    monkeypatch.undo()
    sent_again = upload(alice, IN_FLIGHT)
    assert sent_again.status_code == 201, sent_again.text
    original = sent_again.json()["items"][0]["urls"]["original"]
    assert alice.get(original).content == IN_FLIGHT.read_bytes()


def test_an_upload_whose_database_restarted_before_its_row_is_saved_whole(
    cluster: PostgresServer, server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server was back before the row's transaction began: every pooled connection had
    gone with the restart, and the transaction starts on a new one rather than failing."""
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    _restart_after_first_file(cluster, monkeypatch)

    kept = upload(alice, IN_FLIGHT)

    assert kept.status_code == 201, kept.text
    assert server.count("photos") == 1 and server.temp_files() == []
    original = kept.json()["items"][0]["urls"]["original"]
    assert alice.get(original).content == IN_FLIGHT.read_bytes()


def test_the_upload_page_tells_a_browser_when_to_send_again(
    cluster: PostgresServer, server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = sign_up(server, "alice")
    _restart_while_the_row_is_written(cluster, monkeypatch)

    page = browser.post(
        "/upload",
        files=[("file", (IN_FLIGHT.name, IN_FLIGHT.read_bytes(), "image/jpeg"))],
        data={"_csrf_token": csrf(browser)},
    )

    assert page.status_code == 503, page.text[:500]
    assert int(page.headers["Retry-After"]) > 0
    assert "cannot be reached" in parse(page.text).text
    _until_back(browser)
    assert server.count("photos") == 0
    assert server.blobs() == []


def test_a_thumbnail_asked_for_while_the_server_is_down_is_a_503_with_retry_after(
    cluster: PostgresServer, server: LiveServer
) -> None:
    browser = sign_up(server, "alice")
    photo = upload(browser, KEPT).json()["items"][0]
    thumbnail = photo["urls"]["thumbnail"]
    assert browser.get(thumbnail).status_code == 200
    try:
        cluster.stop()
        for _ in range(2):  # the first finds the connection gone, the next the outage known
            answer = browser.get(thumbnail)
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["Retry-After"]) > 0
    finally:
        cluster.start()
    _until_back(browser)
    assert browser.get(thumbnail).status_code == 200
