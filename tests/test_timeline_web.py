"""The timeline and memories over HTTP: the API's answers in the document's shapes, a malformed
month refused by name, the page's months and headings without script (month links, the next
page as a plain link, one grid across months), the memories strip on the feed and the
timeline, and nothing of another member's private photos or location in any of it."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    PHOTOS,
    FrozenClock,
    LiveServer,
    api_login,
    archive_of,
    browser,
    live_server,
    make_settings,
    parse,
    upload,
)
from tests.test_openapi_contract import check
from tests.test_private_photos import ids_in

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
GPS = PHOTOS / "gps" / "DSCN0010.jpg"


@pytest.fixture
def archive(tmp_path: Path, frozen_clock: FrozenClock) -> Iterator[LiveServer]:
    # 4 July 2026, 01:00 UTC: still 3 July in New York, the archive's zone.
    frozen_clock.moment = datetime(2026, 7, 4, 1, 0, tzinfo=UTC).timestamp()
    with archive_of(
        tmp_path / "data", ("alice", "bob"), public_view=True, timezone="America/New_York"
    ) as server:
        yield server


def taken(server: LiveServer, photo_id: int, stamp: str | None) -> None:
    """Set a photo's date taken as ingest would have written it (the cameras' own differ)."""
    with server.db() as conn:
        conn.execute("UPDATE photos SET taken_at = ? WHERE id = ?", (stamp, photo_id))


def uploaded(server: LiveServer, owner: str, path: Path, stamp: str | None) -> int:
    photo_id = int(upload(api_login(server, owner), path).json()["items"][0]["id"])
    taken(server, photo_id, stamp)
    return photo_id


@pytest.fixture
def document(archive: LiveServer) -> dict[str, Any]:
    return dict(archive.client().get("/schema/openapi.json").json())


def test_api_answers_keep_the_documents_shapes(
    archive: LiveServer, document: dict[str, Any]
) -> None:
    july = uploaded(archive, "alice", CAMERAS[0], "2024-07-05T10:00:00")
    remembered = uploaded(archive, "alice", CAMERAS[1], "2021-07-03T18:00:00+02:00")
    private = uploaded(archive, "bob", CAMERAS[2], "2024-07-10T10:00:00")
    located = uploaded(archive, "bob", GPS, "2024-06-01T10:00:00")
    bob = api_login(archive, "bob")
    assert bob.patch(f"/api/v1/photos/{private}", json={"visibility": "private"}).status_code == 200
    alice = api_login(archive, "alice")

    buckets = alice.get("/api/v1/timeline/buckets")
    check(document, "get", "/api/v1/timeline/buckets", buckets)
    assert buckets.json() == {
        "items": [
            {"month": "2024-07", "count": 1},
            {"month": "2024-06", "count": 1},
            {"month": "2021-07", "count": 1},
        ]
    }
    assert bob.get("/api/v1/timeline/buckets").json()["items"][0] == {
        "month": "2024-07",
        "count": 2,
    }

    first = alice.get("/api/v1/timeline", params={"limit": 2})
    check(document, "get", "/api/v1/timeline", first)
    assert [p["id"] for p in first.json()["items"]] == [july, located]
    rest = alice.get("/api/v1/timeline", params={"cursor": first.json()["next_cursor"]})
    assert [p["id"] for p in rest.json()["items"]] == [remembered]
    assert rest.json()["next_cursor"] is None
    june = alice.get("/api/v1/timeline", params={"month": "2024-06"}).json()
    assert [p["id"] for p in june["items"]] == [located, remembered]
    # Where bob's photo was taken is his alone, in every answer.
    assert all("location" not in p for p in june["items"])
    assert "location" in bob.get("/api/v1/timeline", params={"month": "2024-06"}).json()["items"][0]

    memories = alice.get("/api/v1/memories")  # 3 July in New York
    check(document, "get", "/api/v1/memories", memories)
    assert [(m["years_ago"], [p["id"] for p in m["photos"]]) for m in memories.json()["items"]] == [
        (5, [remembered])
    ]
    guest = archive.client()  # public view: family photos only
    assert [m["years_ago"] for m in guest.get("/api/v1/memories").json()["items"]] == [5]
    assert private not in [p["id"] for p in guest.get("/api/v1/timeline").json()["items"]]


def test_a_malformed_month_or_cursor_is_refused_in_the_documents_shape(
    archive: LiveServer, document: dict[str, Any]
) -> None:
    alice = api_login(archive, "alice")
    for month in ("2024-13", "24-07", "July", "2024-07-01"):
        refused = alice.get("/api/v1/timeline", params={"month": month})
        assert refused.status_code == 422, refused.text
        check(document, "get", "/api/v1/timeline", refused)
        assert refused.json()["field"] == "month"
    bad = alice.get("/api/v1/timeline", params={"cursor": "nonsense"})
    assert bad.status_code == 400 and bad.json()["field"] == "cursor"
    check(document, "get", "/api/v1/timeline", bad)
    closed = make_settings(archive.settings.data_dir, public_view=False)
    with live_server(closed) as private_archive:
        for path in ("/api/v1/timeline", "/api/v1/timeline/buckets", "/api/v1/memories"):
            answer = private_archive.client().get(path)
            assert answer.status_code == 401
            check(document, "get", path, answer)
    assert archive.client().get("/timeline", params={"month": "2024-13"}).status_code == 422


def test_the_page_works_without_script(archive: LiveServer) -> None:
    ids = [
        uploaded(archive, "alice", path, stamp)
        for path, stamp in zip(
            CAMERAS[:4],
            (
                "2024-07-03T10:00:00",
                "2024-07-01T10:00:00",
                "2023-12-24T10:00:00+01:00",
                None,  # no date taken: by its upload, July 2026
            ),
            strict=True,
        )
    ]
    with archive.db() as conn:
        conn.execute(
            "UPDATE photos SET created_at = '2026-07-02T10:00:00.000000Z' WHERE id = ?", (ids[3],)
        )
    alice = browser(archive, "alice")
    page = alice.get("/timeline")
    assert page.status_code == 200
    html = parse(page.text)
    # The scrubber: a link per month, newest first, the month shown marked.
    links = [a for a in html.find_all("a") if (a.get("href") or "").startswith("/timeline?month=")]
    assert [a["href"] for a in links] == [
        f"/timeline?month={m}#month-{m}" for m in ("2026-07", "2024-07", "2023-12")
    ]
    assert [a.get("aria-current") for a in links] == ["true", None, None]
    # Each month's count, said as a person would (to a screen reader too).
    assert page.text.count('<span class="count">1<span class="visually-hidden"> photo</span>') == 2
    assert page.text.count('<span class="count">2<span class="visually-hidden"> photos</span>') == 1
    # One grid, a heading before each month's first photo.
    assert len(html.find_all("ul", class_="grid")) == 1
    assert [h.get("id") for h in html.find_all("li", class_="grid-month")] == [
        "month-2026-07",
        "month-2024-07",
        "month-2023-12",
    ]
    assert "July 2024" in html.text and "December 2023" in html.text
    assert ids_in(page.text, "grid-") == set(ids)
    assert "without a date taken" in html.text
    # The jump: from that month on, the month marked, a way back to the newest.
    jumped = alice.get("/timeline", params={"month": "2023-12"})
    jumped_html = parse(jumped.text)
    assert ids_in(jumped.text, "grid-") == {ids[2]}
    current = [a for a in jumped_html.find_all("a") if a.get("aria-current") == "true"]
    assert [a["href"] for a in current] == ["/timeline?month=2023-12#month-2023-12"]
    assert jumped_html.find_all("a", href="/timeline")
    # The next page is a plain link that also works as a page of its own.
    with archive.db() as conn:
        for n in range(40):
            conn.execute(
                "INSERT INTO photos (owner_id, sha256, bytes, content_type, width, height,"
                " preview_width, taken_at, created_at, tag)"
                " SELECT owner_id, ?, bytes, content_type, width, height,"
                " preview_width, ?, created_at, tag FROM photos WHERE id = ?",
                (f"{1000 + n:064x}", f"2022-01-0{n % 9 + 1}", ids[0]),
            )
    full = parse(alice.get("/timeline").text)
    more = [a["href"] for a in full.find_all("a", class_="more") if "cursor=" in (a["href"] or "")]
    assert len(more) == 1
    second = alice.get(str(more[0]))
    assert second.status_code == 200 and "January 2022" in parse(second.text).text
    # Under htmx, only the grid's next items (no page around them).
    chunk = alice.get(str(more[0]), headers={"HX-Request": "true"})
    assert "<html" not in chunk.text and 'class="grid-item"' in chunk.text
    assert "grid-month" not in chunk.text  # January 2022 went on from the page before


def test_memories_strip_on_the_feed_and_the_timeline(archive: LiveServer) -> None:
    remembered = uploaded(archive, "alice", CAMERAS[0], "2016-07-03T09:00:00")
    hidden = uploaded(archive, "alice", CAMERAS[1], "2019-07-03T09:00:00")
    uploaded(archive, "alice", CAMERAS[2], "2019-07-04T09:00:00")  # 4 July: not yet
    alice_api = api_login(archive, "alice")
    assert alice_api.patch(f"/api/v1/photos/{hidden}", json={"visibility": "private"}).is_success
    bob = browser(archive, "bob")
    for path in ("/", "/timeline"):
        html = parse(bob.get(path).text)
        strip = html.find_all("section", class_="memories")
        assert strip, path
        assert "10 years ago" in html.text and "7 years ago" not in html.text
        assert html.find_all("a", href=f"/photos/{remembered}")
    mine = parse(browser(archive, "alice").get("/").text)
    assert "7 years ago" in mine.text and "10 years ago" in mine.text
    before = archive.queries()
    bob.get("/")
    with_memories = archive.queries() - before
    # No memories: no strip at all, and the feed costs the same queries as with them.
    taken(archive, remembered, "2016-07-05T09:00:00")
    before = archive.queries()
    assert not parse(bob.get("/").text).find_all("section", class_="memories")
    assert archive.queries() - before == with_memories


def test_no_answer_tells_another_member_where_a_photo_was_taken(archive: LiveServer) -> None:
    located = uploaded(archive, "bob", GPS, "2020-07-03T12:00:00")  # a memory today, too
    bob = api_login(archive, "bob")
    own = bob.get("/api/v1/timeline").json()["items"][0]
    assert own["id"] == located and own["location"]  # bob's own copy has it
    digits = [f"{abs(value):.4f}"[:6] for value in own["location"].values()]
    alice, alice_pages = api_login(archive, "alice"), browser(archive, "alice")
    answers = [
        alice.get("/api/v1/timeline").text,
        alice.get("/api/v1/timeline", params={"month": "2020-07"}).text,
        alice.get("/api/v1/timeline/buckets").text,
        alice.get("/api/v1/memories").text,
        archive.client().get("/api/v1/memories").text,  # a guest, under public view
        alice_pages.get("/timeline").text,
        alice_pages.get("/").text,
    ]
    assert str(located) in answers[3]  # the memory is there, without its place
    for text in answers:
        assert '"location"' not in text and '"sha256"' not in text
        assert not [d for d in digits if d in text], digits


def test_a_tampered_cursor_is_refused_never_an_error(archive: LiveServer) -> None:
    """A cursor is opaque but decodable: one rewritten to carry text no database can hold
    (a lone surrogate, a NUL) is a 400 on `cursor` for every list read by its kind, not a 500."""
    alice = browser(archive, "alice")
    upload(api_login(archive, "alice"), CAMERAS[0], caption="beach")
    for key in ('"\\ud800"', '"2024-07\\u0000"'):
        raw = f"[{key},1]".encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        for path in ("/api/v1/timeline", "/api/v1/search?q=beach", "/api/v1/favorites"):
            joined = "&" if "?" in path else "?"
            refused = alice.get(f"{path}{joined}cursor={cursor}")
            assert refused.status_code == 400, (path, key, refused.text)
            assert refused.json()["field"] == "cursor"
        for path in ("/timeline", "/search?q=beach", "/favorites"):
            joined = "&" if "?" in path else "?"
            assert alice.get(f"{path}{joined}cursor={cursor}").status_code == 400, (path, key)
