"""Timeline benchmark: the month list and a month's page at 1,000 and 100,000 photos.

    .venv/bin/python bench/timeline.py [--scales 1000,100000] [--rounds 400] [--output ...]

Each archive is built directly in SQLite (rows, no files) on the app's own migrations: 20
people, dates taken spread over twenty years (one in ten photos without one, so it goes by its
upload time; one in five with an offset), a third private, one in thirty archived, and albums
that share some private photos with a member. Then, through the domain functions the routes call
(`library/timeline.py`, on the app's Database), for one member: the month list (`buckets`: kept while nothing is committed, and
`count_months`: counted afresh, as after any commit), the
first page of a month in the middle of the archive (`page(month=...)`) and the page after it
(`page(cursor=...)`), each `--rounds` times, case after case, alternating between the archives
so that whatever else the machine does falls on both alike. Every call is timed; p50 and p99 per archive.

Targets: p50 under 20 ms at 100,000 photos; p99 at 100,000 within 1.5x p99 at 1,000.
Not a test: nothing is asserted. Prints the table and writes it to bench/results/timeline.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from photoarchive.accounts.passwords import Passwords  # noqa: E402
from photoarchive.accounts.users import User, by_username  # noqa: E402
from photoarchive.db import Database  # noqa: E402
from photoarchive.library import timeline  # noqa: E402
from photoarchive.services import DecodeSlots, Services  # noqa: E402
from photoarchive.settings import Settings  # noqa: E402
from photoarchive.storage.local import LocalBlobStore  # noqa: E402

RESULTS = REPO / "bench" / "results" / "timeline.md"
PEOPLE = 20
START = datetime(2006, 1, 1, tzinfo=UTC)
SPAN_DAYS = 20 * 365


def seed(path: Path, count: int) -> None:
    """An archive of `count` photo rows at the current schema, statistics gathered."""

    async def schema() -> None:
        db = Database(path, readers=1)
        await db.open()
        await db.close()

    asyncio.run(schema())
    rng = random.Random(count)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO users (id, username, username_key, email, email_key, created_at)"
            " VALUES (?, ?, ?, ?, ?, '2020-01-01T00:00:00Z')",
            [(n, f"u{n}", f"u{n}", f"u{n}@x.org", f"u{n}@x.org") for n in range(1, PEOPLE + 1)],
        )
        rows = []
        for n in range(1, count + 1):
            taken = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
            uploaded = START + timedelta(days=SPAN_DAYS * n / count)
            stamp: str | None = taken.strftime("%Y-%m-%dT%H:%M:%S")
            if rng.random() < 0.1:
                stamp = None
            elif rng.random() < 0.2:
                stamp = f"{stamp}+02:00"
            created = uploaded.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
            rows.append((n, 1 + n % PEOPLE, f"{n:064x}", stamp, created))
        conn.executemany(
            "INSERT INTO photos (id, owner_id, sha256, bytes, content_type, width, height,"
            " preview_width, taken_at, created_at) VALUES (?, ?, ?, 1, 'image/jpeg', 640, 480,"
            " 640, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO private_photos (photo_id, made_at) VALUES (?, '2024-01-01')",
            [(n,) for n in range(1, count + 1) if n % 3 == 0],
        )
        conn.executemany(
            "INSERT INTO archived_photos (photo_id, archived_at) VALUES (?, '2024-01-01')",
            [(n,) for n in range(1, count + 1) if n % 30 == 7],
        )
        # Albums: each person's one album, shared with the next person, holding some of
        # their private photos.
        for owner in range(1, PEOPLE + 1):
            album = conn.execute(
                "INSERT INTO albums (owner_id, title, created_at, updated_at)"
                " VALUES (?, 'trip', '', '') RETURNING id",
                (owner,),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO album_members (album_id, user_id, role, added_at) VALUES (?, ?, ?, '')",
                (album, owner % PEOPLE + 1, "viewer"),
            )
            conn.executemany(
                "INSERT INTO album_photos (album_id, photo_id, added_by, added_at)"
                " VALUES (?, ?, ?, '')",
                [(album, n, owner) for n in range(owner, count + 1, PEOPLE * 9) if n % 3 == 0],
            )
        conn.execute("ANALYZE")


class Archive:
    def __init__(self, folder: Path, count: int) -> None:
        self.count = count
        self.settings = Settings(data_dir=folder, secret_key="bench")
        self.times: dict[str, list[float]] = {}

    async def open(self) -> None:
        settings = self.settings
        self.db = Database(settings.database_path)
        await self.db.open()
        self.svc = Services(
            settings=settings,
            db=self.db,
            store=LocalBlobStore(settings.blob_dir, settings.tmp_dir),
            passwords=Passwords(memory_kib=1024, time_cost=1),
            image_slots=DecodeSlots(1),
        )
        self.viewer: User = await by_username(self.db, "u2")
        months = await timeline.buckets(self.svc, self.viewer)
        self.month = months[len(months) // 2].month
        _, self.cursor = await timeline.page(self.svc, self.viewer, month=self.month)

    def cases(self) -> dict[str, Callable[[], Awaitable[object]]]:
        svc, viewer = self.svc, self.viewer
        return {
            # As after any commit (a like, a comment): counted, not kept.
            "month list, counted": lambda: timeline.count_months(svc, viewer),
            "month list": lambda: timeline.buckets(svc, viewer),
            "a month's first page": lambda: timeline.page(svc, viewer, month=self.month),
            "the page after it": lambda: timeline.page(svc, viewer, cursor=self.cursor),
        }

    async def time(self, label: str, call: Callable[[], Awaitable[object]]) -> None:
        started = time.perf_counter()
        await call()
        self.times.setdefault(label, []).append((time.perf_counter() - started) * 1000)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(archives: list[Archive], rounds: int) -> None:
    for archive in archives:
        await archive.open()
        for call in archive.cases().values():  # warm: statements, pages, pool
            for _ in range(5):
                await call()
    # One call at a time, case by case (a 50-ms count must not sit between two page reads),
    # the archives alternating within each case.
    for label in archives[0].cases():
        for _ in range(rounds):
            for archive in archives:
                await archive.time(label, archive.cases()[label])
    for archive in archives:
        await archive.db.close()


def busy_ticks() -> int:
    with open("/proc/stat") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def report(archives: list[Archive], argv: list[str], others: float, minutes: float) -> str:
    small, large = archives[0], archives[-1]
    lines = [
        "# Timeline benchmark",
        "",
        f"`.venv/bin/python bench/timeline.py {' '.join(argv)}` (bench/timeline.py),"
        f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {minutes:.1f} minutes; others took"
        f" {others:.0%} of the machine's CPU meanwhile.",
        "",
        "Through the domain functions (library/timeline.py) for one member, on archives built"
        " as rows (see the script's docstring); every call timed, archives alternating.",
        "",
        "| call | photos | p50 ms | p99 ms | x p99 of the smallest |",
        "|---|---|---|---|---|",
    ]
    for label in small.times:
        base = percentile(small.times[label], 0.99)
        for archive in archives:
            values = archive.times[label]
            p99 = percentile(values, 0.99)
            lines.append(
                f"| {label} | {archive.count:,} | {statistics.median(values):.2f} | {p99:.2f}"
                f" | {p99 / base:.2f} |"
            )
    lines += ["", "## Targets"]
    for label in large.times:
        p50 = statistics.median(large.times[label])
        ratio = percentile(large.times[label], 0.99) / percentile(small.times[label], 0.99)
        lines.append(
            f"- {'met' if p50 < 20 else 'MISSED'}: {label}, p50 at {large.count:,} photos"
            f" {p50:.2f} ms (target < 20)"
        )
        lines.append(
            f"- {'met' if ratio <= 1.5 else 'MISSED'}: {label}, p99 at {large.count:,} is"
            f" {ratio:.2f}x p99 at {small.count:,} (target <= 1.5)"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1000,100000")
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    scales = [int(part) for part in args.scales.split(",")]
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="timeline-bench-") as tmp:
        archives = []
        for count in scales:
            folder = Path(tmp) / str(count)
            folder.mkdir()
            archive = Archive(folder, count)
            seed(archive.settings.database_path, count)
            archives.append(archive)
        busy, wall, own = busy_ticks(), time.monotonic(), time.process_time()
        asyncio.run(measure(archives, args.rounds))
        tick = os.sysconf("SC_CLK_TCK")
        others = (busy_ticks() - busy) / tick - (time.process_time() - own)
        others = max(0.0, others) / ((time.monotonic() - wall) * (os.cpu_count() or 1))
    text = report(archives, sys.argv[1:], others, (time.monotonic() - began) / 60)
    print(text)
    args.output.write_text(text)


if __name__ == "__main__":
    main()
