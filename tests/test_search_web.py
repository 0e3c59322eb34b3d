"""Search over HTTP: GET /api/v1/search (its answer keeps the OpenAPI document's shape, its
refusals are 422 on `q`, its cursor scrolls), the /search page (the header's box is a plain GET
form with a label, results in the photo grid with the selection bar, the next page by cursor),
and that no answer tells anyone where another member's photo was taken."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    browser,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
    upload_bytes,
)
from tests.test_authz_matrix import jpeg
from tests.test_openapi_contract import check

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
ODD = ['"', '"unclosed', "*", "AND", "NEAR(a b", "^x", "[x]", "(", "🎂", "a\x00b", "x:y:z"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def archive(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One archive per module and engine (so not the `engine` fixture)."""
    postgres = request.getfixturevalue("postgres") if request.param == "postgres" else None
    url = postgres.new_database() if postgres else ""
    data = tmp_path_factory.mktemp("search") / "data"
    with archive_of(
        data, ("admin", "owner", "other"), public_view=True, database_url=url
    ) as server:
        owner = api_login(server, "owner")
        for path in CAMERAS[:4]:
            assert upload(owner, path, caption="Café by the river").status_code == 201
        assert upload(owner, PHOTOS / "gps" / "DSCN0010.jpg", caption="harbour").status_code == 201
        yield server


def test_the_api_answers_in_the_documented_shape_and_scrolls(archive: LiveServer) -> None:
    document = archive.client().get("/schema/openapi.json").json()
    other = api_login(archive, "other")
    first = other.get("/api/v1/search", params={"q": "cafe", "limit": 3})
    check(document, "get", "/api/v1/search", first)
    assert first.status_code == 200 and len(first.json()["items"]) == 3
    cursor = first.json()["next_cursor"]
    rest = other.get("/api/v1/search", params={"q": "cafe", "limit": 3, "cursor": cursor})
    assert rest.status_code == 200 and rest.json()["next_cursor"] is None
    ids = [item["id"] for item in first.json()["items"] + rest.json()["items"]]
    assert len(ids) == len(set(ids)) == 4
    refused = other.get("/api/v1/search", params={"q": "colour:red"})
    check(document, "get", "/api/v1/search", refused)
    assert refused.status_code == 422
    assert refused.json() == {
        "status": 422,
        "detail": refused.json()["detail"],
        "field": "q",
    }
    assert "colour:" in refused.json()["detail"]
    forged = other.get("/api/v1/search", params={"q": "cafe", "cursor": "not-ours"})
    assert forged.status_code == 400 and forged.json()["field"] == "cursor"


@pytest.mark.parametrize(
    "q", ["", "   ", "x" * 501, "x" * 10_000, "year:twenty", "after:2024-13-01", "is:nice"]
)
def test_refusals_are_422_on_q(archive: LiveServer, q: str) -> None:
    answer = api_login(archive, "other").get("/api/v1/search", params={"q": q})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "q" and answer.json()["detail"]


def test_no_q_at_all_is_422(archive: LiveServer) -> None:
    answer = api_login(archive, "other").get("/api/v1/search")
    assert answer.status_code == 422 and answer.json()["field"] == "q"


@pytest.mark.parametrize("q", ODD)
def test_odd_text_is_searched_literally(archive: LiveServer, q: str) -> None:
    answer = api_login(archive, "other").get("/api/v1/search", params={"q": q})
    assert answer.status_code in (200, 422), answer.text
    page = browser(archive, "other").get("/search", params={"q": q})
    assert page.status_code in (200, 422), page.text


def test_nobody_learns_where_another_members_photo_was_taken(archive: LiveServer) -> None:
    owner, other = api_login(archive, "owner"), api_login(archive, "other")
    located = owner.get("/api/v1/search", params={"q": "has:location"}).json()["items"]
    assert located and all(item["location"] for item in located)
    for q in ("has:location", "harbour has:location", "place:a"):
        assert other.get("/api/v1/search", params={"q": q}).json()["items"] == [], q
    for item in other.get("/api/v1/search", params={"q": "harbour"}).json()["items"]:
        assert "location" not in item and "sha256" not in item
    guest = archive.client().get("/api/v1/search", params={"q": "has:location"})
    assert guest.status_code == 200 and guest.json()["items"] == []


def _header_form(html: str) -> dict[str, Any]:
    page = parse(html)
    forms = page.find_all("form", role="search", action="/search")
    assert forms and forms[0]["method"] == "get"
    assert page.find_all("label", **{"for": "nav-search-q"})
    field = page.find_all("input", id="nav-search-q")[0]
    assert field["name"] == "q" and field["type"] == "search"
    return field


