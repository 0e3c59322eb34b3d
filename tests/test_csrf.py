"""Cross-site request forgery: which requests need the token, and which do not."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from photoarchive.app import create_app
from tests.state import snapshot
from tests.support import (
    PASSWORD,
    LiveServer,
    api_login,
    csrf,
    form_post,
    live_server,
    make_settings,
    sign_up,
    upload_bytes,
)

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = "security token is missing or stale"


def jpeg(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def unsafe_routes(server: LiveServer) -> list[tuple[str, str]]:
    app = create_app(server.settings)
    found = []
    for route in app.routes:
        for method in sorted(getattr(route, "methods", ()) or ()):
            if method in UNSAFE:
                found.append((method, route.path))
    return found


def concrete(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    module_database: Callable[[], str],
) -> Iterator[dict[str, object]]:
    settings = make_settings(
        tmp_path_factory.mktemp("csrf") / "data", database_url=module_database()
    )
    with live_server(settings) as server:
        alice = sign_up(server, "alice")  # the first account: an administrator
        sign_up(server, "bob")
        photo = upload_bytes(alice, "red.jpg", jpeg((200, 0, 0))).json()["items"][0]
        comment = alice.post(
            f"/api/v1/photos/{photo['id']}/comments",
            json={"text": "first"},
            headers={"x-csrftoken": csrf(alice)},
        ).json()
        api_login(server, "alice")  # an API token of alice's, for a forged revoke to aim at
        with server.db() as conn:
            session_id = conn.execute("SELECT MIN(id) FROM sessions").fetchone()[0]
            token_id = conn.execute(
                "SELECT MAX(id) FROM sessions WHERE kind = 'bearer'"
            ).fetchone()[0]
        values = {
            "photo_id": str(photo["id"]),
            "comment_id": str(comment["id"]),
            "username": "bob",
            "action": "disable",
            "token": "no-such-token",
            "session_id": str(session_id),
            "token_id": str(token_id),
            "album_id": "1",
            "batch_id": "1",
            "share_id": "1",
            "share_token": "no-such-link",
            "invite_id": "1",
        }
        yield {"server": server, "alice": alice, "values": values}


def test_every_unsafe_page_route_refuses_a_request_without_the_token(
    world: dict[str, object],
) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    values: dict[str, str] = world["values"]  # type: ignore[assignment]
    routes = [(m, p) for m, p in unsafe_routes(server) if not p.startswith("/api/")]
    assert ("POST", "/logout") in routes and ("POST", "/settings/password") in routes
    csrf(alice)  # the csrftoken cookie is there; only the form field is missing
    for method, path in routes:
        url = concrete(path, values)
        before = snapshot(server)
        for attempt in (
            alice.request(method, url, data={"caption": "x", "text": "x", "liked": "1"}),
            alice.request(method, url, data={"_csrf_token": "forged-token", "caption": "x"}),
            alice.request(method, url, headers={"x-csrftoken": "forged-token"}),
        ):
            assert attempt.status_code == 403, (method, url, attempt.status_code)
            assert CSRF_MESSAGE in attempt.text, (method, url)
        assert not before.diff(snapshot(server)), (method, url)


def test_the_same_page_requests_pass_with_the_token(world: dict[str, object]) -> None:
    """The refusals above are the token check's, not some other rule's."""
    server: LiveServer = world["server"]  # type: ignore[assignment]
    values: dict[str, str] = world["values"]  # type: ignore[assignment]
    routes = [(m, p) for m, p in unsafe_routes(server) if not p.startswith("/api/")]
    for _method, path in routes:
        guest = server.client()
        response = form_post(guest, concrete(path, values), {"login": "x", "password": "y"})
        assert response.status_code != 403 or CSRF_MESSAGE not in response.text, path


def test_api_with_a_session_cookie_needs_the_header(world: dict[str, object]) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    values: dict[str, str] = world["values"]  # type: ignore[assignment]
    routes = [(m, p) for m, p in unsafe_routes(server) if p.startswith("/api/")]
    assert ("POST", "/api/v1/photos/{photo_id:int}/comments") in routes
    for method, path in routes:
        url = concrete(path, values)
        before = snapshot(server)
        response = alice.request(method, url, json={"text": "forged", "caption": "forged"})
        assert response.status_code == 403, (method, url, response.status_code)
        assert CSRF_MESSAGE in response.json()["detail"]
        assert not before.diff(snapshot(server)), (method, url)
    photo = values["photo_id"]
    ok = alice.post(
        f"/api/v1/photos/{photo}/comments",
        json={"text": "with the header"},
        headers={"x-csrftoken": csrf(alice)},
    )
    assert ok.status_code == 201


def test_bearer_needs_no_token_and_a_bearer_header_ignores_cookies(
    world: dict[str, object],
) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    values: dict[str, str] = world["values"]  # type: ignore[assignment]
    script = api_login(server, "alice")
    photo = values["photo_id"]
    assert "csrftoken" not in script.cookies
    ok = script.post(f"/api/v1/photos/{photo}/comments", json={"text": "by script"})
    assert ok.status_code == 201
    # A request with a Bearer header is judged by it alone: the cookie buys nothing.
    before = snapshot(server)
    for header in ("Bearer not-a-token", "Bearer"):
        forged = alice.post(
            f"/api/v1/photos/{photo}/comments",
            json={"text": "riding the cookie"},
            headers={"authorization": header},
        )
        assert forged.status_code == 401, header
        page = alice.post(
            f"/photos/{photo}/comments", data={"text": "x"}, headers={"authorization": header}
        )
        assert page.status_code == 401, header
    assert not before.diff(snapshot(server))


def test_a_proxy_basic_auth_header_gets_no_pass(world: dict[str, object]) -> None:
    """Browsers replay a reverse proxy's Basic credentials cross-site: the token still counts."""
    server: LiveServer = world["server"]  # type: ignore[assignment]
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    values: dict[str, str] = world["values"]  # type: ignore[assignment]
    basic = {"authorization": "Basic YWxpY2U6eA=="}
    photo = values["photo_id"]
    before = snapshot(server)
    forged = alice.post(f"/photos/{photo}/comments", data={"text": "x"}, headers=basic)
    assert forged.status_code == 403
    stranger = server.client()
    login = stranger.post("/login", data={"login": "alice", "password": PASSWORD}, headers=basic)
    assert login.status_code == 403 and "session" not in login.cookies
    assert not before.diff(snapshot(server))
    # with the token, the cookie session behind the proxy works as usual
    ok = alice.post(
        f"/api/v1/photos/{photo}/comments",
        json={"text": "behind a proxy"},
        headers={**basic, "x-csrftoken": csrf(alice)},
    )
    assert ok.status_code == 201


