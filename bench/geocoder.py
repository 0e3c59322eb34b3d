"""What the offline geocoder (photoarchive/library/geocoder.py) costs: the first lookup (which
reads the bundled GeoNames table), the resident memory it adds, and the time of a lookup after
that, over random points on land and sea. Each measurement in a fresh interpreter, so the table
is really read from disk.

    .venv/bin/python bench/geocoder.py [--lookups N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "geocoder.md"

PROBE = r"""
import json, random, resource, statistics, sys, time
def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:"))
from photoarchive.library import geocoder
before = rss_kib()
start = time.perf_counter()
geocoder.lookup_now(43.4674, 11.8851)
first = time.perf_counter() - start
after = rss_kib()
rng = random.Random(1)
times = []
for _ in range(int(sys.argv[1])):
    lat, lon = rng.uniform(-60, 75), rng.uniform(-180, 180)
    t = time.perf_counter(); geocoder.lookup_now(lat, lon); times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({
    "first_s": first, "rss_mib": (after - before) / 1024,
    "median_ms": statistics.median(times) * 1000, "p99_ms": times[int(len(times) * .99)] * 1000,
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, str(args.lookups)], capture_output=True, text=True
        )
        out.check_returncode()
        runs.append(json.loads(out.stdout))
    lines = [
        "# Offline geocoder",
        "",
        f"{args.lookups} random lookups a run, {args.runs} runs, each in a fresh interpreter.",
        "",
        "| run | first lookup (reads the table) | RSS added | median lookup | p99 lookup |",
        "|---|---|---|---|---|",
    ]
    for n, run in enumerate(runs, 1):
        lines.append(
            f"| {n} | {run['first_s']:.2f} s | {run['rss_mib']:.0f} MiB |"
            f" {run['median_ms']:.3f} ms | {run['p99_ms']:.2f} ms |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
