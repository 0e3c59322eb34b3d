"""Download benchmark: a zip of chosen photos (`POST /api/v1/downloads`) streams in flat memory.

    .venv/bin/python bench/downloads.py [--photos 2000] [--small 200] [--output ...]

Generates `--photos` small distinct JPEGs (400x300 of noise, about 140 KB each, so the zip has
some bulk), imports them with `photoarchive import` (the real ingest, one command, much faster
than one upload each), starts the real `photoarchive serve` and downloads, over HTTP on
127.0.0.1, the zip of the first `--small` photos and the zip of all of them. For each it
reports the server process's peak resident set growth during that download (the peak is reset
before each through /proc/<pid>/clear_refs, then VmHWM minus the VmRSS at the start) and the
throughput. The baseline, in the same run and the same server: the `--small` originals fetched
one by one from /media/{id}/original.

Flat memory means the large zip's growth is about the small one's, not `photos / small` times
it. Not a test: the figures are reported, never asserted.
"""

from __future__ import annotations

import argparse
import io
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serve  # bench/serve.py: the server process, as an operator starts it

RESULTS = serve.REPO / "bench" / "results" / "downloads.md"
PASSWORD = "bench password 1"
MIB = 1024 * 1024
NOTES_MARKER = "<!-- notes: kept when the benchmark rewrites this file -->"


