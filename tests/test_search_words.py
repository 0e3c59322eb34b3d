"""A word typed as the start of longer ones is asked of the index as the words it may be
(db/search.py, from search_words of migration 0023). Here that answer is held to the engine's
own prefix query, the one it replaces, over random texts and random prefixes: shared and
short prefixes (more than WORDS_MAX words), phrases, exclusions, `camera:`, accents; and the
word list follows every write that brings new words, including a migration run again."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from photoarchive.db import Database, Phrase
from photoarchive.db.search import WORDS_MAX, FTS5Search
from photoarchive.library import comments
from photoarchive.services import Services
from tests.test_neighbours import person, scenario
from tests.test_search import found, shot

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
                        svc, "SELECT rowid FROM photo_text WHERE photo_text MATCH ?", [query]
                    )
                    assert await _ids(svc, sql, params) == engine, (wanted, unwanted)
        assert await found(svc, ann, "b") and await found(svc, ann, "camera:fuji")

    scenario(tmp_path, body)


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
