"""Family benchmark: several people using the archive at once, and what a feed view costs.

A handful of family members, each signed in through the login form with their own cookies and
CSRF token, use the real `photoarchive serve` on a seeded archive: each loads the feed page and
every thumbnail on it, now and then scrolls further down or opens a photo (its page and its
preview), and every few views likes, unlikes or comments, so the data changes as it does in a
family. The server's CPU time (/proc/<pid>/stat, all its threads) over each such phase is
divided by the feed views it served.

The floor is the same server answering as many `/healthz` requests as the phase sent in all
(pages, thumbnails, writes), from the same clients on the same connections, measured right
after it: phases alternate, so whatever else the machine does falls on both alike. The ratio of
the two is the figure to read (target: at most 1.5). Run once per cache setting, each on a
freshly seeded archive: every cache on, then the media and card caches off in turn.

Each turn is measured twice, with each member's browser cold and warm. A cold browser (as if
its cache had just been emptied) fetches every thumbnail of every view. A warm one keeps what
it was given as a browser does: an answer with `max-age` is used without asking until it is that
old (for good when `immutable`, as renditions are: their URLs name their bytes), a stale one
with an ETag is asked for again with If-None-Match, and `no-store` (every page) is never kept.
That is a family member returning to the feed: the page, and only the thumbnails not seen yet.

Prints one table and writes it to bench/results/family.md. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import shlex
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection, RemoteDisconnected
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import serve  # bench/serve.py: seeding and the server process

from photoarchive.accounts.passwords import Passwords
from photoarchive.library.comments import PACE

RESULTS = serve.REPO / "bench" / "results" / "family.md"
# The archive's comment paces (so many a window), each kept with a margin: the server's
# clock, not ours, counts.
PACES = [(count - 5, seconds + 5) for count, seconds, _ in PACE]
# The settings each run is made with (knobs the current app does not read are ignored).
CONFIGS = {
    "all caches on": {},
    "media cache off": {"PHOTOARCHIVE_MEDIA_CACHE_MB": "0"},
    "card cache off": {"PHOTOARCHIVE_CARD_CACHE_MB": "0"},
}
THUMB_RE = re.compile(r'<img src="(/media/\d+/thumbnail\?v=[0-9a-f]+)"')
PREVIEW_RE = re.compile(r"(/media/\d+/preview\?v=[0-9a-f]+)")
CURSOR_RE = re.compile(r'hx-get="/\?cursor=(\d+)"')
CARD_RE = re.compile(r'<article class="card" id="photo-(\d+)"')
# Each card's like form, and what pressing its button would send (1: like, 0: unlike).
LIKE_RE = re.compile(r'action="/photos/(\d+)/like".*?name="liked" value="(\d)"', re.DOTALL)
MAX_AGE_RE = re.compile(r"max-age=(\d+)")
BROWSERS = ("cold", "warm")


@dataclass
class Kept:
    """One answer in a browser's HTTP cache."""

    body: str
    etag: str | None
    fresh_until: float  # time.monotonic(); infinity for an immutable answer


class BrowserCache:
    """A browser's HTTP cache, as far as this site's answers need it (RFC 9111, private)."""

    def __init__(self) -> None:
        self.kept: dict[str, Kept] = {}
        self.hits = 0  # answered without asking the server
        self.revalidated = 0  # asked with If-None-Match, answered 304

    def lookup(self, path: str) -> tuple[Kept | None, bool]:
        """The entry for `path`, and whether it may be used without asking."""
        entry = self.kept.get(path)
        return entry, entry is not None and time.monotonic() < entry.fresh_until

    def store(self, path: str, status: int, headers: dict[str, str], body: str) -> None:
        control = headers.get("cache-control", "").lower()
        if status != 200 or "no-store" in control:
            return
        age = MAX_AGE_RE.search(control)
        etag = headers.get("etag")
        if "no-cache" in control or age is None:
            if etag is None:  # nothing to reuse it by: heuristic freshness is not modelled
                return
            fresh_until = 0.0
        elif "immutable" in control:
            fresh_until = float("inf")
        else:
            fresh_until = time.monotonic() + int(age.group(1))
        self.kept[path] = Kept(body, etag, fresh_until)

    def refreshed(self, path: str, headers: dict[str, str]) -> Kept:
        """The kept entry after a 304: fresh again for the new answer's max-age."""
        entry = self.kept[path]
        self.revalidated += 1
        control = headers.get("cache-control", "").lower()
        age = MAX_AGE_RE.search(control)
        if "immutable" in control:
            entry.fresh_until = float("inf")
        elif age is not None and "no-cache" not in control:
            entry.fresh_until = time.monotonic() + int(age.group(1))
        return entry


