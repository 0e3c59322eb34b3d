"""Ingest benchmark: our pipeline against libvips and against naive Pillow, per photo.

    python bench/ingest.py [--quick] [--out bench/results/ingest.md]

Every measurement runs in a fresh subprocess, so its peak RSS is its own. Inputs are made
here (camera-like 12, 24 and 50 MP JPEGs with EXIF) plus the HEIC files in
../shared/testdata/photos/heic. Three pipelines make the same two WebP renditions (1600 and
512 px long edge, quality 80, sRGB, upright, no metadata):

- ours:  SHA-256 + images.ingest (metadata, renditions, placeholder, location patches) and
         both renditions written to files;
- vips:  pyvips.Image.thumbnail (shrink-on-load, autorotate, sRGB export) to 1600, the 512
         from that, both written with webpsave - the approach of Immich, PhotoPrism, LibrePhotos;
- naive: Pillow full decode, exif_transpose, convert, resize from the full frame for each size.

It also measures ten large uploads at once through ingest.add (memory with the default two
decode slots against ten), and `photoarchive import` throughput with 1 and 2 jobs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEIC_DIR = (
    Path(os.environ.get("TESTDATA_DIR", REPO.parent / "shared" / "testdata")) / "photos" / "heic"
)
SIZES = {"12MP": (4000, 3000), "24MP": (6000, 4000), "50MP": (8660, 5773)}
PREVIEW, THUMB, QUALITY = 1600, 512, 80
NOTES_MARKER = "<!-- notes: kept when the benchmark rewrites this file -->"


# --- inputs ---------------------------------------------------------------------------------


def camera_jpeg(path: Path, size: tuple[int, int], seed: int) -> None:
    """Something that compresses like a photo: smooth shapes, texture and sensor noise,
    4:2:0 baseline JPEG at quality 92 with a camera's EXIF (orientation 1, date, GPS)."""
    from PIL import Image, ImageDraw, ImageFilter

    width, height = size
    small = Image.effect_noise((width // 40, height // 40), 60 + seed).convert("RGB")
    small = Image.merge(
        "RGB",
        [
            small.getchannel(0),
            small.getchannel(0).transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            Image.linear_gradient("L").resize(small.size),
        ],
    )
    base = small.resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(base)
    for index in range(40):
        x, y = (index * 7919 + seed * 104729) % width, (index * 6271 + seed * 1299709) % height
        r = width // 30 + index * 3
        draw.ellipse((x, y, x + r, y + r), fill=(index * 6 % 256, 90, 200 - index * 4))
    grain = Image.effect_noise((width // 2, height // 2), 12).resize(size).convert("RGB")
    image = Image.blend(base, grain, 0.12)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "BenchCam", "Model 1", 1
    exif.get_ifd(0x8769)[0x9003] = "2024:06:01 12:00:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.5)})
    image.save(path, "JPEG", quality=92, subsampling=2, exif=exif.tobytes())


def make_inputs(folder: Path, quick: bool) -> list[tuple[str, Path]]:
    inputs = []
    for label, size in SIZES.items():
        if quick and label != "12MP":
            continue
        path = folder / f"camera-{label}.jpg"
        camera_jpeg(path, size, seed=len(inputs))
        inputs.append((f"JPEG {label}", path))
    for path in sorted(HEIC_DIR.glob("*")):
        inputs.append((f"HEIC {path.name}", path))
    return inputs


# --- the three pipelines (run inside a worker subprocess) -----------------------------------


def run_ours(path: Path, out: Path) -> None:
    import hashlib

    from photoarchive.media import images

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    result = images.ingest(path, 100_000_000)
    for rendition in result.renditions:
        (out / f"{digest.hexdigest()}-{rendition.name}.webp").write_bytes(rendition.data)


def run_vips(path: Path, out: Path) -> None:
    import pyvips

    # libvips < 8.15 (Debian 12) spells "keep no metadata" as strip=True.
    no_metadata = {"strip": True} if pyvips.at_least_libvips(8, 15) is False else {"keep": 0}
    # Decode once (shrink-on-load), keep the 1600 px result in memory, derive the 512 from it.
    preview = pyvips.Image.thumbnail(
        str(path), PREVIEW, size="down", export_profile="srgb"
    ).copy_memory()
    (out / "vips-preview.webp").write_bytes(preview.webpsave_buffer(Q=QUALITY, **no_metadata))
    thumb = preview.thumbnail_image(THUMB, size="down")
    (out / "vips-thumb.webp").write_bytes(thumb.webpsave_buffer(Q=QUALITY, **no_metadata))


def run_naive(path: Path, out: Path) -> None:
    import pillow_heif
    from PIL import Image, ImageOps

    pillow_heif.register_heif_opener()
    with Image.open(path) as image:
        full = ImageOps.exif_transpose(image).convert("RGB")
    for name, edge in (("preview", PREVIEW), ("thumb", THUMB)):
        copy = full.copy()
        copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
        copy.save(out / f"naive-{name}.webp", "WEBP", quality=QUALITY)


PIPELINES = {"ours": run_ours, "vips": run_vips, "naive": run_naive}


def rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss it is not inherited over fork+exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(mode: str, path: Path, repeat: int) -> None:
    """One pipeline on one file, `repeat` times after a warm-up; prints JSON."""
    # Import everything the pipeline needs first, so the baseline is the interpreter's.
    if mode == "ours":
        import photoarchive.media.images  # noqa: F401
    elif mode == "vips":
        import pyvips  # noqa: F401
    else:
        import pillow_heif  # noqa: F401
        from PIL import Image  # noqa: F401
    baseline = rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        PIPELINES[mode](path, out)  # warm-up: code paths, page cache
        times, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            PIPELINES[mode](path, out)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    print(json.dumps({"times": times, "cpu": cpu, "peak_mb": rss_mb(), "baseline_mb": baseline}))


def interleaved(path: Path, rounds: int, repeat: int) -> dict[str, dict]:
    """Each pipeline in turn, `rounds` times over, so that all of them see the same (possibly
    busy) machine; times are pooled, the peak RSS is the largest of the rounds."""
    pooled: dict[str, dict] = {
        mode: {"times": [], "cpu": [], "peak_mb": 0.0, "baseline_mb": 0.0} for mode in PIPELINES
    }
    for _ in range(rounds):
        for mode in PIPELINES:
            result = measure(mode, path, repeat)
            pooled[mode]["times"] += result["times"]
            pooled[mode]["cpu"] += result["cpu"]
            pooled[mode]["peak_mb"] = max(pooled[mode]["peak_mb"], result["peak_mb"])
            pooled[mode]["baseline_mb"] = result["baseline_mb"]
    return pooled


def measure(mode: str, path: Path, repeat: int) -> dict:
    run = subprocess.run(
        [sys.executable, __file__, "--worker", mode, str(path), "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    if run.returncode != 0:
        raise SystemExit(f"{mode} on {path.name} failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


# --- ten uploads at once, and import throughput ---------------------------------------------


def concurrent_worker(folder: Path, slots: int) -> None:
    """Ten large photos handed to ingest.add at once, as ten simultaneous uploads would be."""
    import asyncio
    import hashlib

    from photoarchive.accounts import users
    from photoarchive.accounts.passwords import Passwords
    from photoarchive.db import Database
    from photoarchive.library import ingest
    from photoarchive.library.ingest import IncomingFile
    from photoarchive.services import DecodeSlots, Services
    from photoarchive.settings import Settings
    from photoarchive.storage.local import LocalBlobStore

    async def main(settings: Settings, incoming: list[IncomingFile]) -> float:
        db = Database(settings.database_path)
        await db.open()
        svc = Services(
            settings=settings,
            db=db,
            store=LocalBlobStore(settings.blob_dir, settings.tmp_dir),
            passwords=Passwords(1024, 1),
            image_slots=DecodeSlots(slots),
        )
        owner = await users.create(
            db,
            svc.passwords,
            username="bench",
            email="b@example.org",
            password="bench password",
            registration="open",
        )
        started = time.perf_counter()
        await asyncio.gather(*(ingest.add(svc, owner, item, "") for item in incoming))
        elapsed = time.perf_counter() - started
        await db.close()
        return elapsed

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        settings.tmp_dir.mkdir(parents=True)
        incoming = []
        for index, source in enumerate(sorted(folder.glob("*.jpg"))):
            copy = settings.tmp_dir / f"upload-{index}"
            shutil.copyfile(source, copy)
            data = copy.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            incoming.append(IncomingFile(copy, source.name, digest, len(data)))
            del data
        baseline = rss_mb()
        elapsed = asyncio.run(main(settings, incoming))
    print(json.dumps({"elapsed": elapsed, "peak_mb": rss_mb(), "baseline_mb": baseline}))


def concurrent(folder: Path, slots: int) -> dict:
    run = subprocess.run(
        [sys.executable, __file__, "--concurrent", str(folder), "--slots", str(slots)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise SystemExit(f"concurrent uploads failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def import_throughput(folder: Path, jobs: int) -> tuple[float, float]:
    """Files per second of `photoarchive import --jobs N` on `folder`, in a fresh archive:
    of the whole command, and as the command reports it (from its first file to its last)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")},
            "PHOTOARCHIVE_DATA_DIR": tmp,
            "PHOTOARCHIVE_ARGON2_MEMORY_KIB": "1024",
        }
        cli = [sys.executable, "-m", "photoarchive"]
        subprocess.run(
            [*cli, "users", "create", "bench", "--email", "b@example.org"],
            input="bench password\n",
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        started = time.perf_counter()
        run = subprocess.run(
            [*cli, "import", str(folder), "--user", "bench", "--jobs", str(jobs)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.perf_counter() - started
    reported = re.search(r"\(([\d.]+) files/s\)", run.stdout)
    count = len(list(folder.iterdir()))
    return count / elapsed, float(reported.group(1)) if reported else float("nan")


def pool_scaling(folder: Path, workers: int, kind: str) -> dict:
    """Photos per second of images.ingest over `folder` in `workers` threads of one process, or
    in as many processes: does Pillow release the GIL enough for threads to use every core?"""
    run = subprocess.run(
        [sys.executable, __file__, "--pool", kind, str(folder), "--slots", str(workers)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise SystemExit(f"thread scaling failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _ingest(path: Path) -> None:
    from photoarchive.media import images

    images.ingest(path, 100_000_000)


def pool_worker(folder: Path, workers: int, kind: str) -> None:
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    paths = sorted(folder.iterdir())
    executor = ThreadPoolExecutor if kind == "threads" else ProcessPoolExecutor
    with executor(workers) as pool:
        list(pool.map(_ingest, paths[:workers]))  # warm-up: imports, code paths
        busy_before, started = _machine_busy(), time.perf_counter()
        started_cpu = time.process_time()
        list(pool.map(_ingest, paths))
        elapsed = time.perf_counter() - started
        cores = (time.process_time() - started_cpu) / elapsed  # threads only: own process
        busy = _machine_busy(busy_before)
    print(json.dumps({"rate": len(paths) / elapsed, "cores": cores, "idle": busy}))


def _machine_busy(since: tuple[int, int] | None = None):
    """CPU jiffies (total, idle) from /proc/stat; given an earlier reading, the idle share."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    now = (sum(fields), fields[3] + fields[4])
    if since is None:
        return now
    total = now[0] - since[0]
    return (now[1] - since[1]) / total if total else 0.0


def targets(
    rows_12mp: tuple[float, float] | None, rss_50mp: float | None, jobs_ratio: float
) -> list[str]:
    """The issue's targets, judged from this run's numbers (reported, never asserted)."""

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = ["", "## Targets (from this run)", ""]
    if rows_12mp:
        wall, cpu = rows_12mp
        lines.append(
            f"- ours <= 1.0x pyvips per 12 MP JPEG: wall {wall:.2f}x, CPU {cpu:.2f}x"
            f" -> {verdict(wall <= 1.0)} (wall)."
        )
    if rss_50mp is not None:
        lines.append(
            f"- peak RSS for a 50 MP JPEG < 200 MB: {rss_50mp:.0f} MB -> {verdict(rss_50mp < 200)}."
        )
    lines.append(
        f"- import with 2 jobs >= 1.7x one job: {jobs_ratio:.2f}x -> {verdict(jobs_ratio >= 1.7)}"
        " (only meaningful on an otherwise idle machine: see the load average above)."
    )
    return lines


# --- report ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 MP only, fewer repeats")
    parser.add_argument(
        "--only-import", action="store_true", help="only the import throughput section"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ingest.md")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--concurrent", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pool", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    parser.add_argument("--slots", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), args.repeat)
        return
    if args.concurrent:
        concurrent_worker(args.concurrent, args.slots)
        return
    if args.pool:
        pool_worker(Path(args.pool[1]), args.slots, args.pool[0])
        return

    lines = [
        "# Ingest benchmark",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        f", {_versions()}. Generated by `make bench-ingest` ({time.strftime('%Y-%m-%d')}).",
        "",
        "Per photo, each pipeline in its own process (several processes each, taking turns with"
        " the other pipelines), after a warm-up: the median wall time"
        " and the median CPU time (all threads) of repeated runs, and that process's peak"
        " resident set (VmHWM; interpreter and libraries included, the baseline after imports"
        " in brackets). Load average when the run started: " + _load() + ".",
        "",
        "| input | ours | vips | naive | ours / vips | ours / naive | CPU ours | CPU vips"
        " | CPU naive | CPU ours / vips | RSS ours | RSS vips | RSS naive |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    wall_12mp: tuple[float, float] | None = None
    rss_50mp: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("generating inputs...", file=sys.stderr)
        inputs = [] if args.only_import else make_inputs(folder, args.quick)
        for label, path in inputs:
            rounds = 2 if args.quick or "50MP" in label else 3
            results = interleaved(path, rounds, repeat=2)
            wall = {mode: statistics.median(r["times"]) for mode, r in results.items()}
            cpu = {mode: statistics.median(r["cpu"]) for mode, r in results.items()}
            cells = [label]
            cells += [f"{wall[m] * 1000:.0f} ms" for m in PIPELINES]
            cells += [f"{wall['ours'] / wall['vips']:.2f}x", f"{wall['ours'] / wall['naive']:.2f}x"]
            cells += [f"{cpu[m] * 1000:.0f} ms" for m in PIPELINES]
            cells += [f"{cpu['ours'] / cpu['vips']:.2f}x"]
            cells += [
                f"{results[m]['peak_mb']:.0f} MB ({results[m]['baseline_mb']:.0f})"
                for m in PIPELINES
            ]
            if label == "JPEG 12MP":
                wall_12mp = (wall["ours"] / wall["vips"], cpu["ours"] / cpu["vips"])
            if label == "JPEG 50MP":
                rss_50mp = results["ours"]["peak_mb"]
            row = "| " + " | ".join(cells) + " |"
            print(row, file=sys.stderr)
            lines.append(row)

        if not args.only_import:
            large = folder / "large"
            large.mkdir()
            count = 4 if args.quick else 10
            print(f"ten uploads at once ({count} x 24 MP)...", file=sys.stderr)
            for index in range(count):
                camera_jpeg(
                    large / f"big-{index}.jpg", SIZES["12MP" if args.quick else "24MP"], index
                )
            lines += [
                "",
                f"## {count} large uploads at once (ingest.add, {'12' if args.quick else '24'} MP JPEGs)",
                "",
                "| decode slots | wall time | peak RSS | RSS before the uploads |",
                "|---:|---:|---:|---:|",
            ]
            for slots in (1, 2, count):
                result = concurrent(large, slots)
                row = (
                    f"| {slots} | {result['elapsed']:.1f} s | {result['peak_mb']:.0f} MB"
                    f" | {result['baseline_mb']:.0f} MB |"
                )
                print(row, file=sys.stderr)
                lines.append(row)

        batch = folder / "batch"
        batch.mkdir()
        for index in range(6 if args.quick else 16):
            camera_jpeg(batch / f"photo-{index:02}.jpg", SIZES["12MP"], 100 + index)
        print("import throughput...", file=sys.stderr)
        load = _load()
        # Alternated, and the median of three each, for the same reason as above.
        runs: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
        pools: dict[tuple[str, int], list[float]] = {}
        for _ in range(3):
            for jobs in (1, 2):
                runs[jobs].append(import_throughput(batch, jobs))
                for kind in ("threads", "processes"):
                    pools.setdefault((kind, jobs), []).append(pool_scaling(batch, jobs, kind))
        whole = {jobs: statistics.median(r[0] for r in values) for jobs, values in runs.items()}
        rate = {jobs: statistics.median(r[1] for r in values) for jobs, values in runs.items()}
        one, two = rate[1], rate[2]
        pool = {key: statistics.median(v["rate"] for v in values) for key, values in pools.items()}
        cores = statistics.median(v["cores"] for v in pools["threads", 2])
        idle = statistics.median(v["idle"] for v in pools["threads", 2])
        lines += [
            "",
            f"## `photoarchive import` throughput ({len(list(batch.iterdir()))} x 12 MP JPEGs)",
            "",
            "Median of three runs each, alternating. `photos/s` is the rate the command reports"
            " (first file to last); `whole command` includes interpreter start-up."
            f" Load average before: {load}.",
            "",
            "The last two columns run images.ingest alone over the same files in N threads of one"
            " process, and in N processes: if threads scaled worse than processes, the GIL would"
            " be the limit.",
            "",
            "| jobs | photos/s | whole command | ingest, N threads | ingest, N processes |",
            "|---:|---:|---:|---:|---:|",
            f"| 1 | {one:.2f} | {whole[1]:.2f} | {pool['threads', 1]:.2f}"
            f" | {pool['processes', 1]:.2f} |",
            f"| 2 | {two:.2f} | {whole[2]:.2f} | {pool['threads', 2]:.2f}"
            f" | {pool['processes', 2]:.2f} |",
            "",
            f"2 jobs / 1 job: **{two / one:.2f}x** (photos/s), {whole[2] / whole[1]:.2f}x"
            f" (whole command), {pool['threads', 2] / pool['threads', 1]:.2f}x (threads),"
            f" {pool['processes', 2] / pool['processes', 1]:.2f}x (processes).",
            "",
            f"With 2 threads the process kept {cores:.2f} cores busy while the machine was"
            f" {idle:.0%} idle: below 2 cores with no idle time left means other work took the"
            " rest, not the GIL.",
        ]
        print(f"import: 1 job {one:.2f}/s, 2 jobs {two:.2f}/s ({two / one:.2f}x)", file=sys.stderr)
        lines += targets(rows_12mp=wall_12mp, rss_50mp=rss_50mp, jobs_ratio=two / one)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Hand-written notes below the marker survive a re-run.
    kept = args.out.read_text().partition(NOTES_MARKER)[2] if args.out.exists() else ""
    args.out.write_text("\n".join(lines) + f"\n\n{NOTES_MARKER}{kept or chr(10)}")
    print("\n".join(lines))


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def _versions() -> str:
    import PIL

    try:
        import pyvips

        vips = f"libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}"
    except Exception:
        vips = "libvips missing"
    return f"Pillow {PIL.__version__}, {vips}"


if __name__ == "__main__":
    main()
