"""Search answers alike on both engines: the same photos, captions, comments, camera and lens
fields and album titles in a SQLite archive and a PostgreSQL one, and many queries built from
their words (whole, cut short, quoted, left out, asked of a field), each answered with the same
photos in the same order by either."""

from __future__ import annotations

import random
from pathlib import Path

from photoarchive.library import album_photos, albums, comments, search
from photoarchive.services import Services
from tests.support import database_url
from tests.test_neighbours import person, scenario
from tests.test_search import shot

# Words as people write them: accents, cases, scripts, digits, and the punctuation between
# words that both engines read as a gap. (Not here: letters that unaccent spells otherwise
# than FTS5 folds them, such as ß and æ; see migrations_pg/0020_search.sql.)
WORDS = [
    "Café", "cafe", "CAFÉ", "birthday", "birth", "party", "Grandma", "Åre", "are", "Müller",
    "IMG", "2041", "x", "T3", "Lisboa", "東京", "kyoto", "Ωmega", "naïve", "Zoë", "50mm",
    "f1", "4", "sunset", "sun", "set",
]  # fmt: skip
GAPS = [" ", " ", "-", "_", ".", "'", ", ", " 🎂 ", "/", "(", ")"]


def _text(rng: random.Random, count: int) -> str:
    found = [rng.choice(WORDS)]
    for _ in range(count - 1):
        found += [rng.choice(GAPS), rng.choice(WORDS)]
    return "".join(found)


def _query(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        word = rng.choice(WORDS)
        kind = rng.random()
        if kind < 0.25:
            word = word[: rng.randint(1, len(word))]  # the start of a word
        elif kind < 0.45:
            word = f'"{_text(rng, rng.randint(1, 3))}"'  # a phrase
        elif kind < 0.6:
            word = f"-{word}"
        elif kind < 0.7:
            word = f"{rng.choice(['camera', 'lens'])}:{word}"
        parts.append(word)
    return " ".join(parts)


def _answers(tmp_path: Path, queries: list[str]) -> list[list[int]]:
    rng = random.Random(20)  # the same archive on each engine
    answers: list[list[int]] = []

    async def body(svc: Services) -> None:
        ann, bob = await person(svc, "ann"), await person(svc, "bob")
        ids = []
        for _ in range(40):
            ids.append(
                await shot(
                    svc,
                    ann,
                    caption=_text(rng, rng.randint(0, 6)) if rng.random() < 0.8 else "",
                    filename=_text(rng, 2) + ".jpg",
                    camera_make=rng.choice(WORDS),
                    camera_model=_text(rng, 2),
                    lens=_text(rng, 2),
                    taken_at=f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00",
                )
            )
        for photo_id in rng.sample(ids, 15):
            for _ in range(rng.randint(1, 3)):
                await comments.add(svc, bob, photo_id, _text(rng, rng.randint(1, 5)))
        for _ in range(4):
            album = await albums.create(svc, ann, _text(rng, rng.randint(1, 3)))
            await album_photos.add(svc, album, ann, rng.sample(ids, 5))
        for q in queries:
            items, _ = await search.page(svc, ann, q, limit=100)
            answers.append([p.id for p in items])

    scenario(tmp_path, body)
    return answers


def test_both_engines_find_the_same_photos_in_the_same_order(
    tmp_path: Path, postgres_url: str
) -> None:
    rng = random.Random(7)
    queries = [_query(rng) for _ in range(400)]
    sqlite = _answers(tmp_path / "sqlite", queries)
    with database_url(postgres_url):
        postgres = _answers(tmp_path / "postgres", queries)
    differ = [(q, a, b) for q, a, b in zip(queries, sqlite, postgres, strict=True) if a != b]
    assert not differ, differ[:5]
    assert sum(1 for a in sqlite if a) > 100  # most queries found something to compare
