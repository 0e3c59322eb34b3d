"""An /api route's whole-number query parameter (`limit`, and any other the OpenAPI document
types as an integer) is written in plain decimal digits, as the app writes numbers: `1.0`,
`1e0`, ` 5`, `+5` or `05` is refused (400, naming it) rather than read loosely as 1 or 5
(web/params.py `ApiQuery`). Every such parameter of every /api route is tried, found by
walking the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import PHOTOS, LiveServer, api_login, archive_of, uploaded

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

# As sent in the query string: a decimal point, an exponent, a space (both spellings), a plus
# sign, a leading zero, other scripts' digits, an underscore, nothing at all.
# What a route needs besides the number to answer 200 (search wants something to look for).
ALONGSIDE = {"/api/v1/search": "q=canon&"}
LOOSE = ["1.0", "1e0", "1E0", "10e-1", "%205", "+5", "5%20", "%2B5", "05", "%D9%A3", "1_0", ""]


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[tuple[LiveServer, httpx.Client, dict[str, Any]]]:
    with archive_of(tmp_path / "data", ("alice",)) as server:
        alice = api_login(server, "alice")
        photo_id = uploaded(alice, PHOTOS / "cameras" / "Canon_40D.jpg")
        album = alice.post("/api/v1/albums", json={"title": "Summer"})
        assert album.status_code == 201, album.text
        album_id = album.json()["id"]
        added = alice.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [photo_id]})
        assert added.status_code < 300, added.text
        share = alice.post("/api/v1/shares", json={"album_id": album_id})
        assert share.status_code == 201, share.text
        together = [PHOTOS / "cameras" / name for name in ("Nikon_D70.jpg", "Canon_40D.jpg")]
        files = [("file", (p.name, p.read_bytes(), "image/jpeg")) for p in together]
        batch = alice.post("/api/v1/photos", files=files)  # a batch: more than one at once
        assert batch.status_code == 201, batch.text
        values = {
            "batch_id": batch.json()["items"][0]["batch_id"],
            "photo_id": photo_id,
            "album_id": album_id,
            "username": "alice",
            "share_token": share.json()["token"],
        }
        yield server, alice, values


def _is_integer(schema: dict[str, Any]) -> bool:
    kinds = [schema, *schema.get("oneOf", ()), *schema.get("anyOf", ())]
    return any(kind.get("type") == "integer" for kind in kinds)


def integer_query_parameters(document: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    """(method, path, name, a value it takes) of every integer query parameter of /api."""
    found = []
    for path, item in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            for parameter in operation.get("parameters", ()):
                schema = parameter.get("schema", {})
                if parameter["in"] == "query" and _is_integer(schema):
                    good = schema.get("default", schema.get("minimum", 1))
                    found.append((method.upper(), path, parameter["name"], int(good)))
    return found


def test_every_integer_query_parameter_takes_plain_digits_only(
    archive: tuple[LiveServer, httpx.Client, dict[str, Any]],
) -> None:
    _, alice, values = archive
    document = alice.get("/schema/openapi.json").json()
    checked = integer_query_parameters(document)
    assert len(checked) >= 10
    assert ("GET", "/api/v1/photos", "limit", 30) in checked
    for method, path, name, good in checked:
        url = re.sub(r"\{(\w+)\}", lambda m: str(values[m[1]]), path)
        url += "?" + ALONGSIDE.get(path, "")
        taken = alice.request(method, f"{url}{name}={good}")
        assert taken.status_code == 200, (url, taken.text)
        for loose in LOOSE:
            refused = alice.request(method, f"{url}{name}={loose}")
            assert refused.status_code == 400, (url, loose, refused.status_code)
            assert refused.json()["field"] == name, (url, loose)
            assert f"`{name}`" in refused.json()["detail"], (url, loose)
        # A second spelling alongside a plain one is refused too, whichever comes first.
        both = alice.request(method, f"{url}{name}={good}&{name}={good}.0")
        assert both.status_code == 400 and both.json()["field"] == name, url


def test_the_refusal_says_how_to_write_it(
    archive: tuple[LiveServer, httpx.Client, dict[str, Any]],
) -> None:
    _, alice, _ = archive
    refused = alice.get("/api/v1/photos?limit=1.0")
    assert refused.status_code == 400
    assert refused.json() == {
        "status": 400,
        "detail": "The query parameter `limit` is a whole number written in plain digits,"
        " such as 30.",
        "field": "limit",
    }
    # Within those digits, the route's own bounds answer as before.
    assert alice.get("/api/v1/photos?limit=0").status_code == 400
    assert alice.get("/api/v1/photos?limit=101").status_code == 400
    listed = alice.get("/api/v1/photos?limit=1")
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1
