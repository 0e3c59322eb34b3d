"""Search on the domain functions with a real database (SQLite and PostgreSQL): the language (search_query.parse),
what words match (accents, prefixes, phrases, exclusions, every field), each filter, and who
may find what (visibility, albums, archive, and where someone else's photo was taken)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from photoarchive.accounts.users import User
from photoarchive.db import Database
from photoarchive.db.pg_search import PostgresSearch
from photoarchive.db.search import FTS5Search
from photoarchive.errors import Invalid
from photoarchive.library import (
    album_members,
    album_photos,
    albums,
    archive,
    captions,
    comments,
    favorites,
    neighbours,
    photos,
    places,
    search,
    trash,
    visibility,
)
from photoarchive.library.geocoder import Place
from photoarchive.library.search_query import PARTS_MAX, Q_MAX, parse
from photoarchive.services import Services
from tests.support import sqlite_only
from tests.test_neighbours import person, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

_COUNT = [0]


async def shot(svc: Services, owner: User, **facts: Any) -> int:
    """A photo row with the given columns (its files do not matter to search)."""
    _COUNT[0] += 1
    row = {
        "owner_id": owner.id,
        "sha256": f"{_COUNT[0]:064x}",
        "bytes": 1,
        "content_type": "image/jpeg",
        "width": 640,
        "height": 480,
        "preview_width": 640,
        "created_at": "2025-01-01T10:00:00.000000Z",
        **facts,
    }
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    sql = f"INSERT INTO photos ({names}) VALUES ({marks}) RETURNING id"
    async with svc.db.transaction() as tx:
        return int(await tx.fetchval(sql, list(row.values())))


_PAGE = {"size": 100}


async def found(svc: Services, viewer: User | None, q: str) -> list[int]:
    """Every result, page after page (of `_PAGE`)."""
    ids, cursor = [], None
    while True:
        items, cursor = await search.page(svc, viewer, q, cursor=cursor, limit=_PAGE["size"])
        ids += [p.id for p in items]
        if cursor is None:
            return ids


async def index_check(svc: Services) -> None:
    """The engine's own check that the index says what the rows do: FTS5's integrity-check on
    SQLite; on PostgreSQL, every row made afresh by the migration's own functions is the same."""
    if isinstance(svc.db, Database):
        async with svc.db.transaction() as tx:
            await tx.execute("INSERT INTO photo_words (photo_words) VALUES ('integrity-check')")
            await tx.execute("INSERT INTO album_text (album_text) VALUES ('integrity-check')")
        return
    kept = "SELECT photo_id, words::text, camera::text, lens::text, code FROM photo_text ORDER BY 1"
    titles = "SELECT album_id, title::text FROM album_text ORDER BY 1"
    before = [list(r) for r in await svc.db.fetchall(kept)]
    titled = [list(r) for r in await svc.db.fetchall(titles)]
    async with svc.db.transaction() as tx:
        await tx.execute("DELETE FROM photo_text")
        await tx.execute("SELECT photo_text_refresh(id) FROM photos")
        await tx.execute("DELETE FROM album_text")
        await tx.execute(
            "INSERT INTO album_text (album_id, title) SELECT id, search_vector(title) FROM albums"
        )
    assert [list(r) for r in await svc.db.fetchall(kept)] == before
    assert [list(r) for r in await svc.db.fetchall(titles)] == titled


