"""Batches in the JSON API: an upload's answer names the batch each photo is in, and
`/api/v1/batches/{id}` reads it (the photos the caller may see, and the caption of the whole
only where the batch's page shows it) and lets its owner change that caption. Over HTTP, on
both engines; the schema is in the OpenAPI document."""

from __future__ import annotations

import httpx
import pytest

from photoarchive.library import photos
from photoarchive.library.photos import CAPTION_MAX
from tests.support import LiveServer, api_login, browser, parse, sign_up
from tests.test_batch_captions import CAMERAS

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

WHOLE = "Grandma's 91st <b>cake</b>"


def sent(client: httpx.Client, first: int, count: int, **fields: str) -> list[dict[str, object]]:
    files = [("file", (p.name, p.read_bytes(), "image/jpeg")) for p in CAMERAS[first:][:count]]
    made = client.post("/api/v1/photos", files=files, data=fields)
    assert made.is_success, made.text
    items: list[dict[str, object]] = made.json()["items"]
    return items


def test_an_upload_names_the_batch_of_each_photo(server: LiveServer) -> None:
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    together = sent(alice, 0, 3, caption=WHOLE)
    batch = together[0]["batch_id"]
    assert isinstance(batch, int)
    assert [item["batch_id"] for item in together] == [batch] * 3
    # One file alone is in no batch; sent again, a photo answers with the batch it is in.
    assert sent(alice, 3, 1)[0]["batch_id"] is None
    again = sent(alice, 1, 1)[0]
    assert again["duplicate"] is True and again["batch_id"] == batch
    # Two requests of one Upload (the upload page's `batch`) join one batch.
    first = sent(alice, 4, 1, batch="upload-7")[0]["batch_id"]
    assert first is not None and sent(alice, 5, 1, batch="upload-7")[0]["batch_id"] == first


