"""Faults with PostgreSQL: the server stopped while the app serves (503 with Retry-After, then
back by itself with nothing committed lost), and an instance killed in the middle of an upload
while another goes on serving. A cluster of this module's own, as it is stopped."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import psycopg
import pytest

from photoarchive.db import PostgresDatabase, postgres
from photoarchive.db.pg_notices import MAX_PARTS, NOTICE_BYTES, Notices
from photoarchive.db.postgres import POOL_TIMEOUT
from photoarchive.errors import Unavailable
from tests.cloud import S3Server
from tests.postgres import PostgresServer, _start
from tests.processes import ServerProcess, check_status, distinct_jpeg, server_process
from tests.support import PASSWORD, parse
from tests.test_events import listen
from tests.test_multi_instance import _csrf, _sign_up, _upload, two_instances

T = TypeVar("T")
# Bounds a failure (a server that never comes back), never what passing takes.
BACK_WITHIN = 30.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresServer]:
    with tempfile.TemporaryDirectory(prefix="photoarchive-pg-faults-") as root:
        yield from _start(Path(root))


@pytest.fixture
def database(cluster: PostgresServer) -> Iterator[str]:
    url = cluster.new_database()
    yield url
    cluster.drop(url)


async def _until_back(read: Callable[[], Awaitable[T]]) -> T:
    deadline = time.monotonic() + BACK_WITHIN
    while True:
        try:
            return await read()
        except Unavailable:
            assert time.monotonic() < deadline, "the database did not come back by itself"
            await asyncio.sleep(0.1)


def test_the_backend_refuses_at_once_while_the_server_is_down_and_reconnects_by_itself(
    cluster: PostgresServer, database: str
) -> None:
    async def scenario() -> None:
        db = PostgresDatabase(database, 4)
        await db.open()
        try:
            await db.execute("CREATE TABLE kept (n INTEGER)")
            await db.execute("INSERT INTO kept (n) VALUES (?)", (1,))
            await asyncio.to_thread(cluster.stop)
            try:
                for attempt in range(3):
                    began = time.monotonic()
                    with pytest.raises(Unavailable) as refused:
                        await db.fetchval("SELECT COUNT(*) FROM kept")
                    assert refused.value.retry_after is not None and refused.value.retry_after > 0
                    # Not the pool's timeout: an outage is told at once.
                    assert time.monotonic() - began < POOL_TIMEOUT / 2, attempt
                with pytest.raises(Unavailable):
                    async with db.transaction() as tx:
                        await tx.execute("INSERT INTO kept (n) VALUES (?)", (2,))
                with pytest.raises(Unavailable):
                    async with db.lock("some job"):
                        pass
            finally:
                await asyncio.to_thread(cluster.start)
            assert await _until_back(lambda: db.fetchval("SELECT SUM(n) FROM kept")) == 1
            await db.execute("INSERT INTO kept (n) VALUES (?)", (2,))
            async with db.lock("some job"):
                assert await db.fetchval("SELECT SUM(n) FROM kept") == 3
        finally:
            await db.close()

    asyncio.run(asyncio.wait_for(scenario(), 4 * BACK_WITHIN))


def test_a_pool_busy_for_its_whole_timeout_is_a_503_but_no_outage(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "POOL_TIMEOUT", 0.5)

    async def scenario() -> None:
        db = PostgresDatabase(database, 1)
        await db.open()
        try:
            async with db.transaction() as tx:  # holds the pool's one connection
                await tx.fetchval("SELECT 1")
                with pytest.raises(Unavailable) as refused:
                    await db.fetchval("SELECT 2")
                assert refused.value.retry_after is not None
            assert await db.fetchval("SELECT 3") == 3  # at once: nothing to reconnect
        finally:
            await db.close()

    asyncio.run(asyncio.wait_for(scenario(), BACK_WITHIN))


def test_notices_reach_every_listener_and_listening_resumes_after_a_restart(
    cluster: PostgresServer, database: str
) -> None:
    async def scenario() -> None:
        sender, receiver = Notices(database), Notices(database)
        heard: asyncio.Queue[str] = asyncio.Queue()
        listening = asyncio.Event()

        async def listen() -> None:
            async for payload in receiver.listen("faults_test", listening):
                heard.put_nowait(payload)

        listener = asyncio.create_task(listen())
        try:
            await listening.wait()
            assert await sender.send("faults_test", "before")
            assert await asyncio.wait_for(heard.get(), BACK_WITHIN) == "before"
            too_long = "x" * (MAX_PARTS * NOTICE_BYTES)
            assert not await sender.send("faults_test", too_long)  # refused, logged
            await asyncio.to_thread(cluster.stop)
            during = Notices(database)
            assert not await during.send("faults_test", "lost")  # told, never raised
            listening.clear()
            await asyncio.to_thread(cluster.start)
            await asyncio.wait_for(listening.wait(), BACK_WITHIN)
            # Its connection is from before the restart: the first event after is sent anyway.
            assert await sender.send("faults_test", "after")
            assert await asyncio.wait_for(heard.get(), BACK_WITHIN) == "after"
        finally:
            listener.cancel()
            await sender.close()

    asyncio.run(asyncio.wait_for(scenario(), 4 * BACK_WITHIN))


def _photo_ids(client: httpx.Client) -> list[int]:
    return [item["id"] for item in check_status(client.get("/api/v1/photos"), 200)["items"]]


def test_requests_during_an_outage_answer_503_and_the_app_comes_back_by_itself(
    cluster: PostgresServer, database: str, tmp_path: Path
) -> None:
    with server_process(
        tmp_path / "data",
        PHOTOARCHIVE_DATABASE_URL=database,
        PHOTOARCHIVE_EVENT_KEEPALIVE_SECONDS="1",
    ) as server:
        owner = _sign_up(server, "alice")
        kept = _upload(owner, "before the outage")
        try:
            with listen(owner) as stream:
                cluster.stop()
                # The live stream ends cleanly at its next wake-up (the browser reconnects).
                with pytest.raises(EOFError):
                    deadline = time.monotonic() + BACK_WITHIN
                    while time.monotonic() < deadline:
                        stream.next_event()
            api = owner.get("/api/v1/photos")
            assert api.status_code == 503, api.text
            assert int(api.headers["Retry-After"]) > 0
            body = api.json()
            assert body["status"] == 503 and "database" in body["detail"]
            page = owner.get("/")
            assert page.status_code == 503
            assert int(page.headers["Retry-After"]) > 0
            assert page.headers["content-type"].startswith("text/html")
            assert "Temporarily unavailable" in parse(page.text).text
            refused = owner.put(
                f"/api/v1/photos/{kept['id']}/like", headers={"x-csrftoken": _csrf(owner)}
            )
            assert refused.status_code == 503
            assert server.process is not None and server.process.poll() is None
        finally:
            cluster.start()
        deadline = time.monotonic() + BACK_WITHIN
        while (answer := owner.get("/api/v1/photos")).status_code == 503:
            assert time.monotonic() < deadline, "the app did not reconnect by itself"
            time.sleep(0.2)
        assert [item["id"] for item in check_status(answer, 200)["items"]] == [kept["id"]]
        liked = owner.put(
            f"/api/v1/photos/{kept['id']}/like", headers={"x-csrftoken": _csrf(owner)}
        )
        assert check_status(liked, 200)["like_count"] == 1
        assert owner.get("/").status_code == 200
        signed_in = server.client().post(
            "/api/v1/auth/login", json={"login": "alice", "password": PASSWORD}
        )
        check_status(signed_in, 200)


def test_readiness_fails_while_the_server_is_stopped_and_returns_after(
    cluster: PostgresServer, database: str, tmp_path: Path
) -> None:
    with server_process(tmp_path / "data", PHOTOARCHIVE_DATABASE_URL=database) as server:
        probe = server.client()
        assert check_status(probe.get("/readyz"), 200) == {"status": "ready"}
        try:
            cluster.stop()
            answer = probe.get("/readyz")
            assert answer.status_code == 503
            assert int(answer.headers["Retry-After"]) > 0
            # The probe's whole story: nothing of the server, its address or the driver's words.
            assert answer.json() == {
                "status": "unreachable",
                "detail": "The database is not reachable.",
            }
            assert probe.get("/healthz").status_code == 200  # alive: no reason to restart it
        finally:
            cluster.start()
        deadline = time.monotonic() + BACK_WITHIN
        while (answer := probe.get("/readyz")).status_code == 503:
            assert time.monotonic() < deadline, "never ready again"
            time.sleep(0.2)
        assert check_status(answer, 200) == {"status": "ready"}


def _slow_upload(client: httpx.Client, sent: threading.Event, stop: threading.Event) -> None:
    """An upload whose body stops half-way (as a phone's on a slow line does) until `stop`."""
    boundary = "half-sent-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    photo = distinct_jpeg()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head + photo[: len(photo) // 2]
        sent.set()
        stop.wait(BACK_WITHIN)  # the server is killed meanwhile; the rest meets a closed socket
        yield photo[len(photo) // 2 :] + tail

    headers = {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "x-csrftoken": _csrf(client),
        "content-length": str(len(head) + len(photo) + len(tail)),
    }
    # The server goes away mid-request, as it should in this test.
    with contextlib.suppress(httpx.TransportError):
        client.post("/api/v1/photos", content=body(), headers=headers)


def _wait_for_temp_file(server: ServerProcess) -> None:
    """Until the half-sent upload is being written to the instance's temp dir."""
    deadline = time.monotonic() + BACK_WITHIN
    while not any(path.is_file() for path in server.settings.tmp_dir.rglob("*")):
        assert time.monotonic() < deadline, "the upload never reached the instance"
        time.sleep(0.05)


def test_an_instance_killed_mid_upload_leaves_the_other_serving_and_nothing_half_stored(
    cluster: PostgresServer, database: str, rclone: S3Server, tmp_path: Path
) -> None:
    with two_instances(tmp_path, database, rclone) as (a, b):
        owner = _sign_up(a, "alice")
        _upload(owner, "before")
        bucket = a.env["PHOTOARCHIVE_S3_BUCKET"]
        stored = rclone.keys(bucket)
        sent, stop = threading.Event(), threading.Event()
        uploading = threading.Thread(target=_slow_upload, args=(owner, sent, stop), daemon=True)
        uploading.start()
        assert sent.wait(BACK_WITHIN)
        _wait_for_temp_file(a)
        a.kill()
        stop.set()
        uploading.join(BACK_WITHIN)

        viewer = _sign_up(b, "bob")  # B goes on: reads and writes
        assert len(_photo_ids(viewer)) == 1
        _upload(viewer, "after")
        with psycopg.connect(database) as conn:
            row = conn.execute("SELECT COUNT(*) FROM photos").fetchone()
        assert row is not None and row[0] == 2
        # Nothing of the half-sent photo reached the store: only B's new photo was added.
        added = set(rclone.keys(bucket)) - set(stored)
        assert len([key for key in added if "originals/" in key]) == 1

        a.start()  # and the killed instance serves again once restarted
        assert len(_photo_ids(_sign_up(a, "carol"))) == 2
