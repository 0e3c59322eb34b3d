"""The JSON API reads only bodies that say they are JSON.

A `text/plain` body is one any web page may send to this site from its visitors' browsers
without asking first (no CORS preflight); a JSON one is not. So a body of another type is
refused (415) before it is decoded, on every route that takes a JSON body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest

from photoarchive.app import create_app
from tests.state import snapshot
from tests.support import PASSWORD, LiveServer, api_login, live_server, make_settings, upload_bytes
from tests.test_csrf import jpeg

BODIES = {
    "signup": {"username": "mallory", "email": "m@example.org", "password": PASSWORD},
    "login": {"login": "alice", "password": PASSWORD},
    "confirm": {"username": "alice", "code": "123456"},
    "edit_photo": {"caption": "forged"},
    "add_comment": {"text": "forged"},
    "mark_read": {"ids": None},
    "create_album": {"title": "forged"},
    "edit_album": {"title": "forged"},
    "edit_batch": {"caption": "forged"},
    "add_photos": {"photo_ids": [1]},
    "remove_photos": {"photo_ids": [1]},
    "set_member": {"role": "viewer"},
    "hand_over": {"username": "alice"},
    "create_share": {"photo_ids": [1]},
    "restore": {"photo_ids": [1]},
    "edit_share": {"allow_download": True},
    "bulk_photos": {"photo_ids": [1], "action": "favorite"},
    "download_photos": {"photo_ids": [1]},
    "edit_user": {"quota_mb": 5},
}
NOT_JSON = [
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/jsonp",
    "application/json-seq",
    "",
]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    module_database: Callable[[], str],
) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("json") / "data"
    with live_server(make_settings(data, database_url=module_database())) as live:
        client = live.client()
        alice = {"username": "alice", "email": "alice@example.org", "password": PASSWORD}
        signed = client.post("/api/v1/auth/signup", json=alice)
        assert signed.status_code == 201, signed.text
        yield live


def json_routes(server: LiveServer) -> list[tuple[str, str, str]]:
    """(method, path, handler name) of every API route whose handler takes a body."""
    app = create_app(server.settings)
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if route.path.startswith("/api/") and "data" in handler.parsed_fn_signature.parameters:
                for method in handler.http_methods:
                    found.append((method, route.path, handler.handler_name))
    return found


def test_every_json_route_refuses_a_body_of_another_type(server: LiveServer) -> None:
    bearer = api_login(server, "alice")
    photo = upload_bytes(bearer, "p.jpg", jpeg((1, 2, 3))).json()["items"][0]["id"]
    routes = json_routes(server)
    assert {name for _m, _p, name in routes} == set(BODIES)
    for method, path, name in routes:
        url = re.sub(r"\{\w+(?::\w+)?\}", str(photo), path)
        for content_type in NOT_JSON:
            before = snapshot(server)
            headers = {"content-type": content_type} if content_type else {}
            response = bearer.request(method, url, content=_json(BODIES[name]), headers=headers)
            assert response.status_code == 415, (name, content_type, response.status_code)
            assert response.headers["content-type"].startswith("application/json")
            assert response.json()["status"] == 415
            assert "application/json" in response.json()["detail"]
            assert not before.diff(snapshot(server)), (name, content_type)


def test_a_page_cannot_sign_its_visitors_in_or_up_with_a_simple_request(
    server: LiveServer,
) -> None:
    """What a cross-site `fetch(..., {mode: "no-cors", body: "..."})` sends: text/plain."""
    visitor = server.client()
    before = snapshot(server)
    for name in ("signup", "login"):
        response = visitor.post(
            f"/api/v1/auth/{name}",
            content=_json(BODIES[name]),
            headers={"content-type": "text/plain;charset=UTF-8", "origin": "https://evil.example"},
        )
        assert response.status_code in (403, 415), response.text
        assert "token" not in response.json()
    assert not before.diff(snapshot(server))


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.api+json",
    ],
)
def test_json_types_are_read(server: LiveServer, content_type: str) -> None:
    response = server.client().post(
        "/api/v1/auth/login",
        content=_json(BODIES["login"]),
        headers={"content-type": content_type},
    )
    assert response.status_code == 200, response.text
    assert response.json()["token"]


def test_routes_without_a_body_still_take_none(server: LiveServer) -> None:
    bearer = api_login(server, "alice")
    photo = upload_bytes(bearer, "q.jpg", jpeg((4, 5, 6))).json()["items"][0]["id"]
    assert bearer.put(f"/api/v1/photos/{photo}/like").status_code == 200
    assert bearer.delete(f"/api/v1/photos/{photo}/like").status_code == 200
    assert bearer.post("/api/v1/auth/logout").status_code == 204


def _json(value: object) -> bytes:
    return json.dumps(value).encode()
