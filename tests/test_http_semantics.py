"""HTTP as clients and caches expect it: what may be stored, HEAD, OPTIONS and 416 answers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest

from photoarchive.app import create_app
from tests.support import (
    HANG_TIMEOUT,
    LiveServer,
    api_login,
    csrf,
    live_server,
    make_settings,
    sign_up,
    upload_bytes,
)
from tests.test_csrf import jpeg

COMPARED = ("content-type", "content-length", "etag", "cache-control", "content-disposition")


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    module_database: Callable[[], str],
) -> Iterator[dict[str, object]]:
    data = tmp_path_factory.mktemp("http") / "data"
    with live_server(make_settings(data, database_url=module_database())) as server:
        alice = sign_up(server, "alice")  # the first account: an administrator
        photo = upload_bytes(alice, "a.jpg", jpeg((90, 30, 30))).json()["items"][0]
        yield {"server": server, "alice": alice, "photo": photo}


def personal_urls(photo: dict[str, object]) -> list[str]:
    pid = photo["id"]
    return [
        "/",
        f"/photos/{pid}",
        f"/photos/{pid}/comments",
        "/u/alice",
        "/upload",
        "/settings",
        "/admin",
        "/api/v1/me",
        "/api/v1/photos",
        f"/api/v1/photos/{pid}",
        f"/api/v1/photos/{pid}/comments",
        "/api/v1/users/alice",
    ]


def test_answers_for_a_signed_in_viewer_are_never_stored(world: dict[str, object]) -> None:
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    script = api_login(world["server"], "alice")  # type: ignore[arg-type]
    for client in (alice, script):
        for url in personal_urls(world["photo"]):  # type: ignore[arg-type]
            for attempt in range(2):  # the second may come from the page cache
                response = client.get(url, headers={"hx-request": "true"} if attempt else {})
                assert response.status_code == 200, url
                assert "no-store" in response.headers.get("cache-control", ""), (url, attempt)
    # errors too: they may name what the viewer asked for
    assert "no-store" in alice.get("/photos/999999").headers["cache-control"]


def test_the_sites_own_files_and_photo_files_keep_their_caching(
    world: dict[str, object],
) -> None:
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    photo: dict[str, dict[str, str]] = world["photo"]  # type: ignore[assignment]
    css = alice.get("/static/css/app.css")
    assert css.status_code == 200
    assert "no-store" not in css.headers.get("cache-control", "")
    for url in (photo["urls"]["thumbnail"], photo["urls"]["original"]):
        media = alice.get(url)
        assert media.headers["cache-control"].startswith("private"), url
        assert "no-store" not in media.headers["cache-control"]


def head_urls(photo: dict[str, dict[str, str]]) -> list[str]:
    return [
        *personal_urls(photo),  # type: ignore[arg-type]
        "/login",
        "/signup",
        "/healthz",
        "/readyz",
        "/schema",
        "/schema/openapi.json",
        "/static/css/app.css",
        photo["urls"]["thumbnail"],
        photo["urls"]["original"],
    ]


@pytest.mark.parametrize("signed_in", [True, False])
def test_head_answers_as_get_does_without_a_body(world: dict[str, object], signed_in: bool) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    client = world["alice"] if signed_in else server.client()
    assert isinstance(client, httpx.Client)
    for url in head_urls(world["photo"]):  # type: ignore[arg-type]
        got = client.get(url)
        head = client.head(url)
        assert head.status_code == got.status_code, (url, head.status_code, got.status_code)
        assert head.content == b"", url
        for name in COMPARED:
            if name == "content-length" and got.status_code in (301, 302, 303):
                continue
            assert head.headers.get(name) == got.headers.get(name), (url, name)
        if got.status_code == 200 and "content-length" in got.headers:
            assert int(head.headers["content-length"]) == len(got.content), url


def test_head_of_a_range_and_of_the_event_stream(world: dict[str, object]) -> None:
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    original = world["photo"]["urls"]["original"]  # type: ignore[index]
    part = alice.head(original, headers={"range": "bytes=0-9"})
    assert part.status_code == 206 and part.headers["content-length"] == "10"
    assert part.content == b""
    # A stream that never ends by itself ends with its headers when only they were asked for.
    with httpx.Client(base_url=alice.base_url, cookies=alice.cookies, timeout=HANG_TIMEOUT) as c:
        events = c.head("/events")
    assert events.status_code == 200
    assert events.headers["content-type"].startswith("text/event-stream")


def route_methods(server: LiveServer) -> dict[str, set[str]]:
    app = create_app(server.settings)
    return {
        route.path: set(route.methods) for route in app.routes if getattr(route, "methods", None)
    }


def concrete(path: str, photo: dict[str, object]) -> str | None:
    if "{path:" in path or "{file_path" in path:
        return None
    values = {"photo_id": str(photo["id"]), "comment_id": "1", "username": "alice"}
    values |= {"action": "disable", "session_id": "1", "name": "thumbnail", "token": "x"}
    values |= {"token_id": "1"}
    values |= {"batch_id": "1", "album_id": "1", "share_id": "1", "share_token": "x"}
    values |= {"invite_id": "1"}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values[m.group(1)], path)


def test_options_lists_every_method_of_the_address(world: dict[str, object]) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    client = server.client()
    upload = client.options("/api/v1/photos")
    assert upload.status_code == 204
    assert {m.strip() for m in upload.headers["allow"].split(",")} == {
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    }
    checked = 0
    for path, methods in route_methods(server).items():
        url = concrete(path, world["photo"])  # type: ignore[arg-type]
        if url is None:
            continue
        expected = methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
        allow = client.options(url).headers.get("allow", "")
        assert {m.strip() for m in allow.split(",") if m.strip()} == expected, url
        checked += 1
    assert checked > 20


def test_a_method_not_allowed_names_head_with_get(world: dict[str, object]) -> None:
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    response = alice.delete("/api/v1/me", headers={"x-csrftoken": csrf(alice)})
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "HEAD"}


def test_an_unsatisfiable_range_is_an_error_in_our_shape(world: dict[str, object]) -> None:
    alice: httpx.Client = world["alice"]  # type: ignore[assignment]
    original = world["photo"]["urls"]["original"]  # type: ignore[index]
    size = len(alice.get(original).content)
    for header in (f"bytes={size}-", f"bytes={size + 100}-{size + 200}", "bytes=-0"):
        response = alice.get(original, headers={"range": header})
        assert response.status_code == 416, header
        assert response.headers["content-range"] == f"bytes */{size}"
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert body["status"] == 416 and body["detail"]
        assert "immutable" not in response.headers.get("cache-control", "")


def test_the_api_answers_in_its_own_shape_at_its_root_and_where_nothing_is(
    world: dict[str, object],
) -> None:
    server: LiveServer = world["server"]  # type: ignore[assignment]
    guest = server.client()
    for path in ("/api", "/api/", "/api/v1/nothing"):
        response = guest.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/json"), path
        assert response.json() == {"status": 404, "detail": "There is nothing at this address."}
    # An API refusal says what is refused, not which page (there is none).
    sign_up(server, "bob")
    bob = api_login(server, "bob")
    refused = bob.get("/api/v1/admin/users")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only administrators can do this."