def make_photos(folder: Path, count: int) -> int:
    """`count` distinct JPEGs of noise; their total size in bytes."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for n in range(count):
        buffer = io.BytesIO()
        Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).save(
            buffer, "JPEG", quality=95
        )
        (folder / f"IMG_{n:05d}.jpg").write_bytes(buffer.getvalue())
        total += buffer.tell()
    return total


def import_photos(data_dir: Path, folder: Path) -> float:
    """One `photoarchive import` of `folder` as the account `bench`; seconds it took."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")},
        "PHOTOARCHIVE_DATA_DIR": str(data_dir),
    }
    cli = [sys.executable, "-m", "photoarchive"]
    subprocess.run(
        [*cli, "users", "create", "bench", "--email", "bench@example.org"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    started = time.perf_counter()
    subprocess.run(
        [*cli, "import", str(folder), "--user", "bench", "--jobs", "2"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started


@dataclass
class Run:
    label: str
    photos: int
    megabytes: float
    seconds: float
    growth_mib: float

    @property
    def rate(self) -> float:
        return self.megabytes / self.seconds


def reset_peak(server: serve.Server) -> int:
    """Start a new peak (Linux: clear_refs 5 resets VmHWM); the resident set now, in KiB."""
    Path(f"/proc/{server.pid}/clear_refs").write_text("5")
    return server.rss_kib()


def download_zip(
    server: serve.Server, client: httpx.Client, ids: list[int], keep: Path
) -> tuple[Run, Path]:
    start_kib = reset_peak(server)
    received = 0
    started = time.perf_counter()
    with (
        client.stream("POST", "/api/v1/downloads", json={"photo_ids": ids}) as answer,
        open(keep, "wb") as out,
    ):
        answer.raise_for_status()
        for chunk in answer.iter_raw():
            received += len(chunk)
            out.write(chunk)
    seconds = time.perf_counter() - started
    growth = (server.hwm_kib() - start_kib) / 1024
    return Run(f"zip of {len(ids)}", len(ids), received / MIB, seconds, growth), keep


def download_one_by_one(server: serve.Server, client: httpx.Client, ids: list[int]) -> Run:
    start_kib = reset_peak(server)
    received = 0
    started = time.perf_counter()
    for photo_id in ids:
        with client.stream("GET", f"/media/{photo_id}/original") as answer:
            answer.raise_for_status()
            for chunk in answer.iter_raw():
                received += len(chunk)
    seconds = time.perf_counter() - started
    growth = (server.hwm_kib() - start_kib) / 1024
    return Run(f"{len(ids)} originals, one request each", len(ids), received / MIB, seconds, growth)


def worst(runs: list[Run]) -> Run:
    """The largest growth of the runs, at the slowest of their throughputs."""
    return Run(
        runs[0].label,
        runs[0].photos,
        runs[0].megabytes,
        max(run.seconds for run in runs),
        max(run.growth_mib for run in runs),
    )


def check_zip(path: Path, count: int) -> None:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert len(names) == count, (len(names), count)
        assert archive.testzip() is None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="downloads of each zip")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    cpu = None if args.server_cpu < 0 else args.server_cpu

    with tempfile.TemporaryDirectory(prefix="bench-downloads-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        total = make_photos(work / "photos", args.photos)
        made = time.perf_counter() - started
        imported = import_photos(work / "data", work / "photos")
        print(
            f"{args.photos} JPEGs ({total / MIB:.0f} MiB) made in {made:.1f} s,"
            f" imported in {imported:.1f} s"
        )
        with sqlite3.connect(work / "data" / "photoarchive.sqlite3") as conn:
            ids = [row[0] for row in conn.execute("SELECT id FROM photos ORDER BY id")]
        assert len(ids) == args.photos, len(ids)

        limit = {"PHOTOARCHIVE_MAX_DOWNLOAD_ITEMS": str(max(args.photos, 5000))}
        with serve.photoarchive_server(work / "data", cpu, limit) as server:
            client = httpx.Client(base_url=server.url, timeout=600)
            login = client.post("/api/v1/auth/login", json={"login": "bench", "password": PASSWORD})
            login.raise_for_status()
            client.headers["Authorization"] = f"Bearer {login.json()['token']}"
            idle_mib = server.rss_kib() / 1024
            # Warm up every code path once (imports, the first database reads), unmeasured.
            download_zip(server, client, ids[:10], work / "warm.zip")
            baseline = download_one_by_one(server, client, ids[: args.small])
            # Each size twice, alternating, so neither always meets the other's freed memory.
            runs: dict[int, list[Run]] = {args.small: [], args.photos: []}
            for _ in range(args.rounds):
                for chosen in (ids[: args.small], ids):
                    run, kept = download_zip(server, client, chosen, work / "kept.zip")
                    check_zip(kept, len(chosen))
                    runs[len(chosen)].append(run)
            small, large = (worst(runs[n]) for n in (args.small, args.photos))
            client.close()

    table = render([baseline, small, large], baseline, small, idle_mib)
    print(table)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    kept = args.output.read_text().partition(NOTES_MARKER)[2] if args.output.exists() else ""
    args.output.write_text(
        f"# Downloads: a zip of chosen photos\n\n`.venv/bin/python bench/downloads.py"
        f" --photos {args.photos} --small {args.small}`, {when}, {os.cpu_count()} cores"
        f" (server pinned to CPU {cpu}), {args.photos} photos of about"
        f" {total / args.photos / 1024:.0f} KB, as their owner (byte for byte).\n\n{table}\n"
        f"\n{NOTES_MARKER}{kept or chr(10)}"
    )
    print(f"written to {args.output}")


def render(runs: list[Run], baseline: Run, small: Run, idle_mib: float) -> str:
    lines = [
        f"Server resident set when idle: {idle_mib:.1f} MiB. Zips: the slowest and the largest"
        " growth of their runs.",
        "",
        "| download | MiB sent | seconds | MB/s | x baseline MB/s | peak RSS growth, MiB"
        " | growth / MiB sent |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.label} | {run.megabytes:.1f} | {run.seconds:.2f} | {run.rate * 1.048576:.1f}"
            f" | {run.rate / baseline.rate:.2f}x | {run.growth_mib:.1f}"
            f" | {run.growth_mib / run.megabytes:.1%} |"
        )
    large = runs[-1]
    lines += [
        "",
        f"The zip of {large.photos} sends {large.megabytes / small.megabytes:.0f}x the bytes of"
        f" the zip of {small.photos}; its peak grew {large.growth_mib:.1f} MiB against"
        f" {small.growth_mib:.1f} MiB ({large.growth_mib * 1024 / large.photos:.1f} KiB a photo"
        " at most), where a zip held in memory would have grown by the"
        f" {large.megabytes:.0f} MiB it sent.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
