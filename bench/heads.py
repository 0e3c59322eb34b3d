"""What the bounded request-head protocol (photoarchive/web/server.py) costs per request.

Two servers of the same app on one data dir's copy, started side by side: uvicorn's own
httptools protocol (the baseline) and ours, which counts head bytes and arms a timer per
request. Requests go one at a time, alternating between the two, each on its own keep-alive
connection, and every answer is timed; the medians and p99s are compared as ratios. Run by
hand: `.venv/bin/python bench/heads.py [--rounds N]`. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cloud import free_port  # noqa: E402

SERVER = """
import sys, uvicorn
from pathlib import Path
from photoarchive.app import create_app
from photoarchive.settings import Settings
from photoarchive.web.server import server_config
settings = Settings.from_env(data_dir=Path(sys.argv[1]))
app = create_app(settings)
port = int(sys.argv[2])
if sys.argv[3] == "bounded":
    config = server_config(app, settings, port=port, log_level="warning")
else:
    config = uvicorn.Config(app, port=port, http="httptools", lifespan="on", log_level="warning")
uvicorn.Server(config).run()
"""


def start(kind: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(data_dir), str(port), kind], env=env, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"the {kind} server did not start")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3000, help="requests per side")
    parser.add_argument("--path", default="/login", help="what to request")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        servers = {kind: start(kind, Path(work) / kind) for kind in ("plain", "bounded")}
        clients = {kind: httpx.Client(base_url=url) for kind, (_p, url) in servers.items()}
        times: dict[str, list[float]] = {kind: [] for kind in servers}
        try:
            for kind in servers:  # warm up
                for _ in range(200):
                    clients[kind].get(args.path)
            for turn in range(args.rounds):
                order = ("plain", "bounded") if turn % 2 else ("bounded", "plain")
                for kind in order:
                    started = time.perf_counter()
                    response = clients[kind].get(args.path)
                    times[kind].append(time.perf_counter() - started)
                    assert response.status_code == 200, response.status_code
        finally:
            for client in clients.values():
                client.close()
            for process, _url in servers.values():
                process.terminate()
                process.wait(timeout=30)
    print(f"GET {args.path}, {args.rounds} requests a side, alternating")
    print("| protocol | median ms | p99 ms | median vs plain | p99 vs plain |")
    print("|---|---|---|---|---|")
    base = times["plain"]
    for kind, values in times.items():
        median, p99 = statistics.median(values), statistics.quantiles(values, n=100)[98]
        base_median, base_p99 = statistics.median(base), statistics.quantiles(base, n=100)[98]
        print(
            f"| {kind} | {median * 1000:.3f} | {p99 * 1000:.3f} "
            f"| {median / base_median:.3f} | {p99 / base_p99:.3f} |"
        )


if __name__ == "__main__":
    main()
