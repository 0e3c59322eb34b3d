"""Serving benchmark: pages, API and media under load, at 1,000 and 100,000 photos.

Seeds a data dir per archive size (synthetic rows that point at a handful of real renditions),
starts the real `photoarchive serve` process, drives it with wrk on loopback and compares every
number with a baseline taken in the same run:

* pages and the feed API against the same server's /healthz (the framework's ceiling);
* a thumbnail and an original against nginx serving the same file from disk (the machine's);
* the feed's p99 at the large archive against the small one, first page and 90 % deep;
* the server's resident memory, idle and at its peak under load.

Prints one table and writes it, with the machine's description, to bench/results/serve.md.
`make bench-serve` installs wrk and nginx from Debian when they are missing. Not a test: the
targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from pathlib import Path

from photoarchive.accounts.passwords import Passwords
from photoarchive.db import Database
from photoarchive.media import images
from photoarchive.storage import original_key, rendition_key

REPO = Path(__file__).resolve().parents[1]
PHOTOS = Path(os.environ.get("TESTDATA_DIR", REPO.parent / "shared" / "testdata")) / "photos"
RESULTS = REPO / "bench" / "results" / "serve.md"

# A handful of real photos: their renditions are made once, every synthetic row points at them.
SOURCES = (
    "orientation/landscape_1.jpg",
    "orientation/portrait_6.jpg",
    "gps/DSCN0010.jpg",
    "cameras/Reconyx_HC500_Hyperfire.jpg",
    "heic/IMG_5195.HEIC",
)
USERS = 20
PASSWORD = "bench password 1"
_CAPTION_WORDS = (
    "beach sunset grandma birthday cake garden snow hike lake dog cat picnic school first day"
    " train city market rain autumn leaves kitchen bread cousins wedding dance morning coffee"
)
WORDS = _CAPTION_WORDS.split()

# Fixed numbers of likes and comments per photo, drawn with these weights (mean about 3 and 1.6).
LIKES_WEIGHTS = (20, 15, 15, 15, 10, 10, 5, 5, 5)
COMMENT_WEIGHTS = (35, 25, 15, 10, 10, 5)

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK-JSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"bytes\\": %d,"
    .. " \\"connect\\": %d, \\"read\\": %d, \\"write\\": %d, \\"status\\": %d, \\"timeout\\": %d,"
    .. " \\"p50_us\\": %d, \\"p90_us\\": %d, \\"p99_us\\": %d, \\"max_us\\": %d}\\n",
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


# --- the machine --------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        total_kib = int(handle.readline().split()[1])
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": f"{total_kib / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "wrk": _version([tool("wrk"), "-v"]),
        "nginx": _version([tool("nginx"), "-v"]),
    }


def _version(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def tool(name: str) -> str:
    path = os.pathsep.join(
        [os.environ.get("PATH", ""), str(Path(sys.executable).parent), "/usr/sbin"]
    )
    found = shutil.which(name, path=path)
    if found is None:
        raise SystemExit(f"bench: {name} is not installed (`make bench-serve` installs it)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- seeding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One real photo, ingested once; `files` maps blob kind to the file holding it."""

    name: str
    sha256: str
    size: int
    content_type: str
    width: int
    height: int
    preview_width: int
    placeholder: str
    meta: images.Metadata
    files: dict[str, Path]


def make_sources(photos: Path, folder: Path) -> list[Source]:
    """Ingest each source photo once with the app's own image code."""
    sources = []
    for relative in SOURCES:
        path = photos / relative
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        ingested = images.ingest(path, 100_000_000)
        files = {"original": folder / digest}
        files["original"].write_bytes(data)
        preview_width = 0
        for rendition in ingested.renditions:
            files[rendition.name] = folder / f"{digest}.{rendition.name}.webp"
            files[rendition.name].write_bytes(rendition.data)
            if rendition.name == "preview":
                preview_width = rendition.width
        sources.append(
            Source(
                name=path.name,
                sha256=digest,
                size=len(data),
                content_type=ingested.content_type,
                width=ingested.width,
                height=ingested.height,
                preview_width=preview_width,
                placeholder=ingested.placeholder,
                meta=ingested.metadata,
                files=files,
            )
        )
    return sources


