"""A query parameter an /api route does not take is refused (400) and named, with the ones it
does take, rather than ignored: a script's misspelt `?limt=5` would otherwise get 30 photos
and no word of why (web/params.py `ApiQuery`). Pages take any parameter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.state import snapshot
from tests.support import PHOTOS, LiveServer, api_login, archive_of, uploaded

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[tuple[LiveServer, httpx.Client, int]]:
    with archive_of(tmp_path / "data", ("alice",)) as server:
        alice = api_login(server, "alice")
        photo_id = uploaded(alice, PHOTOS / "cameras" / "Canon_40D.jpg")
        yield server, alice, photo_id


def test_a_misspelt_parameter_is_named_with_the_ones_taken(
    archive: tuple[LiveServer, httpx.Client, int],
) -> None:
    _, alice, _ = archive
    refused = alice.get("/api/v1/photos", params={"limt": "5"})
    assert refused.status_code == 400
    assert refused.json() == {
        "status": 400,
        "detail": "This address takes no query parameter `limt`; the ones it takes: `cursor`,"
        " `limit`.",
        "field": "limt",
    }
    both = alice.get("/api/v1/photos?limit=5&curser=9&x=")
    assert both.status_code == 400
    assert both.json()["detail"].startswith("This address takes no query parameter `curser`, `x`;")
    assert both.json()["field"] == "curser"
    none = alice.get("/api/v1/me", params={"verbose": "1"})
    assert none.status_code == 400
    assert none.json()["detail"].endswith("the ones it takes: none.")
    # The parameters it takes, as before.
    listed = alice.get("/api/v1/photos", params={"limit": "1", "cursor": ""})
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1
    assert alice.get("/api/v1/search", params={"q": "canon", "limit": "2"}).status_code == 200


def test_every_api_read_refuses_an_unknown_parameter(
    archive: tuple[LiveServer, httpx.Client, int],
) -> None:
    _, alice, photo_id = archive
    document = alice.get("/schema/openapi.json").json()
    values = {"photo_id": photo_id, "username": "alice", "month": "2024-07"}
    checked = []
    for path, item in document["paths"].items():
        if not path.startswith("/api/") or "get" not in item:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: str(values.get(m[1], 1)), path)
        answer = alice.get(url, params={"nosuch": "1"})
        assert answer.status_code == 400, (url, answer.status_code)
        assert answer.json()["field"] == "nosuch", url
        checked.append(path)
    assert len(checked) >= 20
    assert "/api/v1/tokens" in checked and "/api/v1/photos/{photo_id}" in checked


def test_an_unsafe_request_with_an_unknown_parameter_changes_nothing(
    archive: tuple[LiveServer, httpx.Client, int],
) -> None:
    server, alice, photo_id = archive
    before = snapshot(server)
    refused = alice.delete(f"/api/v1/photos/{photo_id}", params={"purge": "true"})
    assert refused.status_code == 400 and refused.json()["field"] == "purge"
    assert not before.diff(snapshot(server))
    assert alice.get(f"/api/v1/photos/{photo_id}").status_code == 200


def test_pages_take_any_parameter(archive: tuple[LiveServer, httpx.Client, int]) -> None:
    server, _, photo_id = archive
    page = server.client().get(f"/photos/{photo_id}", params={"utm_source": "mail"})
    assert page.status_code in (200, 303)
    assert server.client().get("/healthz", params={"probe": "1"}).status_code == 200


def test_a_parameter_given_twice_is_refused(
    archive: tuple[LiveServer, httpx.Client, int],
) -> None:
    _, alice, _ = archive
    for query in ("limit=1&limit=2", "limit=1&limit=1", "cursor=&cursor=", "q=a&limit=2&q=b"):
        path = "/api/v1/search" if query.startswith("q=") else "/api/v1/photos"
        refused = alice.get(f"{path}?{query}")
        assert refused.status_code == 400, query
        name = query.split("=")[0]
        assert refused.json() == {
            "status": 400,
            "detail": f"The query parameter `{name}` is given more than once; give it once.",
            "field": name,
        }
    assert alice.get("/api/v1/photos?limit=1&cursor=").status_code == 200