def test_a_batch_of_many_is_read_a_page_at_a_time(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import is one batch: 20,000 photos were read and sent in one answer (and drawn on
    one page). Pages follow a cursor, as every list's; the count is the whole batch's."""
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    alice = api_login(server, "alice")
    items = sent(alice, 0, 5, caption=WHOLE)
    batch, ids = items[0]["batch_id"], sorted((item["id"] for item in items), reverse=True)
    private = alice.patch(f"/api/v1/photos/{ids[0]}", json={"visibility": "private"})
    assert private.is_success, private.text
    for reader, seen in ((alice, ids), (bob, ids[1:])):
        walked, cursor, pages = [], None, 0
        while True:
            query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = reader.get(f"/api/v1/batches/{batch}", params=query).json()
            assert page["total"] == len(seen) and len(page["photos"]) <= 2
            assert page["caption"] == WHOLE  # the whole's words on every page
            walked += [photo["id"] for photo in page["photos"]]
            pages, cursor = pages + 1, page["next_cursor"]
            if cursor is None:
                break
        assert walked == seen and pages == (len(seen) + 1) // 2
    assert alice.get(f"/api/v1/batches/{batch}", params={"limit": 101}).status_code == 400
    assert alice.get(f"/api/v1/batches/{batch}", params={"cursor": "x"}).status_code == 400

    # The page: the whole count in its heading, a page of its grid, and a way to the next.
    monkeypatch.setattr(photos, "PAGE_DEFAULT", 2)
    reader = browser(server, "alice")
    shown = parse(reader.get(f"/batches/{batch}").text)
    assert "alice added 5 photos" in shown.text
    assert [int(li["data-photo-id"] or 0) for li in shown.find_all("li", class_="grid-item")] == (
        ids[:2]
    )
    (more,) = [a["href"] for a in shown.find_all("a", class_="more")]
    assert more == f"/batches/{batch}?cursor={ids[1]}"
    scrolled = parse(reader.get(more, headers={"HX-Request": "true"}).text)
    assert not scrolled.find_all("h1")  # the grid's next page alone
    items = scrolled.find_all("li", class_="grid-item")
    assert [int(li["data-photo-id"] or 0) for li in items] == ids[2:4]

    # Past its end (the rest archived while it was scrolled): an empty page, not a 404 ...
    past = alice.get(f"/api/v1/batches/{batch}", params={"cursor": ids[-1]}).json()
    assert past["photos"] == [] and past["next_cursor"] is None and past["total"] == 5
    # ... but to someone who sees none of it, nothing is there, on any page.
    for photo in ids[1:]:
        assert alice.patch(f"/api/v1/photos/{photo}", json={"visibility": "private"}).is_success
    assert bob.get(f"/api/v1/batches/{batch}", params={"cursor": ids[2]}).status_code == 404
    bobs = browser(server, "bob")
    hidden = bobs.get(f"/batches/{batch}?cursor={ids[2]}", headers={"HX-Request": "true"})
    assert hidden.status_code == 404 and "alice" not in hidden.text


def test_a_batch_reads_as_its_page(server: LiveServer) -> None:
    sign_up(server, "alice")
    bob = sign_up(server, "bob")
    alice = api_login(server, "alice")
    items = sent(alice, 0, 3, caption=WHOLE)
    batch, ids = items[0]["batch_id"], [item["id"] for item in items]

    mine = alice.get(f"/api/v1/batches/{batch}").json()
    assert mine["id"] == batch and mine["owner"] == {"username": "alice"}
    assert mine["caption"] == WHOLE and mine["mine"] is True
    assert [photo["id"] for photo in mine["photos"]] == sorted(ids, reverse=True)
    assert all("sha256" in photo for photo in mine["photos"])  # the owner's, as the photo API
    theirs = bob.get(f"/api/v1/batches/{batch}").json()
    assert theirs["caption"] == WHOLE and theirs["mine"] is False
    assert all("location" not in photo and "sha256" not in photo for photo in theirs["photos"])

    # Two of them private: Bob sees one photo, and no words of the whole (they may be about
    # the others); the owner still sees everything.
    for photo_id in ids[:2]:
        made = alice.patch(f"/api/v1/photos/{photo_id}", json={"visibility": "private"})
        assert made.is_success, made.text
    theirs = bob.get(f"/api/v1/batches/{batch}").json()
    assert [photo["id"] for photo in theirs["photos"]] == [ids[2]] and theirs["caption"] == ""
    assert len(alice.get(f"/api/v1/batches/{batch}").json()["photos"]) == 3
    alice.patch(f"/api/v1/photos/{ids[2]}", json={"visibility": "private"})
    gone = bob.get(f"/api/v1/batches/{batch}")
    assert gone.status_code == 404 and "batch" in gone.json()["detail"]
    assert server.client().get(f"/api/v1/batches/{batch}").status_code == 401
    assert alice.get("/api/v1/batches/999999").status_code == 404


def test_its_owner_changes_the_caption_of_the_whole(server: LiveServer) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice, bob = api_login(server, "alice"), api_login(server, "bob")
    items = sent(alice, 0, 2, caption=WHOLE)
    batch = items[0]["batch_id"]
    url = f"/api/v1/batches/{batch}"

    changed = alice.patch(url, json={"caption": "  Cake, candles, everyone  "})
    assert changed.status_code == 200, changed.text
    assert changed.json()["caption"] == "Cake, candles, everyone"
    # The photos keep their own captions (each was given the upload's).
    assert {photo["caption"] for photo in changed.json()["photos"]} == {WHOLE}
    assert bob.get(url).json()["caption"] == "Cake, candles, everyone"

    refused = bob.patch(url, json={"caption": "mine now"})
    assert refused.status_code == 403 and "caption" in refused.json()["detail"]
    too_long = alice.patch(url, json={"caption": "x" * (CAPTION_MAX + 1)})
    assert too_long.status_code == 422 and too_long.json()["field"] == "caption"
    assert f"{CAPTION_MAX:,}" in too_long.json()["detail"]
    unknown = alice.patch(url, json={"caption": "x", "title": "y"})
    assert unknown.status_code in (400, 422)
    assert alice.get(url).json()["caption"] == "Cake, candles, everyone"  # refusals changed nothing

    cleared = alice.patch(url, json={"caption": ""})
    assert cleared.status_code == 200 and cleared.json()["caption"] == ""
    assert bob.get(url).json()["caption"] == ""


def test_the_batch_answers_are_described(server: LiveServer) -> None:
    document = server.client().get("/schema/openapi.json").json()
    operations = document["paths"]["/api/v1/batches/{batch_id}"]
    for method in ("get", "patch"):
        ok = operations[method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"].endswith("/BatchOut")
    batch = document["components"]["schemas"]["BatchOut"]
    assert set(batch["required"]) == {
        *("id", "owner", "created_at", "caption", "mine", "photos", "total", "next_cursor")
    }
    uploaded = document["components"]["schemas"]["UploadedPhotoOut"]
    assert "batch_id" in uploaded["required"]