def seed(data_dir: Path, count: int, sources: Sequence[Source], password_hash: str) -> None:
    """A data dir with `count` photos by 20 users, with likes and comments, through the app's
    own migrations. Every photo has its own digest and blobs (hard links to a source's files)."""
    db_path = data_dir / "photoarchive.sqlite3"
    asyncio.run(_migrate(db_path))
    rng = random.Random(count)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users (id, username, username_key, email, email_key, display_name,"
        " password_hash, is_admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                n,
                f"user{n:02d}",
                f"user{n:02d}",
                f"user{n:02d}@example.org",
                f"user{n:02d}@example.org",
                f"User {n}",
                password_hash,
                int(n == 1),
                _stamp(start),
            )
            for n in range(1, USERS + 1)
        ],
    )
    photos, likes, comments = [], [], []
    comment_id = 0
    for photo_id in range(1, count + 1):
        source = sources[photo_id % len(sources)]
        owner = rng.randint(1, USERS)
        stamp = _stamp(start + timedelta(minutes=photo_id))
        likers = rng.sample(range(1, USERS + 1), _draw(rng, LIKES_WEIGHTS))
        likes.extend((photo_id, user, stamp) for user in likers)
        n_comments = _draw(rng, COMMENT_WEIGHTS)
        for _ in range(n_comments):
            comment_id += 1
            words = " ".join(rng.choices(WORDS, k=rng.randint(2, 12)))
            comments.append(
                (comment_id, photo_id, rng.randint(1, USERS), words.capitalize(), stamp)
            )
        meta = source.meta
        photos.append(
            (
                photo_id,
                owner,
                hashlib.sha256(f"bench:{source.sha256}:{photo_id}".encode()).hexdigest(),
                source.size,
                source.content_type,
                source.name,
                " ".join(rng.choices(WORDS, k=rng.randint(0, 10))).capitalize(),
                source.width,
                source.height,
                source.preview_width,
                meta.taken_at,
                meta.camera_make,
                meta.camera_model,
                meta.lens,
                meta.focal_length,
                meta.aperture,
                meta.exposure_time,
                meta.iso,
                meta.gps_lat,
                meta.gps_lon,
                source.placeholder,
                len(likers),
                n_comments,
                stamp,
            )
        )
    conn.executemany(
        "INSERT INTO photos (id, owner_id, sha256, bytes, content_type, filename, caption,"
        " width, height, preview_width, taken_at, camera_make, camera_model, lens, focal_length,"
        " aperture, exposure_time, iso, gps_lat, gps_lon, placeholder, like_count, comment_count,"
        " created_at, tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, ?, lower(hex(randomblob(8))))",
        photos,
    )
    conn.executemany("INSERT INTO likes (photo_id, user_id, created_at) VALUES (?, ?, ?)", likes)
    conn.executemany(
        "INSERT INTO comments (id, photo_id, author_id, text, created_at) VALUES (?, ?, ?, ?, ?)",
        comments,
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    blobs = str(data_dir / "blobs")
    made: set[str] = set()
    for row in photos:
        source = sources[row[0] % len(sources)]
        for kind, key in (
            ("original", original_key(row[2])),
            ("thumbnail", rendition_key(row[2], "thumbnail")),
            ("preview", rendition_key(row[2], "preview")),
        ):
            target = f"{blobs}/{key}"
            folder = target.rsplit("/", 1)[0]
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            os.link(source.files[kind], target)


async def _migrate(path: Path) -> None:
    db = Database(path, readers=1)
    await db.open()
    await db.close()


def _draw(rng: random.Random, weights: Sequence[int]) -> int:
    return rng.choices(range(len(weights)), weights=weights)[0]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- processes ----------------------------------------------------------------------------


def pin(cpu: int | None) -> Callable[[], None] | None:
    """A preexec_fn that keeps a child process (and its threads) on one CPU."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_kib(self) -> int:
        return _status_kib(self.pid, "VmRSS")

    def hwm_kib(self) -> int:
        return _status_kib(self.pid, "VmHWM")


def _status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


@contextmanager
def photoarchive_server(
    data_dir: Path, cpu: int | None, settings: dict[str, str] | None = None, name: str = "server"
) -> Iterator[Server]:
    """`photoarchive serve` exactly as an operator starts it, on a free loopback port (`name`
    tells the logs of several instances on one data dir apart)."""
    port = free_port()
    command = Path(sys.executable).with_name("photoarchive")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")},
        "PHOTOARCHIVE_DATA_DIR": str(data_dir),
        "PHOTOARCHIVE_PORT": str(port),
        "PHOTOARCHIVE_HOST": "127.0.0.1",
        "PHOTOARCHIVE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **(settings or {}),
    }
    log = data_dir / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(command), "serve"], env=env, stdout=out, stderr=out, preexec_fn=pin(cpu)
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_up(server.url + "/healthz", process, log)
        yield server
    finally:
        _stop(process)


@contextmanager
def nginx_server(root: Path, work: Path, cpu: int | None) -> Iterator[tuple[str, int]]:
    """nginx with one worker serving `root` from disk, the way it is usually set up for files."""
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = work / "nginx.conf"
    conf.write_text(
        f"""{user}
daemon off;
master_process on;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types {{ image/webp webp; image/jpeg jpg; image/heic heic; }}
  default_type application/octet-stream;
  client_body_temp_path {work}/body;
  proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi;
  uwsgi_temp_path {work}/uwsgi;
  scgi_temp_path {work}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location / {{ etag on; add_header Cache-Control "private, max-age=31536000, immutable"; }}
  }}
}}
"""
    )
    log = work / "nginx.out"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [tool("nginx"), "-p", str(work), "-c", str(conf), "-e", str(work / "error.log")],
            stdout=out,
            stderr=out,
            preexec_fn=pin(cpu),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/", process, log, any_status=True)
        yield url, process.pid
    finally:
        _stop(process)


@contextmanager
def floor_server(answer: Path, work: Path, cpu: int | None) -> Iterator[tuple[str, int]]:
    """bench/floor.py: uvicorn, set up as `photoarchive serve` sets it up, sending `answer`."""
    port = free_port()
    log = work / "floor.out"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "floor.py"), str(answer), str(port)],
            stdout=out,
            stderr=out,
            preexec_fn=pin(cpu),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/", process, log)
        yield url, process.pid
    finally:
        _stop(process)


def _wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, any_status: bool = False
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: {url} exited at start:\n{log.read_text()[-3000:]}")
        try:
            status, _, _ = request(url)
            if any_status or status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: {url} did not answer within 30 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- HTTP as a browser and as a script ----------------------------------------------------


def request(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, list[str]], bytes]:
    parts = urllib.parse.urlsplit(url)
    conn = HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path or "/", body=body, headers=headers or {})
        response = conn.getresponse()
        found: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            found.setdefault(name.lower(), []).append(value)
        return response.status, found, response.read()
    finally:
        conn.close()


def _cookie(headers: dict[str, list[str]], name: str) -> str | None:
    for value in headers.get("set-cookie", []):
        key, _, rest = value.partition("=")
        if key.strip() == name:
            return rest.split(";", 1)[0]
    return None


def browser_cookie(base: str, username: str) -> str:
    """Sign in through the login form like a browser; returns the Cookie header it would send."""
    _status, headers, _ = request(base + "/login")
    csrf = _cookie(headers, "csrftoken")
    if csrf is None:
        raise SystemExit("bench: the login page set no csrftoken cookie")
    form = urllib.parse.urlencode({"login": username, "password": PASSWORD, "_csrf_token": csrf})
    status, headers, body = request(
        base + "/login",
        "POST",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"},
    )
    session = _cookie(headers, "session")
    if status != 303 or session is None:
        raise SystemExit(f"bench: signing in failed ({status}): {body[:300]!r}")
    return f"csrftoken={csrf}; session={session}"


def bearer_token(base: str, username: str) -> str:
    body = json.dumps({"login": username, "password": PASSWORD}).encode()
    status, _, answer = request(
        base + "/api/v1/auth/login", "POST", body, {"Content-Type": "application/json"}
    )
    if status != 200:
        raise SystemExit(f"bench: API sign-in failed ({status}): {answer[:300]!r}")
    return json.loads(answer)["token"]


# --- load ---------------------------------------------------------------------------------


@dataclass
class Target:
    """One URL to load, with the headers a real client sends and the answer it must get."""

    label: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    expect_type: str = ""


@dataclass
class Result:
    label: str
    scale: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    peak_rss_kib: int = 0
    others_cpu: float = 0.0
    server_cpu_s: float = 0.0  # CPU time the server process used during the measurement
    requests: int = 0

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request: hardly moved by other load on the machine, unlike req/s."""
        return self.server_cpu_s * 1000 / self.requests if self.requests else 0.0


