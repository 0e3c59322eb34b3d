"""Bulk "add to album" benchmark: what selecting many photos and adding them to a shared album
costs, against the album's own "add these photos" call in the same run.

    .venv/bin/python bench/bulk.py [--photos 1000] [--members 20] [--rounds 3] [--postgres]

An archive is made through the app's own migrations in a temp dir (rows only, no image files:
adding to an album never opens one): one person with `--photos` photos and two albums shared
with `--members` members each. Each round the two albums are emptied, then the same photos go
into one through `library.bulk.apply("add_to_album")` (the selection bar's request) and into
the other through `library.album_photos.add` (the album page's request, the baseline), the
order alternating between rounds. Reports the median time of each and their ratio, and how
many statements each sent to the database. With `--postgres` the same runs again on a
throwaway PostgreSQL cluster (bench/instances.py's: tests/postgres.py, 127.0.0.1).

Not a test: the figures are printed and written to bench/results/bulk.md, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import search as search_bench  # noqa: E402  # bench/search.py

from photoarchive.accounts import users  # noqa: E402
from photoarchive.accounts.users import User  # noqa: E402
from photoarchive.library import album_members, album_photos, albums, bulk  # noqa: E402
from photoarchive.services import Services  # noqa: E402

RESULTS = REPO / "bench" / "results" / "bulk.md"


async def person(svc: Services, name: str) -> User:
    return await users.insert(
        svc.db, username=name, email=f"{name}@example.org", password_hash=None, registration="open"
    )


async def photos_of(svc: Services, owner: User, count: int) -> list[int]:
    ids = []
    async with svc.db.transaction() as tx:
        for n in range(count):
            ids.append(
                int(
                    await tx.fetchval(
                        "INSERT INTO photos (owner_id, sha256, bytes, content_type, width,"
                        " height, preview_width, created_at) VALUES (?, ?, 1, 'image/jpeg',"
                        " 640, 480, 640, '2024-05-01T10:00:00Z') RETURNING id",
                        (owner.id, f"{n + 1:064x}"),
                    )
                )
            )
    return ids


async def run(url: str | None, photos: int, members: int, rounds: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as tmp:
        # bench/search.py's: the app's own services on the settings' database, no HTTP.
        svc = await search_bench.open_services(Path(tmp) / "archive.db", url or "")
        try:
            alice = await person(svc, "alice")
            ids = await photos_of(svc, alice, photos)
            shared = []
            for title in ("Bulk", "Album"):
                album = await albums.create(svc, alice, title)
                shared.append(album.id)
            for n in range(members):
                member = await person(svc, f"member{n}")
                for album_id in shared:
                    await album_members.set_member(svc, alice, album_id, member.username, "viewer")
            times: dict[str, list[float]] = {"bulk": [], "album": [], "bulk_q": [], "album_q": []}

            async def by_bulk() -> None:
                outcome = await bulk.apply(svc, alice, "add_to_album", ids, {"album_id": shared[0]})
                assert len(outcome.done) == photos, outcome.failed[:3]

            async def by_album() -> None:
                album = await albums.find(svc.db, shared[1], alice)
                added, _ = await album_photos.add(svc, album, alice, ids)
                assert len(added) == photos

            for turn in range(rounds):
                await svc.db.execute("DELETE FROM album_photos")
                await svc.db.execute("DELETE FROM notifications")
                order = [("bulk", by_bulk), ("album", by_album)]
                for name, call in order if turn % 2 == 0 else order[::-1]:
                    queries = svc.db.query_count
                    start = time.perf_counter()
                    await call()
                    times[name].append(time.perf_counter() - start)
                    times[f"{name}_q"].append(svc.db.query_count - queries)
            return times
        finally:
            await svc.db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL too")
    args = parser.parse_args()
    lines = [
        f"# Bulk add to album ({datetime.now(UTC):%Y-%m-%d})",
        "",
        f"{args.photos} photos into an album shared with {args.members} members, median of"
        f" {args.rounds} rounds; baseline: the album's own add of the same photos, same run.",
        "",
        "| engine | bulk add | album add (baseline) | ratio | statements (bulk / album) |",
        "|---|---|---|---|---|",
    ]

    def row(name: str, url: str | None) -> None:
        times = asyncio.run(run(url, args.photos, args.members, args.rounds))
        bulk_s, album_s = statistics.median(times["bulk"]), statistics.median(times["album"])
        lines.append(
            f"| {name} | {bulk_s * 1000:.0f} ms | {album_s * 1000:.0f} ms |"
            f" {bulk_s / album_s:.2f}x | {times['bulk_q'][0]} / {times['album_q'][0]} |"
        )

    row("SQLite", None)
    if args.postgres:
        import instances  # bench/instances.py: its throwaway cluster

        with instances.cluster() as (server, _):
            row("PostgreSQL", server.new_database())
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