class Client:
    """One browser: a keep-alive connection, its cookies, and the form token of its session."""

    def __init__(self, base: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn = HTTPConnection(self.host, self.port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.requests = 0
        self.cache = BrowserCache()  # kept across turns: the member's browser
        self.warm = False  # whether GETs go through `cache` (a warm browser) or not (cold)
        # When this member's comments were sent, across turns: the archive answers 429 past
        # 60 a minute or 600 an hour (library/comments.PACE), paces no family keeps but a
        # fast mix reaches.
        self.commented: deque[float] = deque()

    def send(
        self, method: str, path: str, form: dict[str, str] | None = None, htmx: bool = False
    ) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(
                {**form, "_csrf_token": self.cookies.get("csrftoken", "")}
            ).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if htmx:
            headers["HX-Request"] = "true"
        # HTMX asks without the browser's cache only if told; none of our pages is kept anyway.
        cached = self.warm and method == "GET"
        if cached:
            kept, fresh = self.cache.lookup(path)
            if kept is not None and fresh:
                self.cache.hits += 1
                return 200, kept.body
            if kept is not None and kept.etag is not None:
                headers["If-None-Match"] = kept.etag
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (ConnectionError, RemoteDisconnected):  # the server closed an idle keep-alive
            self.conn.close()
            self.conn = HTTPConnection(self.host, self.port, timeout=30)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        self.requests += 1
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        if response.status >= 400:
            raise RuntimeError(f"{method} {path} answered {response.status}: {data[:300]!r}")
        text = data.decode("utf-8", "replace")
        if cached:
            answer = {name.lower(): value for name, value in response.getheaders()}
            if response.status == 304:
                return 200, self.cache.refreshed(path, answer).body
            self.cache.store(path, response.status, answer, text)
        return response.status, text

    def sign_in(self, username: str) -> None:
        self.send("GET", "/login")
        status, _ = self.send("POST", "/login", {"login": username, "password": serve.PASSWORD})
        if status != 303 or "session" not in self.cookies:
            raise SystemExit(f"bench: {username} could not sign in ({status})")


@dataclass
class Mix:
    open_every: int  # a photo opened about once every this many feed views
    write_every: int  # a like, unlike or comment about once every this many feed views
    scroll_every: int  # the next page of the feed (HTMX) about once every this many views


class Member(threading.Thread):
    """One family member doing the mix until `stop` is set, counting feed views."""

    def __init__(self, client: Client, mix: Mix, seed: int) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.mix = mix
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.go = threading.Event()
        self.views = 0
        self.error: BaseException | None = None
        self.healthz = 0  # when set, send this many /healthz requests instead of the mix

    def run(self) -> None:
        try:
            self.go.wait()
            if self.healthz:
                for _ in range(self.healthz):
                    self.client.send("GET", "/healthz")
                return
            cursor: str | None = None
            while not self.stop.is_set():
                cursor = self.view(cursor)
        except BaseException as exc:  # reported by the phase, which then stops
            self.error = exc

    def view(self, cursor: str | None) -> str | None:
        rng, mix, client = self.rng, self.mix, self.client
        if cursor and rng.randrange(mix.scroll_every) == 0:
            _, html = client.send("GET", f"/?cursor={cursor}", htmx=True)
        else:
            _, html = client.send("GET", "/")
        for thumb in THUMB_RE.findall(html):
            client.send("GET", thumb)
        self.views += 1
        found = CURSOR_RE.search(html)
        cards = CARD_RE.findall(html)
        if cards and rng.randrange(mix.open_every) == 0:
            _, page = client.send("GET", f"/photos/{rng.choice(cards)}")
            preview = PREVIEW_RE.search(page)
            if preview:
                client.send("GET", preview.group(1))
        if cards and rng.randrange(mix.write_every) == 0:
            photo = rng.choice(cards)
            if rng.random() < 0.6 or not self.may_comment():
                liked = dict(LIKE_RE.findall(html)).get(photo, "1")
                client.send("POST", f"/photos/{photo}/like", {"liked": liked}, htmx=True)
            else:
                text = " ".join(rng.choices(serve.WORDS, k=rng.randint(2, 9))).capitalize()
                client.send(
                    "POST", f"/photos/{photo}/comments", {"text": text, "view": "card"}, htmx=True
                )
                client.commented.append(time.monotonic())
        return found.group(1) if found else None

    def may_comment(self) -> bool:
        """Whether one more comment keeps this member under the archive's pace (a like
        takes its place otherwise)."""
        sent, now = self.client.commented, time.monotonic()
        while sent and sent[0] < now - max(seconds for _, seconds in PACES):
            sent.popleft()
        return all(sum(1 for at in sent if at > now - s) < count for count, s in PACES)


@dataclass
class Phase:
    server_s: float
    requests: int
    views: int
    others: float  # share of the machine's CPU that went to anything but server and clients


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(pid: int, members: Sequence[Member]) -> Phase:
    """Runs the members until they are done; the server's CPU time meanwhile."""
    for member in members:
        member.start()
    wall, busy = time.monotonic(), serve._busy_ticks()
    server, own = serve._process_ticks(pid), _own_cpu()
    for member in members:
        member.go.set()
    for member in members:
        member.join()
        if member.error is not None:
            raise SystemExit(f"bench: a family member failed: {member.error}")
    server_s = (serve._process_ticks(pid) - server) / serve.TICK
    busy_s = (serve._busy_ticks() - busy) / serve.TICK
    seconds = time.monotonic() - wall
    others = max(0.0, busy_s - server_s - (_own_cpu() - own)) / (seconds * (os.cpu_count() or 1))
    return Phase(
        server_s,
        sum(m.client.requests for m in members),
        sum(m.views for m in members),
        others,
    )


def run_mix(pid: int, clients: Sequence[Client], mix: Mix, seconds: float, seed: int) -> Phase:
    members = [Member(c, mix, seed * 100 + i) for i, c in enumerate(clients)]
    before = [c.requests for c in clients]
    timer = threading.Timer(seconds, lambda: [m.stop.set() for m in members])
    timer.start()
    phase = measure(pid, members)
    timer.cancel()
    phase.requests = sum(c.requests for c in clients) - sum(before)
    return phase


def run_healthz(pid: int, clients: Sequence[Client], total: int) -> Phase:
    members = [Member(c, Mix(1, 1, 1), 0) for c in clients]
    for i, member in enumerate(members):
        member.healthz = total // len(members) + (i < total % len(members))
    before = [c.requests for c in clients]
    phase = measure(pid, members)
    phase.requests = sum(c.requests for c in clients) - sum(before)
    return phase


@dataclass
class Row:
    config: str
    browser: str
    view_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    per_view: list[float] = field(default_factory=list)  # requests the server got per view
    kept_per_view: list[float] = field(default_factory=list)  # answered by the browser's cache
    others: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [v / f for v, f in zip(self.view_ms, self.floor_ms, strict=True)]


def set_browsers(clients: Sequence[Client], browser: str) -> None:
    for client in clients:
        client.warm = browser == "warm"


def bench_config(
    name: str, settings: dict[str, str], plan: argparse.Namespace, work: Path, sources: list
) -> list[Row]:
    data = work / re.sub(r"[^a-z]+", "-", name)
    data.mkdir()
    serve.seed(data, plan.count, sources, plan.password_hash)
    mix = Mix(plan.open_every, plan.write_every, plan.scroll_every)
    rows = {browser: Row(name, browser) for browser in plan.browsers}
    with serve.photoarchive_server(data, plan.server_cpu, settings) as server:
        if plan.load_cpu >= 0:
            os.sched_setaffinity(0, {plan.load_cpu})
        clients = []
        for n in range(plan.members):
            client = Client(server.url)
            client.sign_in(f"user{n + 1:02d}")
            clients.append(client)
        for browser in plan.browsers:  # warm: imports, caches, and each warm browser's cache
            set_browsers(clients, browser)
            run_mix(server.pid, clients, mix, plan.warmup, seed=0)
        for turn in range(1, plan.turns + 1):
            for browser, row in rows.items():  # alternating, so both meet the same machine
                set_browsers(clients, browser)
                hits = sum(c.cache.hits + c.cache.revalidated for c in clients)
                busy = run_mix(server.pid, clients, mix, plan.seconds, seed=turn)
                hits = sum(c.cache.hits + c.cache.revalidated for c in clients) - hits
                set_browsers(clients, "cold")
                floor = run_healthz(server.pid, clients, busy.requests)
                row.view_ms.append(busy.server_s * 1000 / busy.views)
                row.floor_ms.append(
                    floor.server_s * 1000 * busy.requests / floor.requests / busy.views
                )
                row.per_view.append(busy.requests / busy.views)
                row.kept_per_view.append(hits / busy.views)
                row.others.append(max(busy.others, floor.others))
                print(
                    f"  {name:<16} {browser} turn {turn}: {busy.views} views,"
                    f" {busy.requests} requests; {row.view_ms[-1]:.2f} ms a view,"
                    f" floor {row.floor_ms[-1]:.2f} ms = {row.ratios[-1]:.2f}x"
                    f"  (others {row.others[-1]:.0%} CPU)",
                    flush=True,
                )
    return list(rows.values())


def machine() -> dict[str, str]:
    with open("/proc/cpuinfo") as handle:
        cpu = next((line.split(":", 1)[1].strip() for line in handle if "model name" in line), "")
    return {"CPU": cpu or "unknown", "cores": str(os.cpu_count()), "Python": sys.version.split()[0]}


def report(plan: argparse.Namespace, rows: list[Row], minutes: float) -> str:
    about = "\n".join(f"- {key}: {value}" for key, value in machine().items())
    command = " ".join([".venv/bin/python bench/family.py", *map(shlex.quote, plan.argv)])
    lines = [
        "| setting | browser | server CPU ms / feed view | floor ms (as many /healthz) |"
        " x floor, median | min-max | requests / view | kept by the browser / view |"
        " others' CPU, worst |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.config} | {row.browser} | {statistics.median(row.view_ms):.2f}"
            f" | {statistics.median(row.floor_ms):.2f} | {statistics.median(row.ratios):.2f}"
            f" | {min(row.ratios):.2f}-{max(row.ratios):.2f}"
            f" | {statistics.mean(row.per_view):.1f} | {statistics.mean(row.kept_per_view):.1f}"
            f" | {max(row.others):.0%} |"
        )
    verdicts = []
    for row in rows:
        if row.config != rows[0].config:
            continue
        ratio = statistics.median(row.ratios)
        per_cold = ""
        if row.browser == "warm":
            cold = [r for r in rows if r.config == row.config and r.browser == "cold"]
            if cold:
                share = statistics.median(row.view_ms) / statistics.median(cold[0].view_ms)
                per_cold = f"; {share:.0%} of a cold view's CPU"
        verdicts.append(
            f"- {'met' if ratio <= 1.5 else 'MISSED'}: a feed view ({row.config}, {row.browser}"
            f" browser) costs {ratio:.2f}x the floor (target <= 1.5){per_cold}"
        )
    return f"""# Family benchmark

`{command}` (bench/family.py), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,
{minutes:.1f} minutes.

## Machine
{about}
- server pinned to CPU {plan.server_cpu}, the family's clients to CPU {plan.load_cpu}.

## The mix
{plan.members} people signed in through the login form, {plan.count} photos (bench/serve.py's
seeding); each loads the feed page and all its thumbnails, scrolls one page further about once
in {plan.scroll_every} views, opens a photo (its page and preview) about once in
{plan.open_every}, and likes, unlikes or comments about once in {plan.write_every}. {plan.turns}
turns of {plan.seconds} s of the mix per browser ({", ".join(plan.browsers)}, in turn), each
followed by as many /healthz requests as the server got, from the same clients (the floor);
medians over the turns. A cold browser fetches every thumbnail; a warm one keeps what the
answers' Cache-Control allows and revalidates with If-None-Match (see bench/family.py).

## Results
{chr(10).join(lines)}

## Target
{chr(10).join(verdicts)}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="photos in the archive")
    parser.add_argument("--members", type=int, default=4, help="family members at once")
    parser.add_argument("--seconds", type=float, default=8, help="seconds of each mix phase")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of mix before measuring")
    parser.add_argument("--turns", type=int, default=5, help="mix and floor phases per setting")
    parser.add_argument("--open-every", type=int, default=3, help="views per photo opened")
    parser.add_argument("--write-every", type=int, default=4, help="views per like or comment")
    parser.add_argument("--scroll-every", type=int, default=4, help="views per scroll further")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="settings to run, in order")
    parser.add_argument(
        "--browsers", default=",".join(BROWSERS), help="cold, warm or both: the browsers' caches"
    )
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the server; -1: any")
    parser.add_argument("--load-cpu", type=int, default=1, help="CPU for the clients; -1: any")
    parser.add_argument("--photos", type=Path, default=serve.PHOTOS, help="the shared photos")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the table goes")
    plan = parser.parse_args(argv)
    plan.argv = list(sys.argv[1:] if argv is None else argv)
    plan.server_cpu = None if plan.server_cpu < 0 else plan.server_cpu
    names = [name.strip() for name in plan.configs.split(",") if name.strip()]
    unknown = [name for name in names if name not in CONFIGS]
    if unknown:
        parser.error(f"unknown setting {unknown}; known: {', '.join(CONFIGS)}")
    plan.browsers = [name.strip() for name in plan.browsers.split(",") if name.strip()]
    if not plan.browsers or set(plan.browsers) - set(BROWSERS):
        parser.error(f"--browsers takes {' and/or '.join(BROWSERS)}")
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="photoarchive-family-"))
    try:
        (work / "sources").mkdir()
        sources = serve.make_sources(plan.photos, work / "sources")
        plan.password_hash = asyncio.run(Passwords(19 * 1024, 2).hash(serve.PASSWORD))
        rows = []
        for name in names:
            rows += bench_config(name, CONFIGS[name], plan, work, sources)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = report(plan, rows, (time.monotonic() - began) / 60)
    print(text)
    plan.output.parent.mkdir(parents=True, exist_ok=True)
    plan.output.write_text(text)
    print(f"bench: written to {plan.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