class RssSampler:
    """Peak resident memory of a process while a load runs, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _status_kib(self.pid, "VmRSS"))
            self._stop.wait(0.05)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _status_kib(self.pid, "VmRSS"))


TICK = os.sysconf("SC_CLK_TCK")


def _busy_ticks() -> int:
    """CPU time spent by everything on the machine (steal included: it is lost to us too)."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:9]]
    return sum(values) - values[3] - values[4]


def _process_ticks(pid: int) -> int:
    """CPU time of a process and of its live children (nginx's worker)."""
    total = 0
    for each in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{each}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


class CpuWatch:
    """How much of the machine's CPU went to processes other than the server and wrk while
    a load ran: the noise in that number (other jobs, the hypervisor's steal)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.others = 0.0
        self.server = 0.0

    def __enter__(self) -> CpuWatch:
        self._wall = time.monotonic()
        self._busy = _busy_ticks()
        self._server = _process_ticks(self.pid)
        self._wrk = resource.getrusage(resource.RUSAGE_CHILDREN)
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.monotonic() - self._wall
        busy = (_busy_ticks() - self._busy) / TICK
        server = (_process_ticks(self.pid) - self._server) / TICK
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk = (after.ru_utime - self._wrk.ru_utime) + (after.ru_stime - self._wrk.ru_stime)
        self.others = max(0.0, busy - server - wrk) / (wall * (os.cpu_count() or 1))
        self.server = server


class Profiler:
    """py-spy sampling the server while one load runs; prints where its time went."""

    def __init__(self, pid: int, seconds: int, work: Path, label: str, keep_dir: Path) -> None:
        self.pid = pid
        self.keep_dir = keep_dir
        self.seconds = seconds
        self.output = work / f"profile-{re.sub(r'[^a-z0-9]+', '-', label.lower())}.txt"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profiler:
        if self.pid:
            command = [tool("py-spy"), "record", "--pid", str(self.pid), "--rate", "250"]
            command += ["--duration", str(self.seconds), "--format", "raw", "--nonblocking"]
            command += ["--output", str(self.output)]
            self.process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.wait(timeout=self.seconds + 30)
        print(summarise_profile(self.output.read_text()), flush=True)
        kept = self.keep_dir / self.output.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.output, kept)
        print(f"  collapsed stacks in {kept} (speedscope.app or flamegraph.pl read them)")


def summarise_profile(collapsed: str, top: int = 25) -> str:
    """The functions the samples were in (self) and under (total), by share of samples."""
    own: dict[str, int] = {}
    under: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            under[frame] = under.get(frame, 0) + count
    if not total:
        return "  (no samples)"
    lines = [f"  profile: {total} samples; self %, total %, function"]
    for frame, count in sorted(own.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"  {count / total:6.1%} {under[frame] / total:6.1%}  {frame}")
    return "\n".join(lines)


class Load:
    def __init__(self, plan: argparse.Namespace, work: Path) -> None:
        self.plan = plan
        self.work = work
        self.script = work / "report.lua"
        self.script.write_text(WRK_REPORT)

    def check(self, target: Target) -> None:
        """Fail loudly before loading a URL that does not answer what a client expects."""
        status, headers, body = request(target.url, headers=target.headers)
        content_type = (headers.get("content-type") or [""])[0]
        if status != 200 or not content_type.startswith(target.expect_type):
            raise SystemExit(
                f"bench: {target.label} {target.url} answered {status} {content_type}: {body[:300]!r}"
            )

    def run(
        self,
        target: Target,
        scale: str,
        connections: int,
        watch_pid: int,
        duration: int | None = None,
    ) -> Result:
        duration = duration or self.plan.duration
        command = ["taskset", "-c", str(self.plan.load_cpu)] if self.plan.load_cpu >= 0 else []
        command += [
            tool("wrk"),
            "-t1",
            f"-c{connections}",
            "--timeout",
            "10s",
            "-s",
            str(self.script),
        ]
        for name, value in target.headers.items():
            command += ["-H", f"{name}: {value}"]
        if self.plan.warmup > 0:
            subprocess.run(
                [*command, f"-d{self.plan.warmup}s", target.url], capture_output=True, check=True
            )
        profiled = self.plan.profile == target.label and connections == max(self.plan.connections)
        with (
            RssSampler(watch_pid) as sampler,
            CpuWatch(watch_pid) as cpu,
            Profiler(
                watch_pid if profiled else 0,
                duration,
                self.work,
                target.label,
                self.plan.output.parent,
            ),
        ):
            done = subprocess.run(
                [*command, f"-d{duration}s", target.url],
                capture_output=True,
                text=True,
                check=True,
            )
        match = re.search(r"^WRK-JSON (.*)$", done.stdout, re.MULTILINE)
        if match is None:
            raise SystemExit(f"bench: wrk printed no report:\n{done.stdout}\n{done.stderr}")
        data = json.loads(match.group(1))
        errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
        result = Result(
            label=target.label,
            scale=scale,
            connections=connections,
            rps=data["requests"] / (data["duration_us"] / 1e6),
            p50_ms=data["p50_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            errors=errors,
            peak_rss_kib=sampler.peak,
            others_cpu=cpu.others,
            server_cpu_s=cpu.server,
            requests=data["requests"],
        )
        print(
            f"  {scale:>5} {target.label:<22} c={connections:<3} {result.rps:9.0f} req/s"
            f"  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms"
            + f"  (others {cpu.others:.0%} CPU)"
            + (f"  errors {errors}" if errors else ""),
            flush=True,
        )
        return result


# --- the run ------------------------------------------------------------------------------

PAGES = ("feed page", "feed API", "profile page", "photo page")
_FRESH = (
    "feed page",
    "feed page, deep",
    "feed API",
    "feed API, deep",
    "profile page",
    "photo page",
)
UNCACHED = tuple(f"{label}, uncached" for label in _FRESH)
# Both caches off: every card of the page rendered afresh, as on the first visit after a start.
COLD = ("feed page, cold", "feed page, deep, cold")
# What each kind of run turns off.
MODES = {
    "cached": {},
    # There is no page cache any more (every answer is made afresh after the access check), so
    # "uncached" differs from "cached" only in the deep pages it adds.
    "uncached": {},
    "cold": {"PHOTOARCHIVE_CARD_CACHE_MB": "0"},
}
FEEDS = UNCACHED[:4]
# The size comparison: each feed request on both archives, measured in turns, for this long
# each (or --duration, when shorter).
TURN_SECONDS = 3
IN_TURNS = ", in turns"
# ... and one request at a time, the two archives' requests interleaved (--rounds of each).
INTERLEAVED = ", interleaved"
MEDIA = ("thumbnail", "original")
# The app's thumbnail answer, recorded and sent by a bare ASGI app on uvicorn (bench/floor.py).
FLOOR = "uvicorn floor thumbnail"


@dataclass
class Scale:
    label: str
    count: int
    results: dict[tuple[str, int], Result] = field(default_factory=dict)
    rss_idle_kib: int = 0
    rss_peak_kib: int = 0


def scale_label(count: int) -> str:
    return f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else str(count)


def app_targets(
    base: str, cookie: str, token: str, count: int, *, mode: str, media: bool
) -> list[Target]:
    """What a signed-in browser and a script ask for; ids run 1..count, newest first. With the
    page cache on ("cached"), the same URL again and again is answered from it (a reload); with
    it off ("uncached"), every answer is made afresh from the database, its feed cards from the
    card cache (what any visit after a change elsewhere costs); "cold" turns the card cache off
    too (the first visit after a start)."""
    html, api = {"Cookie": cookie}, {"Authorization": f"Bearer {token}"}
    deep = count - int(count * 0.9)  # the cursor 90 % of the way down the feed
    pages = [
        ("feed page", "/", html, "text/html"),
        ("feed page, deep", f"/?cursor={deep}", html, "text/html"),
        ("feed API", "/api/v1/photos", api, "application/json"),
        ("feed API, deep", f"/api/v1/photos?cursor={deep}", api, "application/json"),
        ("profile page", "/u/user02", html, "text/html"),
        ("photo page", f"/photos/{count // 2}", html, "text/html"),
    ]
    if mode == "cached":
        targets = [Target("/healthz", base + "/healthz", {}, "application/json")]
        targets += [
            Target(label, base + path, h, t) for label, path, h, t in pages if label in PAGES
        ]
    else:
        targets = [
            Target(f"{label}, {mode}", base + path, h, t)
            for label, path, h, t in pages
            if f"{label}, {mode}" in UNCACHED + COLD
        ]
    if media:
        thumb_id, original_id = media_photos(count)
        targets += [
            Target("thumbnail", f"{base}/media/{thumb_id}/thumbnail", html, "image/webp"),
            Target("original", f"{base}/media/{original_id}/original", html, ""),
        ]
    return targets


def wanted(plan: argparse.Namespace, label: str) -> bool:
    """Whether `--only` lets this measurement run (/healthz always does: it is the baseline)."""
    return plan.only is None or label == "/healthz" or re.search(plan.only, label) is not None


def media_photos(count: int) -> tuple[int, int]:
    """A photo whose thumbnail is served, and one whose original is the largest source (HEIC)."""
    middle = count // 2
    largest = SOURCES.index("heic/IMG_5195.HEIC")
    return middle, middle - middle % len(SOURCES) + largest


def bench_scale(
    scale: Scale, sources: list[Source], password_hash: str, load: Load, work: Path
) -> None:
    plan = load.plan
    media = plan.media and scale.count == plan.counts[0]
    data_dir = work / f"data-{scale.count}"
    data_dir.mkdir()
    began = time.monotonic()
    seed(data_dir, scale.count, sources, password_hash)
    print(f"seeded {scale.count:,} photos in {time.monotonic() - began:.0f} s", flush=True)
    peaks = []
    for mode, settings in MODES.items():
        cached = mode == "cached"
        with photoarchive_server(data_dir, plan.server_cpu, settings) as server:
            cookie = browser_cookie(server.url, "user01")
            token = bearer_token(server.url, "user01")
            targets = app_targets(
                server.url, cookie, token, scale.count, mode=mode, media=media and cached
            )
            targets = [t for t in targets if wanted(plan, t.label)]
            for target in targets:
                load.check(target)
            if cached:
                time.sleep(1)
                scale.rss_idle_kib = server.rss_kib()
            for target in targets:
                for connections in plan.connections:
                    result = load.run(target, scale.label, connections, server.pid)
                    scale.results[(target.label, connections)] = result
                    peaks.append(result.peak_rss_kib)
                if target.label == "thumbnail":
                    record_answer(target, work / "thumbnail-answer.json")
            peaks.append(server.hwm_kib())
    scale.rss_peak_kib = max(peaks)
    if not media:
        return
    # The same two files, served by nginx from the same disk.
    with sqlite3.connect(data_dir / "photoarchive.sqlite3") as conn:
        digests = [
            conn.execute("SELECT sha256 FROM photos WHERE id = ?", (photo_id,)).fetchone()[0]
            for photo_id in media_photos(scale.count)
        ]
    with nginx_server(data_dir / "blobs", work / "nginx", plan.server_cpu) as (url, pid):
        nginx = [
            Target(
                "nginx thumbnail",
                f"{url}/{rendition_key(digests[0], 'thumbnail')}",
                {},
                "image/webp",
            ),
            Target("nginx original", f"{url}/{original_key(digests[1])}", {}, ""),
        ]
        for target in (t for t in nginx if wanted(plan, t.label)):
            load.check(target)
            for connections in plan.connections:
                scale.results[(target.label, connections)] = load.run(
                    target, scale.label, connections, pid
                )
    answer = work / "thumbnail-answer.json"
    if not answer.exists() or not wanted(plan, FLOOR):
        return
    with floor_server(answer, work, plan.server_cpu) as (url, pid):
        target = Target(FLOOR, f"{url}/media/thumbnail", {}, "image/webp")
        load.check(target)
        for connections in plan.connections:
            scale.results[(FLOOR, connections)] = load.run(target, scale.label, connections, pid)


def record_answer(target: Target, path: Path) -> None:
    """The app's answer to `target`, for bench/floor.py to send (its uvicorn adds the Date)."""
    status, headers, body = request(target.url, headers=target.headers)
    kept = [(name, value) for name, values in headers.items() for value in values]
    kept = [(name, value) for name, value in kept if name != "date"]
    path.write_text(json.dumps({"status": status, "headers": kept, "body": body.hex()}))


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    what: str
    scale: Scale
    label: str
    base_scale: Scale
    base_label: str

    def pair(self, connections: int) -> tuple[Result, Result] | None:
        mine = self.scale.results.get((self.label, connections))
        base = self.base_scale.results.get((self.base_label, connections))
        return None if mine is None or base is None else (mine, base)


