"""Two real `photoarchive serve` processes on one PostgreSQL and one S3 store behave as one:
sessions, uploads, live events, throttling and the first account's admin rights, whichever
instance a request reaches."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from photoarchive.db import pg_migrations
from photoarchive.db.pg_notices import NOTICE_BYTES
from tests.cloud import S3Server
from tests.postgres import PostgresServer
from tests.processes import ServerProcess, check_status, distinct_jpeg, photoarchive_env
from tests.support import PASSWORD, free_socket, make_settings, parse
from tests.test_events import Stream, listen

MAX_FAILURES = 4
ADMIN = "admin"
HEAR_WITHIN = 20.0  # seconds: bounds a failure, never what passing takes


def _instance(root: Path, name: str, env: dict[str, str]) -> ServerProcess:
    data_dir = root / name  # each its own temp files; the archive is in PostgreSQL and S3
    data_dir.mkdir(parents=True)
    with free_socket() as sock:
        port = sock.getsockname()[1]
    return ServerProcess(
        settings=make_settings(data_dir),
        url=f"http://127.0.0.1:{port}",
        port=port,
        log_path=root / f"{name}.log",
        env=photoarchive_env(data_dir, **env),
    )


@contextmanager
def two_instances(
    root: Path, database_url: str, rclone: S3Server
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Instances A and B, started at the same moment on the same database and bucket."""
    env = {
        "PHOTOARCHIVE_DATABASE_URL": database_url,
        "PHOTOARCHIVE_DATABASE_POOL": "4",
        "PHOTOARCHIVE_SECRET_KEY": secrets.token_hex(32),  # shared, as behind a load balancer
        "PHOTOARCHIVE_STORAGE": "s3",
        "PHOTOARCHIVE_S3_BUCKET": rclone.new_bucket(),
        "PHOTOARCHIVE_S3_PREFIX": "archive",
        "PHOTOARCHIVE_S3_ENDPOINT": rclone.endpoint,
        "PHOTOARCHIVE_S3_ACCESS_KEY_ID": rclone.access_key,
        "PHOTOARCHIVE_S3_SECRET_ACCESS_KEY": rclone.secret_key,
        "PHOTOARCHIVE_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        "PHOTOARCHIVE_EVENT_KEEPALIVE_SECONDS": "1",
    }
    pair = (_instance(root, "a", env), _instance(root, "b", env))
    try:
        with ThreadPoolExecutor(2) as pool:
            for started in [pool.submit(server.start) for server in pair]:
                started.result()
        yield pair
    finally:
        for server in pair:
            for client in server.clients:
                client.close()
            if server.process is not None:
                server.stop()


