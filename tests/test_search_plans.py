"""On PostgreSQL a search is planned with its words every time it runs: none of its statements
(a page of results, a photo's neighbours in them) is ever a prepared statement, which would in
time switch to a generic plan that guesses how common the words are. Every other statement is
prepared once it has run a few times, as the timeline's are here."""

from __future__ import annotations

from pathlib import Path

from photoarchive.library import neighbours, photos, search, timeline
from photoarchive.library.neighbours import PhotoList
from photoarchive.services import Services
from tests.support import database_url
from tests.test_neighbours import person, scenario
from tests.test_search import shot

RUNS = 8  # past psycopg's prepare_threshold (5): a statement run this often is prepared


async def _prepared(svc: Services) -> list[str]:
    """The statements prepared on the pool's one connection, where every read above ran."""
    rows = await svc.db.fetchall("SELECT statement FROM pg_prepared_statements")
    return [row[0] for row in rows]


def test_search_statements_are_never_prepared_and_others_are(
    tmp_path: Path, postgres_url: str
) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        for n in range(3):
            await shot(svc, ann, caption=f"lighthouse {n}", taken_at=f"2024-05-0{n + 1}T10:00:00")
        middle = await photos.find(svc, 2, ann)
        for _ in range(RUNS):
            assert len((await search.page(svc, ann, "lighthouse"))[0]) == 3
            assert len((await search.page(svc, ann, "lighthouse", limit=1))[0]) == 1
            around = await neighbours.around(svc, middle, ann, PhotoList(search="lighthouse"))
            assert around is not None and around.newer is not None and around.older is not None
            assert len((await timeline.page(svc, ann))[0]) == 3
            assert await neighbours.around(svc, middle, ann, PhotoList(timeline=True))
        prepared = await _prepared(svc)
        assert not [s for s in prepared if "search_phrase" in s], prepared
        # The timeline's page and its neighbour walk (the same SQL as a search's, but for the
        # words) were prepared: what tells them apart is the call, not the statement.
        assert any(f"ORDER BY {timeline.KEY} DESC" in s for s in prepared)
        assert any(f"SELECT {timeline.KEY} FROM photos p WHERE p.id = $1" in s for s in prepared)

    with database_url(postgres_url):
        scenario(tmp_path, body, database_pool=1)