def bench_size(small: Scale, large: Scale, load: Load, work: Path) -> None:
    """The feed's first and deep pages at both sizes, with both servers up at once and measured
    in turns (small, large, small, large, ...), and the median of each side kept.

    Measured minutes apart, as the per-size runs are, the two sides see a different machine:
    here /healthz itself has cost up to 1.5x more in one half of a run than in the other. In
    turns, whatever the machine does falls on both sides alike."""
    plan = load.plan
    duration = min(TURN_SECONDS, plan.duration)
    settings = MODES["uncached"]
    with (
        photoarchive_server(work / f"data-{small.count}", plan.server_cpu, settings) as one,
        photoarchive_server(work / f"data-{large.count}", plan.server_cpu, settings) as other,
    ):
        sides = []
        for scale, server in ((small, one), (large, other)):
            cookie = browser_cookie(server.url, "user01")
            token = bearer_token(server.url, "user01")
            targets = app_targets(
                server.url, cookie, token, scale.count, mode="uncached", media=False
            )
            chosen = {t.label: t for t in targets if t.label in FEEDS and wanted(plan, t.label)}
            for target in chosen.values():
                load.check(target)
            sides.append((scale, server, chosen))
        for label in sides[0][2]:
            for connections in plan.connections:
                runs: dict[str, list[Result]] = {small.label: [], large.label: []}
                for turn in range(plan.turns):
                    # small then large, large then small, ...: neither side always goes first
                    for scale, server, chosen in sides if turn % 2 == 0 else sides[::-1]:
                        runs[scale.label].append(
                            load.run(chosen[label], scale.label, connections, server.pid, duration)
                        )
                for scale, _, _ in sides:
                    scale.results[(label + IN_TURNS, connections)] = median(runs[scale.label])
            mixed = interleave(sides, label, plan.rounds)
            for scale, _, _ in sides:
                scale.results[(label + INTERLEAVED, 1)] = mixed[scale.label]


