"""A word typed as the start of longer ones is asked of the index as the words it may be
(db/search.py, from search_words of migration 0023). Here that answer is held to the engine's
own prefix query, the one it replaces, over random texts and random prefixes: shared and
short prefixes (more than WORDS_MAX words), phrases, exclusions, `camera:`, accents; and the
word list follows every write that brings new words, including a migration run again."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from photoarchive.accounts.users import User
from photoarchive.db import Database, Phrase
from photoarchive.db.pg_search import PostgresSearch
from photoarchive.db.search import WORDS_MAX, FTS5Search
from photoarchive.library import album_members, album_photos, albums, comments, search, visibility
from photoarchive.services import Services
from tests.support import sqlite_only
from tests.test_neighbours import person, scenario
from tests.test_search import found, shot

# The word list is SQLite's (PostgreSQL asks a prefix as one); reading by day is both engines'.
pytestmark = pytest.mark.usefixtures("engine")

STEMS = ["sun", "sunset", "sunny", "garden", "gardening", "grand", "grandma", "café", "cafe"]


def _word(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(STEMS) + rng.choice(["", "", "s", "er", str(rng.randrange(50))])
    # Many words of one letter's start, so that a short prefix is more than WORDS_MAX words.
    return "b" + "".join(rng.choice("aeiou") for _ in range(3)) + rng.choice("xyz")


def _text(rng: random.Random) -> str:
    return " ".join(_word(rng) for _ in range(rng.randrange(1, 6)))


def _plain(phrase: Phrase) -> str:
    quoted = '"' + phrase.text + '"' + ("*" if phrase.prefix else "")
    return f"{phrase.field} : {quoted}" if phrase.field else quoted


async def _ids(svc: Services, sql: str, params: list[object]) -> set[int]:
    return {row[0] for row in await svc.db.fetchall(sql, params)}


@sqlite_only
def test_a_prefix_finds_what_the_engines_prefix_query_finds(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        rng = random.Random(5)
        ann = await person(svc, "ann")
        captions = [_text(rng) for _ in range(150)]
        for caption in captions:
            photo = await shot(
                svc,
                ann,
                caption=caption,
                camera_make=rng.choice(["Fujifilm", "Fuji", "Sony", None]),
            )
            if rng.random() < 0.3:
                await comments.add(svc, ann, photo, _text(rng))
        assert await svc.db.fetchval("SELECT COUNT(*) FROM search_words WHERE term LIKE 'b%'") > (
            WORDS_MAX
        )
        search = FTS5Search()
        prefixes = ["b", "ba", "sun", "suns", "grand", "gar", "caf", "CAFÉ", "zzz", "sunset 1"]
        prefixes += [_word(rng)[: rng.randrange(1, 6)] for _ in range(40)]
        # Phrases: the start of a caption, cut inside a later word.
        prefixes += [c[: rng.randrange(len(c) // 2, len(c) + 1)] for c in captions[:30]]
        for text in prefixes:
            for field in (None, "camera"):
                phrase = Phrase(text, field=field)
                other = Phrase(rng.choice(STEMS)[:3])
                cases = [([phrase], []), ([phrase, other], []), ([phrase], [other])]
                cases.append(([other], [phrase]))
                for wanted, unwanted in cases:
                    sql, params = search.photos_with(wanted, unwanted)
                    query = " AND ".join(_plain(p) for p in wanted)
                    if unwanted:
                        query = f"({query}) NOT (" + " OR ".join(_plain(p) for p in unwanted) + ")"
                    engine = await _ids(
                        svc,
                        "SELECT rowid % 4294967296 FROM photo_words WHERE photo_words MATCH ?",
                        [query],
                    )
                    assert await _ids(svc, sql, params) == engine, (wanted, unwanted)
        assert await found(svc, ann, "b") and await found(svc, ann, "camera:fuji")

    scenario(tmp_path, body)


@sqlite_only
def test_new_words_from_any_write_are_found_and_a_rerun_keeps_one_list(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        photo = await shot(svc, ann, caption="lighthouse")
        assert await found(svc, ann, "light") == [photo]
        await svc.db.execute("UPDATE photos SET caption = 'harbour' WHERE id = ?", (photo,))
        assert await found(svc, ann, "harb") == [photo]
        await svc.db.execute("UPDATE photos SET lens = 'Summilux' WHERE id = ?", (photo,))
        assert await found(svc, ann, "lens:summi") == [photo]
        comment = await comments.add(svc, ann, photo, "windswept")
        assert await found(svc, ann, "winds") == [photo]
        await svc.db.execute("UPDATE comments SET text = 'Ébouriffé' WHERE id = ?", (comment.id,))
        assert await found(svc, ann, "ebour") == [photo]
        assert await found(svc, ann, "winds") == []
        words = await svc.db.fetchval("SELECT COUNT(*) FROM search_words")
        db = svc.db
        assert isinstance(db, Database)
        await db.close()
        with sqlite3.connect(db.path) as conn:  # a list lost, as before the migration
            conn.execute("DELETE FROM search_words")
            conn.execute("PRAGMA user_version = 22")
        await db.open()
        # Rebuilt from the index (a word no longer in any photo is not brought back).
        assert await db.fetchval("SELECT COUNT(*) FROM search_words") <= words
        assert await found(svc, ann, "ebour") == [photo]
        assert await db.fetchval("SELECT COUNT(*) FROM search_scratch_terms") == 0

    scenario(tmp_path, body)


def test_pages_read_by_day_are_every_match_sorted(tmp_path: Path) -> None:
    """Many photos on few days (so pages end inside a day), some private, some found only by
    an album's title, some left out by one, with date filters: every page of every size read
    newest day first from the index is the page of every match sorted."""

    async def body(svc: Services) -> None:
        rng = random.Random(11)
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        ids = []
        for n in range(120):
            day = f"2024-0{rng.randrange(1, 4)}-0{rng.randrange(1, 4)}"
            taken = None if n % 9 == 0 else f"{day}T{rng.randrange(24):02d}:00:00"
            owner = rng.choice([ann, bob])
            ids.append(
                await shot(
                    svc,
                    owner,
                    caption=rng.choice(["sunny garden", "sunset", "garden party", "rain"]),
                    taken_at=taken,
                    created_at=f"{day}T12:00:00.000000Z",
                )
            )
            if rng.random() < 0.2:
                async with svc.db.transaction() as tx:
                    await visibility.mark(tx, ids[-1], "private")
        for title, chosen in (("Sunday walks", ids[:40:3]), ("Rainy days", ids[60::4])):
            album = await albums.create(svc, bob, title)
            await album_photos.add(svc, album, bob, [p for p in chosen if p])
            await album_members.set_member(svc, bob, album.id, "ann", "viewer")
        queries = ["sun", "garden", "sun -rain", "garden -rainy", "sun month:2024-02"]
        queries += ["rain after:2024-01-02 before:2024-03-02", "sun garden", "-sunset garden"]
        for q in queries:
            for size in (1, 2, 3, 7, 30):
                for viewer in (ann, bob, None):
                    by_day = await _all_pages(svc, viewer, q, size)
                    with _sorted_only():
                        assert await _all_pages(svc, viewer, q, size) == by_day, (q, size)

    scenario(tmp_path, body)


async def _all_pages(svc: Services, viewer: User | None, q: str, size: int) -> list[int]:
    found_ids, cursor = [], None
    while True:
        items, cursor = await search.page(svc, viewer, q, cursor=cursor, limit=size)
        found_ids += [p.id for p in items]
        if cursor is None:
            return found_ids


@contextmanager
def _sorted_only() -> Iterator[None]:
    """Searches sort every match, as when a stamp of another shape is in the archive."""
    with pytest.MonkeyPatch.context() as patch:
        for engine in (FTS5Search, PostgresSearch):
            patch.setattr(engine, "day_ordered", lambda self: "SELECT 0")
        yield
