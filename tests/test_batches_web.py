"""Upload batches over HTTP: the requests that make one (an API request with several files, a
token carried by several requests, the plain upload form), and the feed's HTML showing a batch
as one entry, with the rest of it on /batches/{id}; the profile and the API stay per photo."""

from __future__ import annotations

import httpx
import pytest

from tests.support import PHOTOS, LiveServer, api_login, csrf, parse, sign_up, upload

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))


def send(client: httpx.Client, *indexes: int, batch: str | None = None) -> httpx.Response:
    files = [("file", (CAMERAS[i].name, CAMERAS[i].read_bytes(), "image/jpeg")) for i in indexes]
    data = {} if batch is None else {"batch": batch}
    return client.post("/api/v1/photos", files=files, data=data)


def test_several_requests_with_one_token_are_one_feed_entry(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    script = api_login(server, "alice")
    assert send(script, 0, batch="tok").status_code == 201
    assert send(script, 1, 2, batch="tok").status_code == 201
    assert send(script, 3, 4, 5, batch="tok").status_code == 201
    page = parse(alice.get("/").text)
    cards = page.find_all("article", class_="card")
    assert len(cards) == 1 and "batch-card" in (cards[0]["class"] or "")
    assert "alice added 6 photos" in page.text
    tiles = page.find_all("li", class_="mosaic-tile")
    assert len(tiles) == 4
    links = [a for a in page.find_all("a") if (a.get("href") or "").endswith("?from=feed")]
    assert len(links) == 4
    more = page.find_all("a", class_="mosaic-more")
    assert len(more) == 1 and "+2" in page.text
    batch_page = alice.get(more[0]["href"] or "")
    assert batch_page.status_code == 200
    grid = parse(batch_page.text)
    assert len(grid.find_all("li", class_="grid-item")) == 6
    assert "alice added 6 photos" in grid.text
    # Each photo keeps its own page and place; the profile and the API stay one per photo.
    assert len(parse(alice.get("/u/alice").text).find_all("li", class_="grid-item")) == 6
    assert len(script.get("/api/v1/photos").json()["items"]) == 6


def test_an_api_request_with_several_files_is_a_batch_and_one_file_a_card(
    server: LiveServer,
) -> None:
    alice = sign_up(server, "alice")
    script = api_login(server, "alice")
    assert send(script, 0, 1, 2).status_code == 201
    assert send(script, 3).status_code == 201
    assert send(script, 4).status_code == 201  # no token: not joined to the one before
    page = parse(alice.get("/").text)
    assert len(page.find_all("article", class_="card")) == 3
    assert len(page.find_all("article", class_="batch-card")) == 1
    assert len(page.find_all("li", class_="mosaic-tile")) == 3
    assert not page.find_all("a", class_="mosaic-more")
    assert "alice added 3 photos" in page.text


def test_the_plain_upload_form_makes_one_batch(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    assert upload(alice, *CAMERAS[:2], api=False).status_code == 201
    page = parse(alice.get("/").text)
    assert len(page.find_all("article", class_="batch-card")) == 1


def test_a_token_never_reaches_another_persons_batch(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    sign_up(server, "bob")
    a, b = api_login(server, "alice"), api_login(server, "bob")
    assert send(a, 0, 1, batch="shared").status_code == 201
    assert send(b, 2, 3, batch="shared").status_code == 201
    page = parse(alice.get("/").text)
    assert len(page.find_all("article", class_="batch-card")) == 2
    assert "alice added 2 photos" in page.text and "bob added 2 photos" in page.text


def test_a_duplicate_does_not_join_and_bad_tokens_are_refused(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    script = api_login(server, "alice")
    assert send(script, 0, batch="first").status_code == 201
    again = send(script, 0, 1, batch="second")
    assert again.status_code == 201
    assert [item["duplicate"] for item in again.json()["items"]] == [True, False]
    page = parse(alice.get("/").text)
    assert len(page.find_all("article", class_="card")) == 2
    assert not page.find_all("article", class_="batch-card")
    refused = send(script, 2, batch="x" * 65)
    assert refused.status_code == 422 and refused.json()["field"] == "batch"
    assert send(script, 2, batch="no spaces").status_code == 422


def test_a_batch_page_that_is_not_there_is_404(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    assert alice.get("/batches/12345").status_code == 404
    guest = httpx.Client(base_url=alice.base_url)
    csrf(guest)
    assert guest.get("/batches/1").status_code in (303, 401)