def interleave(
    sides: list[tuple[Scale, Server, dict[str, Target]]], label: str, rounds: int
) -> dict[str, Result]:
    """One keep-alive connection to each server, and `label`'s request sent to one and then
    the other, `rounds` times (the order flips every round), each answer timed on its own;
    the results by scale label.

    The two sides' requests are never more than a few milliseconds apart, so the machine's
    drift, which moves whole 3-s runs by a third here, falls on both alike. One connection
    only: this client is Python, and measures latency, not the most a server can do."""
    warmup = 20  # rounds not counted
    names = [scale.label for scale, _, _ in sides]
    pids = {scale.label: server.pid for scale, server, _ in sides}
    targets = {scale.label: chosen[label] for scale, _, chosen in sides}
    paths, connections = {}, {}
    for name, target in targets.items():
        parts = urllib.parse.urlsplit(target.url)
        paths[name] = parts.path + (f"?{parts.query}" if parts.query else "")
        connections[name] = HTTPConnection(parts.hostname, parts.port, timeout=30)
    times: dict[str, list[float]] = {name: [] for name in names}
    errors = dict.fromkeys(names, 0)
    ticks = dict.fromkeys(names, 0)
    try:
        for turn in range(warmup + rounds):
            if turn == warmup:
                ticks = {name: _process_ticks(pid) for name, pid in pids.items()}
                busy, wall, own = _busy_ticks(), time.monotonic(), time.process_time()
            for name in names if turn % 2 == 0 else names[::-1]:
                began = time.perf_counter()
                connections[name].request("GET", paths[name], headers=targets[name].headers)
                response = connections[name].getresponse()
                response.read()
                elapsed = time.perf_counter() - began
                if turn >= warmup:
                    times[name].append(elapsed)
                    errors[name] += response.status != 200
    finally:
        for conn in connections.values():
            conn.close()
    # The share of the machine that went to anything but the two servers and this client.
    spent = {name: (_process_ticks(pid) - ticks[name]) / TICK for name, pid in pids.items()}
    others = (_busy_ticks() - busy) / TICK - sum(spent.values()) - (time.process_time() - own)
    others = max(0.0, others) / ((time.monotonic() - wall) * (os.cpu_count() or 1))
    found = {}
    for name in names:
        result = Result(
            label=label + INTERLEAVED,
            scale=name,
            connections=1,
            rps=len(times[name]) / sum(times[name]),
            p50_ms=statistics.median(times[name]) * 1000,
            p99_ms=statistics.quantiles(times[name], n=100)[98] * 1000,
            errors=errors[name],
            others_cpu=others,
            server_cpu_s=spent[name],
            requests=len(times[name]),
        )
        print(
            f"  {name:>5} {result.label:<36} p50 {result.p50_ms:6.2f} ms"
            f"  p99 {result.p99_ms:6.2f} ms  CPU {result.cpu_ms:.2f} ms/req",
            flush=True,
        )
        found[name] = result
    return found