@pytest.fixture(params=["by day", "by day, pages of one", "by day, pages of two", "sorted"])
def walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every way of finding results: the index's matches newest day first, then a page among
    those days (with pages of one and two, every page ends inside a day's results, where a
    later one begins); and every match sorted (as when a stamp of another shape is there).
    They must agree."""
    monkeypatch.setitem(
        _PAGE,
        "size",
        {"by day, pages of one": 1, "by day, pages of two": 2}.get(request.param, 100),
    )
    if request.param == "sorted":
        for engine in (FTS5Search, PostgresSearch):
            monkeypatch.setattr(engine, "day_ordered", lambda self: "SELECT 0")
    return str(request.param)


def test_words_match_captions_comments_files_cameras_and_lenses(tmp_path: Path, walk: str) -> None:
    async def body(svc: Services) -> None:
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        cafe = await shot(svc, ann, caption="Breakfast at the Café Müller")
        birthday = await shot(
            svc, ann, caption="Grandma's birthday party", filename="IMG_2041.HEIC"
        )
        camera = await shot(
            svc, ann, camera_make="FUJIFILM", camera_model="X-T3", lens="XF35mmF1.4 R"
        )
        chatted = await shot(svc, ann)
        await comments.add(svc, bob, chatted, "What a lovely sunset over Lisboa")
        assert await found(svc, bob, "cafe") == [cafe]  # accents and case folded
        assert await found(svc, bob, "MULLER") == [cafe]
        assert await found(svc, bob, "birth") == [birthday]  # the start of a word
        assert await found(svc, bob, "img_2041") == [birthday]  # the original's file name
        assert await found(svc, bob, "2041") == [birthday]
        assert await found(svc, bob, "fujifilm") == [camera]
        assert await found(svc, bob, "xf35mmf1") == [camera]
        assert await found(svc, bob, "lisboa sunset") == [chatted]  # from a comment
        assert await found(svc, bob, "sunset breakfast") == []  # every word must match
        assert await found(svc, bob, '"birthday party"') == [birthday]
        assert await found(svc, bob, '"party birthday"') == []  # a phrase keeps its order
        assert await found(svc, bob, '"birth"') == []  # a quoted word is whole
        assert await found(svc, bob, '"party img"') == []  # a phrase stays in one part
        assert await found(svc, bob, "party -grandma") == []
        assert sorted(await found(svc, bob, "-grandma -lisboa")) == sorted([cafe, camera])

    scenario(tmp_path, body)


def test_the_index_follows_every_write(tmp_path: Path, walk: str) -> None:
    async def body(svc: Services) -> None:
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        photo = await shot(svc, ann, caption="old words")
        await captions.set_caption(svc, ann, photo, "Picnic by the lake")
        assert await found(svc, bob, "old") == []
        assert await found(svc, bob, "picnic") == [photo]
        said = await comments.add(svc, bob, photo, "the swans again")
        assert await found(svc, bob, "swans picnic") == [photo]
        await comments.delete(svc, bob, said.id)
        assert await found(svc, bob, "swans") == []
        album = await albums.create(svc, ann, "Holiday in Åre")
        await album_photos.add(svc, album, ann, [photo])
        assert await found(svc, ann, "are") == [photo]  # a title of the viewer's album
        await albums.update(svc, ann, album.id, title="Winter week")
        assert await found(svc, ann, "are") == []
        assert await found(svc, ann, "winter picnic") == [photo]  # title and caption together
        assert await found(svc, ann, "picnic -winter") == []  # left out by its album's title
        assert await found(svc, ann, "winter -picnic") == []
        assert await found(svc, ann, "winter -lake") == []
        assert await found(svc, ann, "winter -zebra -lake") == []
        assert await found(svc, ann, "winter -zebra -gnu") == [photo]
        assert await found(svc, ann, "winter -swans") == [photo]
        assert await found(svc, bob, "picnic -winter") == [photo]  # not bob's album
        await album_photos.remove(svc, album.id, ann, [photo])
        assert await found(svc, ann, "winter") == []
        # A new date taken moves the photo to its day (the index's order is the results').
        await svc.db.execute(
            "UPDATE photos SET taken_at = '2001-02-03T04:05:06' WHERE id = ?", (photo,)
        )
        if isinstance(svc.db, Database):  # FTS5's row: numbered by the day
            assert (
                await svc.db.fetchval("SELECT rowid FROM photo_words") == 20010203 * 2**32 + photo
            )
        assert await found(svc, bob, "picnic") == [photo]
        await index_check(svc)
        await trash.move(svc, ann, photo)
        assert await found(svc, ann, "picnic") == []  # in the trash: found by nobody
        await trash.purge(svc, ann, photo)
        index = "photo_words" if isinstance(svc.db, Database) else "photo_text"
        assert await svc.db.fetchval(f"SELECT COUNT(*) FROM {index}") == 0

    scenario(tmp_path, body)


def test_a_stamp_of_another_shape_has_every_match_sorted(tmp_path: Path) -> None:
    """A date the index cannot place by day (as an old import may have kept) turns the walk by
    day off for everyone, and the results are still in the order of the stamps."""

    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        new = await shot(svc, ann, caption="kite", taken_at="2024-05-01T10:00:00")
        odd = await shot(svc, ann, caption="kite", taken_at="sometime in May")
        old = await shot(svc, ann, caption="kite", taken_at="2023-01-01T00:00:00")
        assert not await svc.db.fetchval(svc.db.search.day_ordered())
        assert await found(svc, ann, "kite") == [odd, new, old]  # as text, letters last
        await svc.db.execute("DELETE FROM photos WHERE id = ?", (odd,))
        assert await svc.db.fetchval(svc.db.search.day_ordered())
        assert await found(svc, ann, "kite") == [new, old]

    scenario(tmp_path, body)


def test_results_are_newest_taken_first_and_pages_follow_the_cursor(
    tmp_path: Path, walk: str
) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        old = await shot(svc, ann, caption="tree", taken_at="2019-06-01T12:00:00")
        unknown = await shot(svc, ann, caption="tree", created_at="2023-03-03T10:00:00.000000Z")
        new = await shot(svc, ann, caption="tree", taken_at="2024-07-14T09:00:00+02:00")
        twin = await shot(svc, ann, caption="tree", taken_at="2024-07-14T09:00:00+02:00")
        assert await found(svc, ann, "tree") == [twin, new, unknown, old]
        first, cursor = await search.page(svc, ann, "tree", limit=3)
        assert [p.id for p in first] == [twin, new, unknown] and cursor
        rest, end = await search.page(svc, ann, "tree", limit=3, cursor=cursor)
        assert [p.id for p in rest] == [old] and end is None

    scenario(tmp_path, body)


def test_each_filter(tmp_path: Path, walk: str) -> None:
    async def body(svc: Services) -> None:
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        a = await shot(
            svc,
            ann,
            caption="x",
            camera_make="Canon",
            camera_model="EOS R6",
            lens="RF 50mm",
            taken_at="2024-07-10T10:00:00",
        )
        b = await shot(
            svc, bob, caption="x", content_type="image/png", taken_at="2024-08-01T00:00:00"
        )
        c = await shot(
            svc,
            bob,
            caption="x",
            content_type="image/heic",
            created_at="2023-12-31T23:00:00.000000Z",
        )
        assert await found(svc, ann, "from:ANN") == [a]
        assert await found(svc, ann, "x -from:ann") == [b, c]
        assert await found(svc, ann, "camera:canon") == [a]
        assert await found(svc, ann, "camera:eos") == [a]
        assert await found(svc, ann, "lens:50mm") == [a]
        assert await found(svc, ann, "lens:canon") == []  # only the lens
        assert await found(svc, ann, "x -camera:canon") == [b, c]
        assert await found(svc, ann, "-lens:50mm") == [b, c]
        assert await found(svc, ann, "year:2024") == [b, a]
        assert await found(svc, ann, "year:2023") == [c]
        assert await found(svc, ann, "month:2024-07") == [a]
        assert await found(svc, ann, "after:2024-07-11") == [b]
        assert await found(svc, ann, "after:2024-07-01 before:2024-08-01") == [a]
        assert await found(svc, ann, "type:png") == [b]
        assert await found(svc, ann, "type:HEIC") == [c]
        assert await found(svc, ann, "type:jpeg x year:2024") == [a]
        assert await found(svc, ann, "from:nobody") == []
        album = await albums.create(svc, ann, "Summer Trips")
        await album_photos.add(svc, album, ann, [a])
        assert await found(svc, ann, 'album:"summer trips"') == [a]
        assert await found(svc, ann, "album:summer") == [a]
        assert await found(svc, bob, "album:summer") == []  # not a member
        await favorites.set_favorite(svc, bob, a, True)
        assert await found(svc, bob, "is:favorite") == [a]
        assert await found(svc, ann, "is:favorite") == []  # bob's marks are bob's
        await visibility.set_visibility(svc, bob, c, "private")
        assert await found(svc, bob, "is:private") == [c]
        assert await found(svc, ann, "is:private") == []

    scenario(tmp_path, body)


def test_only_what_the_viewer_may_see(tmp_path: Path, walk: str) -> None:
    async def body(svc: Services) -> None:
        ann, bob, cy = await person(svc, "ann"), await person(svc, "bob"), await person(svc, "cy")
        open_ = await shot(svc, ann, caption="secret garden")
        private = await shot(svc, ann, caption="secret diary")
        await visibility.set_visibility(svc, ann, private, "private")
        shelved = await shot(svc, ann, caption="secret shelf")
        await archive.set_archived(svc, ann, shelved, True)
        assert sorted(await found(svc, ann, "secret")) == sorted([open_, private, shelved])
        assert await found(svc, bob, "secret") == [open_]
        assert await found(svc, None, "secret") == []  # guests, when the archive keeps them out
        album = await albums.create(svc, ann, "Family secrets")
        await album_photos.add(svc, album, ann, [private])
        await album_members.set_member(svc, ann, album.id, "bob", "viewer")
        assert sorted(await found(svc, bob, "secret")) == sorted([open_, private])
        # Album titles match for the album's members only: cy sees the photo, not the title.
        other = await shot(svc, ann, caption="plain")
        await album_photos.add(svc, album, ann, [other])
        assert await found(svc, bob, "plain secrets") == [other]
        assert await found(svc, cy, "plain secrets") == []
        assert await found(svc, cy, "plain") == [other]

    scenario(tmp_path, body)


def test_guests_find_family_photos_when_the_archive_lets_them_look(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        shown = await shot(svc, ann, caption="meadow")
        hidden = await shot(svc, ann, caption="meadow")
        await visibility.set_visibility(svc, ann, hidden, "private")
        assert await found(svc, None, "meadow") == [shown]
        assert await found(svc, None, "is:favorite") == []
        assert await found(svc, None, "has:location") == []

    scenario(tmp_path, body, public_view=True)


async def _placed(svc: Services, photo_id: int, city: str, country: str) -> None:
    async with svc.db.transaction() as tx:
        await places.record(tx, photo_id, Place(city, None, country, country[:2].upper()))


async def _shares_places(svc: Services, user: User) -> None:
    await svc.db.execute(
        "INSERT INTO place_sharing (user_id, since) VALUES (?, '2025-01-01')", (user.id,)
    )


@pytest.mark.parametrize("strip", [False, True])
def test_nobody_learns_where_someone_elses_photo_was_taken(tmp_path: Path, strip: bool) -> None:
    async def body(svc: Services) -> None:
        ann, bob, cy = await person(svc, "ann"), await person(svc, "bob"), await person(svc, "cy")
        anns = await shot(svc, ann, caption="x", gps_lat=38.7, gps_lon=-9.1)
        bobs = await shot(svc, bob, caption="x", gps_lat=38.7, gps_lon=-9.1)
        cys = await shot(svc, cy, caption="x", gps_lat=38.7, gps_lon=-9.1)
        for photo_id in (anns, bobs, cys):
            await _placed(svc, photo_id, "New Lisbon", "Portugal")
        await _shares_places(svc, cy)  # cy chose to show her places; bob did not
        assert await found(svc, ann, "has:location") == [anns]
        assert await found(svc, bob, "has:location") == [bobs]
        # Leaving out where a photo was taken tells nothing either: all of the others' stay.
        assert sorted(await found(svc, ann, "x -has:location")) == sorted([bobs, cys])
        shown = [cys] if not strip else []
        assert sorted(await found(svc, ann, "place:lisbon")) == sorted([anns, *shown])
        assert sorted(await found(svc, ann, "place:portugal")) == sorted([anns, *shown])
        assert sorted(await found(svc, ann, "x -place:lisbon")) == sorted(
            [bobs] + ([] if not strip else [cys])
        )
        assert await found(svc, ann, "place:porto") == []
        assert await found(svc, None, "place:lisbon") == []
        # And no photo of someone else's comes back with its coordinates.
        for viewer in (ann, bob, cy):
            items, _ = await search.page(svc, viewer, "x", limit=100)
            for item in items:
                assert (item.gps_lat is None) == (item.owner_id != viewer.id)

    scenario(tmp_path, body, strip_location=strip)


@pytest.mark.parametrize(
    ("q", "says"),
    [
        ("", "Type something"),
        ("   ", "Type something"),
        ("x" * (Q_MAX + 1), f"at most {Q_MAX}"),
        (" ".join(f"w{n}" for n in range(PARTS_MAX + 1)), f"at most {PARTS_MAX} words"),
        (" ".join(f"from:u{n}" for n in range(PARTS_MAX + 1)), f"at most {PARTS_MAX} words"),
        ("colour:red", 'no filter "colour:"'),
        ("year:24", "year:"),
        ("month:2024-13", "month:"),
        # Digits of other scripts are digits to Python's \\d and int(): not dates here.
        ("year:\uff12\uff10\uff12\uff14", "year:"),
        ("month:20\u0662\u0664-07", "month:"),
        ("after:\u0662\u0660\u0662\u0664-01-01", "after:"),
        ("after:2024-02-30", "after:"),
        ("before:yesterday", "before:"),
        ("type:bmp", "type:"),
        ("is:shared", "is:"),
        ("has:faces", "has:"),
        ("from:", "needs a value"),
        ("camera:!!!", "needs a word"),
    ],
)
def test_what_the_parser_refuses(q: str, says: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse(q)
    assert refused.value.field == "q"
    assert says in refused.value.message


def test_what_the_parser_reads() -> None:
    query = parse('birth -"big party" from:Ann album:"Summer 24" -is:favorite 12:30 ***')
    assert [(t.phrase.text, t.phrase.prefix, t.negated) for t in query.terms] == [
        ("birth", True, False),
        ("big party", False, True),
        ("12:30", True, False),
    ]
    assert [(f.name, f.value, f.negated) for f in query.filters] == [
        ("from", "ann", False),
        ("album", "Summer 24", False),
        ("is", "favorite", True),
    ]
    assert parse("month:2024-12").filters[0].until == "2025-01"
    # A link pasted in is words to look for, whatever its scheme; a filter still may follow.
    linked = parse("https://example.org/beach-day?x=1 -Mailto://x year:2024")
    assert [(t.phrase.text, t.negated) for t in linked.terms] == [
        ("https://example.org/beach-day?x=1", False),
        ("Mailto://x", True),
    ]
    assert [f.name for f in linked.filters] == ["year"]
    assert parse("🎉 * ^").empty


ODD = [
    '"',
    '""',
    '"unclosed',
    "*",
    "**",
    "a*",
    "AND",
    "OR NOT",
    "NEAR(a b)",
    "NEAR(",
    "^x",
    "x^",
    "(",
    ")",
    "[x]",
    "{camera}",
    "camera : x",
    "col:x",
    "🎂",
    "😀 cake",
    "'; DROP TABLE photos;--",
    "\x00",
    "a\x00b",
    "-",
    "--",
    "- -x",
    '-"',
    "%_%",
    "\\",
    "+x",
    "x:y:z",
    "Ω≈ç√",
]


def test_nothing_a_person_types_breaks_the_engine(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        await shot(svc, ann, caption="cake AND candles (NEAR the window)")
        for q in ODD:
            try:
                await found(svc, ann, q)
            except Invalid as refused:  # a filter name refused, never an engine error
                assert refused.field == "q"
        assert len(await found(svc, ann, "near")) == 1

    scenario(tmp_path, body)


def test_the_longest_searches_allowed_are_answered_on_every_path(tmp_path: Path) -> None:
    """Each word was a question of its own to the index: ~160 of them (`a a a ...`, 320
    characters) made SQLite refuse the statement as too deep, a 500 on the search page and
    on a photo opened from it. A word said twice now counts once, and a search holds at most
    PARTS_MAX words, phrases and filters."""

    async def body(svc: Services) -> None:
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        first = await shot(svc, ann, caption="a day at the beach")
        await shot(svc, ann, caption="a day in the hills")
        repeated = "a " * 240
        assert len(parse(repeated).terms) == 1
        widest = " ".join([f"w{n}" for n in range(PARTS_MAX - 2)] + ['"a day"', "-is:private"])
        long_phrase = '"' + " ".join(["day"] * 120) + '"'
        photo = await photos.get(svc, first, bob)
        for q in (repeated, widest, long_phrase, "a day " * 80):
            for viewer in (None, ann, bob):
                await found(svc, viewer, q)
            within = await neighbours.parse_list(svc, f"search:{q}", bob)
            assert within is not None
            await neighbours.around(svc, photo, bob, within)
        assert len(await found(svc, bob, repeated)) == 2

    scenario(tmp_path, body, public_view=True)


def test_a_link_pasted_in_finds_the_photo_that_holds_it(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        await shot(svc, ann, caption="Tickets: https://example.org/concert-2024 see you there")
        await shot(svc, ann, caption="https://example.org/other")
        assert len(await found(svc, ann, "https://example.org/concert-2024")) == 1
        assert len(await found(svc, ann, "https://example.org")) == 2

    scenario(tmp_path, body)


def test_arbitrary_text_is_searched_or_refused_never_an_error(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        await shot(svc, ann, caption="Straße 東京 café")

        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.text(max_size=80))
        def check(q: str) -> None:
            try:
                parse(q)
            except Invalid as refused:
                assert refused.field == "q"
                return
            texts.append(q)

        texts: list[str] = []
        check()
        for q in texts:
            await found(svc, ann, q)  # raises on any engine error

    scenario(tmp_path, body)


def test_a_word_left_out_asks_each_photo_for_its_albums(tmp_path: Path) -> None:
    """`-winter` leaves out the photos of the viewer's albums titled "winter" by asking each
    photo the words let through for its own few albums, never by listing every photo of every
    such album, which grows with the archive (bench/search.py, `grandma -beach`)."""

    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        kept = await shot(svc, ann, caption="picnic by the lake")
        left = await shot(svc, ann, caption="picnic in the snow")
        album = await albums.create(svc, ann, "Winter week")
        await album_photos.add(svc, album, ann, [left])
        statements: list[str] = []

        def recorded(read: Any) -> Any:
            async def recording(sql: str, params: Any = ()) -> Any:
                statements.append(sql)
                return await read(sql, params)

            return recording

        # A search's own statements are read by fetch_replanned (through fetchall on SQLite,
        # not on PostgreSQL); the rest by fetchall.
        svc.db.fetchall = recorded(svc.db.fetchall)  # type: ignore[method-assign]
        svc.db.fetch_replanned = recorded(svc.db.fetch_replanned)  # type: ignore[method-assign]
        assert await found(svc, ann, "picnic -winter") == [kept]
        assert await found(svc, ann, "lake -winter") == [kept]
        excluding = [sql for sql in statements if "NOT EXISTS (SELECT 1 FROM album_photos" in sql]
        assert excluding  # the statements that leave out by an album's title were seen
        listed = "NOT p.id IN (" + search._ALBUMS_OF_MEMBER.split(" WHERE")[0]
        assert not [sql for sql in statements if listed in sql]

    scenario(tmp_path, body)


@sqlite_only  # PostgreSQL's migrations are applied once each, recorded in schema_migrations
def test_migration_runs_again_without_doubling_the_index(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        photo = await shot(svc, ann, caption="lighthouse")
        await comments.add(svc, ann, photo, "windy")
        await albums.create(svc, ann, "Coast")
        async with svc.db.transaction() as tx:
            await tx.execute("PRAGMA user_version = 19")
        db = svc.db
        assert isinstance(db, Database)
        await db.close()
        await db.open()
        assert await db.fetchval("SELECT COUNT(*) FROM photo_words") == 1
        assert await db.fetchval("SELECT COUNT(*) FROM album_text") == 1
        assert await found(svc, ann, "lighthouse windy") == [photo]

    scenario(tmp_path, body)