def test_anonymous_api_sign_in_needs_no_token(world: dict[str, object]) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    fresh = server.client()
    response = fresh.post("/api/v1/auth/login", json={"login": "bob", "password": "nope-nope"})
    assert response.status_code == 401  # judged on the password, not refused for CSRF


def multipart(fields: list[tuple[str, str | tuple[str, bytes]]]) -> tuple[bytes, str]:
    boundary = "----photoarchive-test-boundary"
    body = io.BytesIO()
    for name, value in fields:
        body.write(f"--{boundary}\r\n".encode())
        if isinstance(value, tuple):
            filename, data = value
            body.write(
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: image/jpeg\r\n\r\n".encode()
            )
            body.write(data)
        else:
            body.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode())
        body.write(b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("url", ["/upload", "/api/v1/photos"])
def test_multipart_upload_with_the_form_field_and_without(url: str, tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path / "data")) as server:
        alice = sign_up(server, "alice")
        token = csrf(alice)
        cases = [
            ([("caption", "no token"), ("file", ("a.jpg", jpeg((0, 90, 0))))], 403),
            ([("_csrf_token", "forged"), ("file", ("a.jpg", jpeg((0, 90, 0))))], 403),
            # The token must come before the first file: the file is never buffered unchecked.
            ([("file", ("a.jpg", jpeg((0, 90, 0)))), ("_csrf_token", token)], 403),
            ([("_csrf_token", "forged"), ("caption", "no file")], 403),
        ]
        for fields, status in cases:
            body, content_type = multipart(fields)
            before = snapshot(server)
            response = alice.post(url, content=body, headers={"content-type": content_type})
            assert response.status_code == status, (fields[0][0], response.text[:200])
            assert CSRF_MESSAGE in response.text
            assert not before.diff(snapshot(server))
            assert server.temp_files() == []
        body, content_type = multipart(
            [("_csrf_token", token), ("caption", "ok"), ("file", ("a.jpg", jpeg((0, 90, 0))))]
        )
        response = alice.post(url, content=body, headers={"content-type": content_type})
        assert response.status_code == 201, response.text[:300]
        assert server.count("photos") == 1
        assert server.temp_files() == []