def median(runs: list[Result]) -> Result:
    """One result out of several runs of the same measurement: the median of each figure, and
    CPU per request over all of them."""

    def middle(attr: str) -> float:
        return statistics.median(getattr(run, attr) for run in runs)

    first = runs[0]
    return Result(
        label=first.label,
        scale=first.scale,
        connections=first.connections,
        rps=middle("rps"),
        p50_ms=middle("p50_ms"),
        p99_ms=middle("p99_ms"),
        errors=sum(run.errors for run in runs),
        peak_rss_kib=max(run.peak_rss_kib for run in runs),
        others_cpu=middle("others_cpu"),
        server_cpu_s=sum(run.server_cpu_s for run in runs),
        requests=sum(run.requests for run in runs),
    )


def comparisons(scales: list[Scale]) -> list[Comparison]:
    small, large = scales[0], scales[-1]
    found = []
    for scale in scales:
        for label in ("/healthz", *PAGES, *UNCACHED, *COLD):
            found.append(Comparison(label, scale, label, scale, "/healthz"))
    for label in MEDIA:
        found.append(Comparison(label, small, label, small, f"nginx {label}"))
    found.append(Comparison(FLOOR, small, FLOOR, small, "nginx thumbnail"))
    found.append(Comparison("thumbnail (over the floor)", small, "thumbnail", small, FLOOR))
    if large is not small:
        for label in FEEDS:
            paired = label + IN_TURNS
            found.append(Comparison(f"{label} (size)", large, paired, small, paired))
        for label in FEEDS:
            mixed = label + INTERLEAVED
            found.append(Comparison(f"{label} (size, interleaved)", large, mixed, small, mixed))
    return found