@pytest.mark.parametrize("path", ["/", "/albums", "/favorites", "/u/owner", "/search"])
def test_every_page_has_the_search_box_in_its_header(archive: LiveServer, path: str) -> None:
    answer = browser(archive, "other").get(path)
    assert answer.status_code == 200
    _header_form(answer.text)


def test_the_page_shows_results_in_the_grid_and_scrolls_by_cursor(archive: LiveServer) -> None:
    client = browser(archive, "other")
    answer = client.get("/search", params={"q": "café"})
    assert answer.status_code == 200
    assert _header_form(answer.text)["value"] == "café"
    page = parse(answer.text)
    assert len(page.find_all("li", class_="grid-item")) == 4
    assert page.find_all("ul", id="grid-items")
    assert page.find_all("button", id="grid-items-select")  # selection, as every grid
    assert page.find_all("div", id="grid-items-bar")
    # The next page, as infinite scroll asks for it: the grid's items alone.
    first = client.get("/api/v1/search", params={"q": "cafe", "limit": 1}).json()
    rest = client.get(
        "/search",
        params={"q": "café", "cursor": first["next_cursor"]},
        headers={"HX-Request": "true"},
    )
    assert rest.status_code == 200 and "<html" not in rest.text
    shown = [
        int(li["data-photo-id"] or 0) for li in parse(rest.text).find_all("li", class_="grid-item")
    ]
    assert shown and first["items"][0]["id"] not in shown
    empty = parse(client.get("/search", params={"q": "zebra"}).text)
    assert "No photos match" in empty.text
    # Plain words that match nothing may be a town: the way to ask where photos were taken.
    (offer,) = [a for a in empty.find_all("a") if (a["href"] or "").startswith("/search?q=place")]
    assert offer["href"] == "/search?q=place%3Azebra" and "Search place:zebra" in empty.text
    two = parse(client.get("/search", params={"q": "new york"}).text)
    assert 'Search place:"new york"' in two.text
    for other in ("year:1990", "paris -eiffel", '"a phrase"'):
        assert (
            "Looking for where" not in parse(client.get("/search", params={"q": other}).text).text
        )


def test_a_place_is_offered_only_for_plain_words_where_places_are_kept() -> None:
    from photoarchive.library.search_query import Q_MAX
    from photoarchive.web.routes.search import place_offer

    assert place_offer("Arezzo", locations_kept=True) == "place:Arezzo"
    assert place_offer(" new   york ", locations_kept=True) == 'place:"new york"'
    assert place_offer("Arezzo", locations_kept=False) is None
    for other in ("", "paris -eiffel", "year:2020 rome", '"old town"', "🎂", "rome &"):
        assert place_offer(other, locations_kept=True) is None, other
    assert place_offer("a " * (Q_MAX // 2), locations_kept=True) is None  # too long to ask


@pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL
def test_the_next_page_link_keeps_the_query(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", registration="open")
    with live_server(settings) as server:
        sign_up(server, "owner")
        owner = api_login(server, "owner")
        for _ in range(31):  # one more than a page
            answer = upload_bytes(owner, "pool.jpg", jpeg(), caption="tide & pool")
            assert answer.status_code == 201
        client = browser(server, "owner")
        first = parse(client.get("/search", params={"q": "tide & pool"}).text)
        assert len(first.find_all("li", class_="grid-item")) == 30
        more = first.find_all("a", class_="more")
        link = more[0]["hx-get"] or ""
        asked = parse_qs(urlsplit(link).query)
        assert asked["q"] == ["tide & pool"] and asked["cursor"]
        rest = client.get(link, headers={"HX-Request": "true"})
        assert rest.status_code == 200 and "<html" not in rest.text


def test_a_refused_query_shows_its_message_on_the_page(archive: LiveServer) -> None:
    answer = browser(archive, "other").get("/search", params={"q": "year:soon"})
    assert answer.status_code == 422
    page = parse(answer.text)
    assert page.find_all("p", id="search-error", role="alert")
    assert "year:" in page.text
    assert page.find_all("input", id="search-q")[0]["aria-invalid"] == "true"


def test_the_page_without_words_shows_what_the_box_understands(archive: LiveServer) -> None:
    answer = browser(archive, "other").get("/search")
    assert answer.status_code == 200
    assert "is:favorite" in parse(answer.text).text


def test_what_was_typed_is_shown_escaped(archive: LiveServer) -> None:
    typed = '<img src=x onerror=alert(1)>"'
    answer = browser(archive, "other").get("/search", params={"q": typed})
    assert answer.status_code == 200
    assert "<img src=x" not in answer.text
    assert _header_form(answer.text)["value"] == typed  # the parser unescapes it again