@pytest.fixture(scope="module")
def pair(
    postgres: PostgresServer, rclone: S3Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    url = postgres.new_database()
    try:
        with two_instances(tmp_path_factory.mktemp("instances"), url, rclone) as started:
            _sign_up(started[0], ADMIN)  # the first account: the administrator
            yield started
    finally:
        postgres.drop(url)


def _sign_up(server: ServerProcess, username: str) -> httpx.Client:
    client = server.client()
    token = _csrf(client)
    response = client.post(
        "/signup",
        data={
            "_csrf_token": token,
            "username": username,
            "email": f"{username}@example.org",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 303, response.text[:500]
    return client


def _csrf(client: httpx.Client) -> str:
    if not client.cookies.get("csrftoken"):
        client.get("/login")
    return str(client.cookies.get("csrftoken"))


def _same_browser(client: httpx.Client, server: ServerProcess) -> httpx.Client:
    """The browser of `client` (its cookies) sending to `server`, as a load balancer would."""
    other = server.client()
    for cookie in client.cookies.jar:
        other.cookies.set(cookie.name, cookie.value or "")
    return other


def _api_login(server: ServerProcess, login: str, password: str = PASSWORD) -> httpx.Response:
    return server.client().post("/api/v1/auth/login", json={"login": login, "password": password})


def _upload(client: httpx.Client, caption: str) -> dict[str, object]:
    response = client.post(
        "/api/v1/photos",
        files=[("file", ("walk.jpg", distinct_jpeg(), "image/jpeg"))],
        data={"caption": caption},
        headers={"x-csrftoken": _csrf(client)},
    )
    return check_status(response, 201)["items"][0]


def _username() -> str:
    return f"member{secrets.token_hex(4)}"


def test_a_session_made_on_one_instance_is_valid_on_the_other_until_signed_out_anywhere(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = pair
    name = _username()
    on_a = _sign_up(a, name)
    on_b = _same_browser(on_a, b)
    assert check_status(on_b.get("/api/v1/me"), 200)["user"]["username"] == name
    token = check_status(_api_login(a, name), 200)["token"]
    bearer_b = b.client(headers={"Authorization": f"Bearer {token}"})
    assert bearer_b.get("/api/v1/me").status_code == 200

    check_status(on_b.post("/api/v1/auth/logout", headers={"x-csrftoken": _csrf(on_b)}), 204)
    assert on_a.get("/api/v1/me").status_code == 401  # at once, on the instance not asked
    bearer_a = a.client(headers={"Authorization": f"Bearer {token}"})
    check_status(bearer_b.post("/api/v1/auth/logout"), 204)
    assert bearer_a.get("/api/v1/me").status_code == 401


def test_disabling_an_account_on_one_instance_ends_its_session_and_stream_on_the_other(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = pair
    admin = a.client()
    token = check_status(_api_login(a, ADMIN), 200)["token"]
    admin.headers["Authorization"] = f"Bearer {token}"
    name = _username()
    member_on_b = _same_browser(_sign_up(a, name), b)
    with listen(member_on_b) as stream:
        disabled = admin.patch(f"/api/v1/admin/users/{name}", json={"disabled": True})
        assert check_status(disabled, 200)["disabled"] is True
        assert member_on_b.get("/api/v1/me").status_code == 401
        # The stream ends at its next wake-up (a keep-alive each second), not at its next event.
        with pytest.raises(EOFError):
            deadline = time.monotonic() + HEAR_WITHIN
            while time.monotonic() < deadline:
                stream.next_event()


def test_an_upload_through_one_instance_shows_through_the_other_on_the_next_request(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = pair
    owner = _sign_up(a, _username())
    viewer_b = _sign_up(b, _username())
    # B renders (and keeps) the feed's cards before the upload and the like.
    viewer_b.get("/")
    photo = _upload(owner, "first light")
    listed = check_status(viewer_b.get("/api/v1/photos"), 200)
    assert photo["id"] in [item["id"] for item in listed["items"]]
    media = viewer_b.get(f"/media/{photo['id']}/thumbnail")
    assert media.status_code == 200 and media.content  # the bytes A stored, read by B

    liked = owner.put(f"/api/v1/photos/{photo['id']}/like", headers={"x-csrftoken": _csrf(owner)})
    assert check_status(liked, 200)["like_count"] == 1
    on_b = check_status(viewer_b.get(f"/api/v1/photos/{photo['id']}"), 200)
    assert on_b["like_count"] == 1
    page = parse(viewer_b.get("/").text)
    cards = page.find_all("article", **{"data-photo-id": str(photo["id"])})
    assert cards, "the feed on B shows the photo uploaded through A"
    assert "first light" in viewer_b.get("/").text


def test_a_like_on_one_instance_reaches_a_stream_held_by_the_other(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = pair
    owner = _sign_up(a, _username())
    photo = _upload(owner, "")
    follower = _sign_up(b, _username())
    with listen(follower) as stream:
        liked = owner.put(
            f"/api/v1/photos/{photo['id']}/like", headers={"x-csrftoken": _csrf(owner)}
        )
        check_status(liked, 200)
        # Keep-alives come every second: a like that never arrives ends the wait, not a hang.
        deadline = time.monotonic() + HEAR_WITHIN
        while (block := stream.next_event()).get("event") != "like":
            assert time.monotonic() < deadline, "the like made on A never reached B's stream"
    assert json.loads(block["data"]) == {"id": photo["id"], "like_count": 1, "comment_count": 0}


def _next_like(stream: Stream) -> dict[str, object]:
    deadline = time.monotonic() + HEAR_WITHIN  # keep-alives each second bound the wait
    while (block := stream.next_event()).get("event") != "like":
        assert time.monotonic() < deadline, "the like never arrived"
    return dict(json.loads(block["data"]))


def test_a_like_on_a_photo_of_a_large_album_reaches_its_members_on_the_other_instance(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = pair
    owner, member, outsider = (
        _sign_up(a, _username()),
        _sign_up(b, _username()),
        _sign_up(b, _username()),
    )
    token = {"x-csrftoken": _csrf(owner)}
    photo = _upload(owner, "")
    made = owner.patch(
        f"/api/v1/photos/{photo['id']}", json={"visibility": "private"}, headers=token
    )
    check_status(made, 200)
    album = check_status(owner.post("/api/v1/albums", json={"title": "All"}, headers=token), 201)
    url = f"/api/v1/albums/{album['id']}"
    check_status(owner.post(f"{url}/photos", json={"photo_ids": [photo["id"]]}, headers=token), 200)
    name = check_status(member.get("/api/v1/me"), 200)["user"]["username"]
    check_status(owner.put(f"{url}/members/{name}", json={"role": "viewer"}, headers=token), 200)
    # The rest of the family, written directly: signing 1,200 people up would take minutes.
    first, members = 1_000_000, 1_200
    with psycopg.connect(a.env["PHOTOARCHIVE_DATABASE_URL"]) as conn:
        conn.execute(
            "INSERT INTO users (id, username, username_key, email, email_key, created_at)"
            " SELECT n, 'm' || n, 'm' || n, 'm' || n || '@example.org',"
            " 'm' || n || '@example.org', '2026-01-01T00:00:00Z'"
            " FROM generate_series(%s::bigint, %s::bigint) AS n",
            (first, first + members - 3),
        )
        conn.execute(
            "INSERT INTO album_members (album_id, user_id, role, added_at)"
            " SELECT %s, id, 'viewer', '2026-01-01T00:00:00Z' FROM users"
            " WHERE id BETWEEN %s AND %s",
            (album["id"], first, first + members),
        )
        row = conn.execute(
            "SELECT COUNT(*) FROM album_members WHERE album_id = %s", (album["id"],)
        ).fetchone()
    assert row is not None and row[0] == members
    # The event names every member: more than one notice holds.
    assert len(",".join(str(first + n) for n in range(members))) > NOTICE_BYTES

    with listen(member) as heard, listen(outsider) as not_heard:
        liked = owner.put(f"/api/v1/photos/{photo['id']}/like", headers=token)
        check_status(liked, 200)
        assert _next_like(heard) == {"id": photo["id"], "like_count": 1, "comment_count": 0}
        # Once: what follows is the quiet stream's keep-alive, not the same like again.
        assert heard.next_event() == {"comment": "keepalive"}
        # The private photo's like is not for someone outside the album.
        for _ in range(2):
            assert not_heard.next_event() == {"comment": "keepalive"}


def test_failed_sign_ins_are_counted_across_instances(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = pair
    name = _username()
    _sign_up(a, name)
    for attempt in range(MAX_FAILURES):
        server = (a, b)[attempt % 2]
        assert _api_login(server, name, "wrong password").status_code == 401
    for server in (a, b):
        refused = _api_login(server, name)  # the right password, past the shared budget
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["Retry-After"]) > 0


def test_instances_started_together_migrate_once_and_racing_sign_ups_make_one_admin(
    postgres: PostgresServer, rclone: S3Server, tmp_path: Path
) -> None:
    url = postgres.new_database()
    try:
        with two_instances(tmp_path, url, rclone) as (a, b):
            with psycopg.connect(url) as conn:
                applied = [row[0] for row in conn.execute("SELECT version FROM schema_migrations")]
            assert sorted(applied) == [version for version, _sql in pg_migrations.migrations()]

            names = [_username() for _ in range(6)]
            start = threading.Barrier(len(names))

            def sign_up(index: int) -> None:
                server = (a, b)[index % 2]
                client = server.client()
                token = _csrf(client)
                start.wait()
                response = client.post(
                    "/signup",
                    data={
                        "_csrf_token": token,
                        "username": names[index],
                        "email": f"{names[index]}@example.org",
                        "password": PASSWORD,
                    },
                )
                assert response.status_code == 303, response.text[:500]

            with ThreadPoolExecutor(len(names)) as pool:
                for done in [pool.submit(sign_up, i) for i in range(len(names))]:
                    done.result()
            with psycopg.connect(url) as conn:
                rows = conn.execute("SELECT username, is_admin FROM users").fetchall()
            assert sorted(name for name, _ in rows) == sorted(names)
            assert sum(1 for _, admin in rows if admin) == 1
    finally:
        postgres.drop(url)