def table(plan: argparse.Namespace, scales: list[Scale]) -> str:
    header = ["measured", "photos", "conns", "req/s", "p50 ms", "p99 ms", "baseline"]
    header += ["x req/s", "x p50", "x p99", "CPU ms/req", "x CPU", "errors", "others' CPU"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for comparison in comparisons(scales):
        for c in plan.connections:
            pair = comparison.pair(c)
            if pair is None:
                continue
            mine, base = pair
            row = [
                comparison.what,
                comparison.scale.label,
                str(c),
                f"{mine.rps:,.0f}",
                f"{mine.p50_ms:.2f}",
                f"{mine.p99_ms:.2f}",
                f"{comparison.base_label} @ {comparison.base_scale.label}",
                f"{mine.rps / base.rps:.2f}",
                f"{mine.p50_ms / base.p50_ms:.2f}",
                f"{mine.p99_ms / base.p99_ms:.2f}",
                f"{mine.cpu_ms:.2f}",
                f"{mine.cpu_ms / base.cpu_ms:.2f}" if base.cpu_ms else "-",
                str(mine.errors + base.errors),
                f"{mine.others_cpu:.0%}",
            ]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def verdicts(plan: argparse.Namespace, scales: list[Scale]) -> list[str]:
    small, large = scales[0], scales[-1]
    top = max(plan.connections)
    out = []

    def check(text: str, value: float | None, goal: float, higher: bool) -> None:
        if value is None:
            out.append(f"- not measured: {text}")
            return
        ok = value >= goal if higher else value <= goal
        sign = ">=" if higher else "<="
        out.append(f"- {'met' if ok else 'MISSED'}: {text} = {value:.2f} (target {sign} {goal})")

    def ratio(comparison: Comparison, c: int, attr: str) -> float | None:
        pair = comparison.pair(c)
        return None if pair is None else getattr(pair[0], attr) / getattr(pair[1], attr)

    for scale in scales:
        for label, goal in (("feed page", 0.5), ("feed API", 0.6)):
            variants = (label, f"{label}, uncached", f"{label}, cold")
            for variant in variants if label == "feed page" else variants[:2]:
                check(
                    f"{variant} req/s over /healthz's, {scale.label} photos, {top} connections",
                    ratio(Comparison(variant, scale, variant, scale, "/healthz"), top, "rps"),
                    goal,
                    True,
                )
    check(
        f"thumbnail req/s over nginx's, {top} connections",
        ratio(Comparison("", small, "thumbnail", small, "nginx thumbnail"), top, "rps"),
        0.5,
        True,
    )
    floor = ratio(Comparison("", small, FLOOR, small, "nginx thumbnail"), top, "rps")
    if floor is not None:
        out.append(
            f"- for reference: uvicorn alone sending the same thumbnail answer, req/s over"
            f" nginx's, {top} connections = {floor:.2f} (the most any app on it could reach)"
        )
    if large is not small:
        for label in FEEDS:
            paired = Comparison("", large, label + IN_TURNS, small, label + IN_TURNS)
            for c in plan.connections:
                check(
                    f"{label} p99 at {large.label} over {small.label}, {c} connections",
                    ratio(paired, c, "p99_ms"),
                    1.2,
                    False,
                )
            # The same question asked of server CPU per request, which other load barely moves.
            check(
                f"{label} server CPU per request at {large.label} over {small.label}, {top} conns",
                ratio(paired, top, "cpu_ms"),
                1.2,
                False,
            )
            mixed = Comparison("", large, label + INTERLEAVED, small, label + INTERLEAVED)
            for attr, what in (("p99_ms", "p99"), ("cpu_ms", "server CPU per request")):
                check(
                    f"{label} {what} at {large.label} over {small.label}, one request at a time,"
                    " interleaved",
                    ratio(mixed, 1, attr),
                    1.2,
                    False,
                )
    for scale in scales:
        check(f"server RSS idle, {scale.label} photos, MiB", scale.rss_idle_kib / 1024, 80, False)
        check(f"server RSS peak, {scale.label} photos, MiB", scale.rss_peak_kib / 1024, 200, False)
    return out


def report(
    plan: argparse.Namespace, scales: list[Scale], about: dict[str, str], minutes: float
) -> str:
    small = scales[0]
    described = "\n".join(f"- {key}: {value}" for key, value in about.items())
    memory = "\n".join(
        f"| {s.label} | {s.rss_idle_kib / 1024:.1f} | {s.rss_peak_kib / 1024:.1f} |" for s in scales
    )
    pinning = (
        f"server pinned to CPU {plan.server_cpu}, wrk (one thread) to CPU {plan.load_cpu}"
        if plan.server_cpu is not None
        else "nothing pinned"
    )
    return f"""# Serving benchmark

`make bench-serve` (bench/serve.py), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {minutes:.1f} minutes.

## Machine
{described}
- {pinning}; {plan.duration} s per measurement after {plan.warmup} s of warm-up; keep-alive.

## Results
`x req/s` is throughput over the baseline's (higher is better); `x p50` and `x p99` are latency
over the baseline's (lower is better). Pages and the feed API are compared with the same server's
/healthz, media with nginx serving the same file from disk, rows marked "(size)" with the same
request on the {small.label}-photo archive: both servers up at once, measured in turns,
{plan.turns} times {min(TURN_SECONDS, plan.duration)} s each, medians shown; "(size, interleaved)"
rows: one request at a time from a Python client, alternating between the two servers,
{plan.rounds:,} of each. "CPU ms/req" is the
server process's CPU time per answer, and "x CPU" its ratio to the baseline's (for nginx, master
and worker). "others' CPU" is
the share of the machine's CPU used by anything but the server and wrk during the measurement:
when it is well above 0 %, req/s and latency are noise, and the CPU columns are the ones to trust.

{table(plan, scales)}

Server memory, MiB (VmRSS): idle after start and one request of each kind; peak under load.

| photos | idle | peak |
|---|---|---|
{memory}

## Targets
{chr(10).join(verdicts(plan, scales))}

What the profiles showed and what was changed because of them: bench/README.md, "Findings".
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--scales", default="1000,100000", help="archive sizes, smallest first")
    parser.add_argument("--connections", default="1,16,64", help="wrk connection counts")
    parser.add_argument("--duration", type=int, default=8, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of load before each")
    parser.add_argument("--turns", type=int, default=5, help="size comparison: runs per side")
    parser.add_argument(
        "--rounds", type=int, default=2000, help="size comparison: interleaved requests per side"
    )
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the servers; -1: any")
    parser.add_argument("--load-cpu", type=int, default=1, help="CPU for wrk; -1: any")
    parser.add_argument("--no-media", dest="media", action="store_false", help="skip media")
    parser.add_argument("--only", metavar="REGEX", help="run only the measurements it matches")
    parser.add_argument("--profile", metavar="LABEL", help="py-spy the server during LABEL")
    parser.add_argument("--photos", type=Path, default=PHOTOS, help="the shared test photos")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the table goes")
    parser.add_argument("--keep", action="store_true", help="keep the seeded data dirs")
    plan = parser.parse_args(argv)
    plan.connections = [int(c) for c in plan.connections.split(",")]
    plan.counts = [int(n) for n in plan.scales.split(",")]
    plan.server_cpu = None if plan.server_cpu < 0 else plan.server_cpu
    if plan.turns < 1 or plan.rounds < 100:
        parser.error("--turns must be at least 1, --rounds at least 100")
    about = machine()
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="photoarchive-bench-"))
    try:
        (work / "sources").mkdir()
        sources = make_sources(plan.photos, work / "sources")
        # The server's default argon2 cost, so signing in costs what it costs for real.
        password_hash = asyncio.run(Passwords(19 * 1024, 2).hash(PASSWORD))
        load = Load(plan, work)
        scales = []
        for count in plan.counts:
            scale = Scale(scale_label(count), count)
            bench_scale(scale, sources, password_hash, load, work)
            scales.append(scale)
        if len(scales) > 1:
            print(f"size: {scales[0].label} and {scales[-1].label} in turns", flush=True)
            bench_size(scales[0], scales[-1], load, work)
    finally:
        if plan.keep:
            print(f"bench: data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    text = report(plan, scales, about, (time.monotonic() - began) / 60)
    print(text)
    plan.output.parent.mkdir(parents=True, exist_ok=True)
    plan.output.write_text(text)
    print(f"bench: written to {plan.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
