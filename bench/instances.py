"""Instances benchmark: the family mix on SQLite and on PostgreSQL, and on one or two instances.

Two questions, each on a freshly seeded archive (bench/serve.py's seeding, in SQLite), moved into
a throwaway PostgreSQL cluster the way an operator upgrades: `photoarchive db copy --to URL`,
then `photoarchive serve` with PHOTOARCHIVE_DATABASE_URL naming it. The cluster is the one the
tests start (tests/postgres.py: Debian's binaries, a temporary directory, 127.0.0.1).

1. Engines: what a feed view costs in CPU on PostgreSQL against SQLite, one instance each.
   Both servers run at once, pinned to the same CPU, and the family (bench/family.py's mix and
   browsers) uses one and then the other, turn by turn, so whatever else the machine does falls
   on both alike. The app's CPU comes from /proc as in bench/family.py; PostgreSQL's is every
   process of the cluster (the postmaster, its background workers and the app's backends, the
   ones that ended included). SQLite runs inside the app, so its "app" figure already holds its
   database; PostgreSQL's honest figure is app + PostgreSQL, and the target is judged on that.
2. Instances: feed views a second, the whole mix, with one `photoarchive serve` against two on
   the same PostgreSQL database and the same data dir, each pinned to a core of its own, the
   family's members spread over them. Both instances are up throughout; the arrangements
   alternate turn by turn.

Prints the tables and the targets, and writes them to bench/results/instances.md. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import family  # bench/family.py: the mix, the members and their browsers
import serve  # bench/serve.py: seeding and the server process

from photoarchive.accounts.passwords import Passwords
from tests import postgres  # the throwaway cluster the tests use

RESULTS = serve.REPO / "bench" / "results" / "instances.md"
ENGINES = ("SQLite", "PostgreSQL")
ARRANGEMENTS = ("one instance", "two instances")
ALL_CPUS = set(range(os.cpu_count() or 1))


# --- the cluster ----------------------------------------------------------------------------


@contextmanager
def cluster() -> Iterator[tuple[postgres.PostgresServer, int]]:
    """A throwaway PostgreSQL, and its postmaster's pid (whose children are all its processes)."""
    if postgres._binaries() is None:
        raise SystemExit("bench: PostgreSQL is not installed (bash scripts/ensure-postgres.sh)")
    root = Path(tempfile.mkdtemp(prefix="photoarchive-pg-bench-"))
    try:
        with contextmanager(postgres._start)(root) as server:
            pid = int((root / "cluster" / "postmaster.pid").read_text().split()[0])
            yield server, pid
    finally:
        shutil.rmtree(root, ignore_errors=True)


def pin_cluster(postmaster: int, cpus: set[int]) -> None:
    """The postmaster and its processes on `cpus`; backends forked later inherit it."""
    for pid in [postmaster, *serve._children(postmaster)]:
        with suppress(ProcessLookupError):
            os.sched_setaffinity(pid, cpus)


def cluster_ticks(postmaster: int) -> int:
    """CPU time of the whole cluster: its live processes, and those it has reaped."""
    total = 0
    for pid in [postmaster, *serve._children(postmaster)]:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
        if pid == postmaster:  # cutime, cstime: the backends that have ended
            total += int(fields[13]) + int(fields[14])
    return total


def archive(
    data: Path, plan: argparse.Namespace, sources: list, pg: postgres.PostgresServer | None
) -> dict[str, str]:
    """A seeded data dir; with `pg`, its database copied into a new PostgreSQL database, whose
    settings are returned."""
    data.mkdir()
    serve.seed(data, plan.count, sources, plan.password_hash)
    if pg is None:
        return {}
    url = pg.new_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")}
    command = [str(Path(sys.executable).with_name("photoarchive")), "db", "copy", "--to", url]
    done = subprocess.run(
        command, env={**env, "PHOTOARCHIVE_DATA_DIR": str(data)}, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: db copy failed:\n{done.stdout}{done.stderr}")
    return {"PHOTOARCHIVE_DATABASE_URL": url}


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Sample:
    views: int
    requests: int
    seconds: float
    app_s: float
    db_s: float
    clients_s: float
    busy: float  # share of the whole machine that was busy
    others: float  # share of the machine that went to anything but app, database and clients


def run_mix(
    clients: Sequence[family.Client],
    plan: argparse.Namespace,
    seconds: float,
    seed: int,
    app_pids: Sequence[int],
    postmaster: int | None,
) -> Sample:
    """The mix for `seconds`, one member per client; the CPU of each part meanwhile."""
    mix = family.Mix(plan.open_every, plan.write_every, plan.scroll_every)
    members = [family.Member(c, mix, seed * 100 + i) for i, c in enumerate(clients)]
    before = sum(c.requests for c in clients)
    for member in members:
        member.start()

    def stop() -> None:
        for member in members:
            member.stop.set()

    timer = threading.Timer(seconds, stop)

    def db() -> int:
        return 0 if postmaster is None else cluster_ticks(postmaster)

    wall, busy, own = time.monotonic(), serve._busy_ticks(), family._own_cpu()
    app, base = sum(serve._process_ticks(p) for p in app_pids), db()
    timer.start()
    for member in members:
        member.go.set()
    for member in members:
        member.join()
        if member.error is not None:
            raise SystemExit(f"bench: a family member failed: {member.error}")
    timer.cancel()
    app_s = (sum(serve._process_ticks(p) for p in app_pids) - app) / serve.TICK
    db_s = (db() - base) / serve.TICK
    busy_s = (serve._busy_ticks() - busy) / serve.TICK
    clients_s = family._own_cpu() - own
    elapsed = time.monotonic() - wall
    capacity = elapsed * len(ALL_CPUS)
    return Sample(
        sum(m.views for m in members),
        sum(c.requests for c in clients) - before,
        elapsed,
        app_s,
        db_s,
        clients_s,
        busy_s / capacity,
        max(0.0, busy_s - app_s - db_s - clients_s) / capacity,
    )


@dataclass
class Row:
    label: str
    browser: str
    samples: list[Sample] = field(default_factory=list)

    def median(self, value: str) -> float:
        return statistics.median(getattr(self, value)(s) for s in self.samples)

    @staticmethod
    def app_ms(s: Sample) -> float:
        return s.app_s * 1000 / s.views

    @staticmethod
    def db_ms(s: Sample) -> float:
        return s.db_s * 1000 / s.views

    @staticmethod
    def total_ms(s: Sample) -> float:
        return (s.app_s + s.db_s) * 1000 / s.views

    @staticmethod
    def clients_ms(s: Sample) -> float:
        return s.clients_s * 1000 / s.views

    @staticmethod
    def per_second(s: Sample) -> float:
        return s.views / s.seconds

    @staticmethod
    def per_view(s: Sample) -> float:
        return s.requests / s.views


def signed_in(urls: Sequence[str], members: int) -> list[family.Client]:
    """`members` browsers, member n on urls[n % len(urls)], each signed in as its own user."""
    clients = []
    for n in range(members):
        client = family.Client(urls[n % len(urls)])
        client.sign_in(f"user{n + 1:02d}")
        clients.append(client)
    return clients


def paired(a: Row, b: Row, value: str) -> list[float]:
    """b over a, turn by turn (the two met the same machine in each turn)."""
    f = getattr(Row, value)
    return [f(y) / f(x) for x, y in zip(a.samples, b.samples, strict=True)]


def say(row: Row, turn: int, s: Sample) -> None:
    print(
        f"  {row.label:<14} {row.browser} turn {turn}: {s.views} views in {s.seconds:.1f} s"
        f" ({s.views / s.seconds:.1f}/s); ms a view: app {Row.app_ms(s):.2f},"
        f" PostgreSQL {Row.db_ms(s):.2f}, clients {Row.clients_ms(s):.2f}"
        f"  (machine {s.busy:.0%} busy, others {s.others:.0%})",
        flush=True,
    )


# --- the two questions ------------------------------------------------------------------------


def bench_engines(
    plan: argparse.Namespace,
    pg: postgres.PostgresServer,
    postmaster: int,
    work: Path,
    sources: list,
) -> list[Row]:
    pin_cluster(postmaster, {plan.load_cpu})
    settings = {
        "SQLite": archive(work / "sqlite", plan, sources, None),
        "PostgreSQL": archive(work / "postgresql", plan, sources, pg),
    }
    rows = {(e, b): Row(e, b) for b in plan.browsers for e in ENGINES}
    with ExitStack() as stack:
        servers = {
            engine: stack.enter_context(
                serve.photoarchive_server(work / engine.lower(), plan.server_cpu, settings[engine])
            )
            for engine in ENGINES
        }
        os.sched_setaffinity(0, {plan.load_cpu})
        clients = {e: signed_in([servers[e].url], plan.members) for e in ENGINES}
        for engine in ENGINES:
            for browser in plan.browsers:
                family.set_browsers(clients[engine], browser)
                run_mix(clients[engine], plan, plan.warmup, 0, [servers[engine].pid], None)
        for turn in range(1, plan.turns + 1):
            for browser in plan.browsers:
                order = ENGINES if turn % 2 else ENGINES[::-1]
                for engine in order:
                    family.set_browsers(clients[engine], browser)
                    db = postmaster if engine == "PostgreSQL" else None
                    pid = [servers[engine].pid]
                    sample = run_mix(clients[engine], plan, plan.seconds, turn, pid, db)
                    rows[engine, browser].samples.append(sample)
                    say(rows[engine, browser], turn, sample)
    return list(rows.values())


def bench_instances(
    plan: argparse.Namespace,
    pg: postgres.PostgresServer,
    postmaster: int,
    work: Path,
    sources: list,
) -> list[Row]:
    pin_cluster(postmaster, ALL_CPUS)
    os.sched_setaffinity(0, ALL_CPUS)
    data = work / "instances"
    settings = archive(data, plan, sources, pg)
    rows = {a: Row(a, plan.instances_browser) for a in ARRANGEMENTS}
    with ExitStack() as stack:
        instances = [
            stack.enter_context(serve.photoarchive_server(data, cpu, settings, f"instance-{cpu}"))
            for cpu in sorted(ALL_CPUS)[:2]
        ]
        urls = [i.url for i in instances]
        clients = {
            "one instance": signed_in(urls[:1], plan.instance_members),
            "two instances": signed_in(urls, plan.instance_members),
        }
        pids = {"one instance": [instances[0].pid], "two instances": [i.pid for i in instances]}
        for arrangement in ARRANGEMENTS:
            family.set_browsers(clients[arrangement], plan.instances_browser)
            run_mix(clients[arrangement], plan, plan.warmup, 0, pids[arrangement], postmaster)
        for turn in range(1, plan.turns + 1):
            for arrangement in ARRANGEMENTS if turn % 2 else ARRANGEMENTS[::-1]:
                args = (plan.seconds, turn, pids[arrangement], postmaster)
                sample = run_mix(clients[arrangement], plan, *args)
                rows[arrangement].samples.append(sample)
                say(rows[arrangement], turn, sample)
    return list(rows.values())


# --- the report -------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def engines_section(plan: argparse.Namespace, rows: list[Row]) -> tuple[str, list[str]]:
    lines = [
        "| engine | browser | app ms / view | PostgreSQL ms / view | app + database ms / view"
        " | clients ms / view | requests / view | others' CPU, worst |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        db = "(inside the app)" if row.label == "SQLite" else f"{row.median('db_ms'):.2f}"
        lines.append(
            f"| {row.label} | {row.browser} | {row.median('app_ms'):.2f} | {db}"
            f" | {row.median('total_ms'):.2f} | {row.median('clients_ms'):.2f}"
            f" | {row.median('per_view'):.1f} | {max(s.others for s in row.samples):.0%} |"
        )
    lines += ["", "| browser | PostgreSQL / SQLite, app only | app + database (judged) |"]
    lines.append("|---|---|---|")
    verdicts = []
    for browser in plan.browsers:
        lite, pg = (next(r for r in rows if (r.label, r.browser) == (e, browser)) for e in ENGINES)
        app, total = paired(lite, pg, "app_ms"), paired(lite, pg, "total_ms")
        lines.append(f"| {browser} | {spread(app)} | {spread(total)} |")
        ratio = statistics.median(total)
        verdicts.append(
            f"- {'met' if ratio <= 1.5 else 'MISSED'}: on PostgreSQL a feed view ({browser}"
            f" browser) costs {ratio:.2f}x SQLite's CPU, app + PostgreSQL (target <= 1.5;"
            f" app alone {statistics.median(app):.2f}x)"
        )
    return "\n".join(lines), verdicts


def instances_section(rows: list[Row]) -> tuple[str, list[str]]:
    lines = [
        "| arrangement | feed views / s | app ms / view | PostgreSQL ms / view"
        " | clients ms / view | machine busy | others' CPU, worst |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.label} | {row.median('per_second'):.1f} | {row.median('app_ms'):.2f}"
            f" | {row.median('db_ms'):.2f} | {row.median('clients_ms'):.2f}"
            f" | {statistics.median(s.busy for s in row.samples):.0%}"
            f" | {max(s.others for s in row.samples):.0%} |"
        )
    ratio = paired(rows[0], rows[1], "per_second")
    lines += ["", f"Two instances / one, feed views a second, turn by turn: {spread(ratio)}."]
    median = statistics.median(ratio)
    return "\n".join(lines), [
        f"- {'met' if median >= 1.6 else 'MISSED'}: two instances serve {median:.2f}x one"
        " instance's feed views a second (target >= 1.6)"
    ]


def report(
    plan: argparse.Namespace, engines: list[Row], instances: list[Row], minutes: float
) -> str:
    about = "\n".join(f"- {key}: {value}" for key, value in family.machine().items())
    command = " ".join([".venv/bin/python bench/instances.py", *map(shlex.quote, plan.argv)])
    binaries = postgres._binaries() or Path("/usr/bin")
    version = subprocess.run(
        [str(binaries / "postgres"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    parts, verdicts = [], []
    if engines:
        table, said = engines_section(plan, engines)
        verdicts += said
        parts.append(f"""## SQLite against PostgreSQL, one instance

Both servers pinned to CPU {plan.server_cpu}, used in turns; PostgreSQL's processes and the
{plan.members} members' clients on CPU {plan.load_cpu}. {plan.turns} turns of {plan.seconds} s
per engine and browser ({", ".join(plan.browsers)}); medians, ratios taken within each turn
(median, min-max). SQLite runs inside the app, so its app figure holds its database too.

{table}""")
    if instances:
        table, said = instances_section(instances)
        verdicts += said
        parts.append(f"""## One against two instances, PostgreSQL

One data dir, one database; instance 1 pinned to CPU 0, instance 2 to CPU 1 (both up
throughout). PostgreSQL and the {plan.instance_members} members' clients (one Python process,
threads) are not pinned: they share both cores with the instances. {plan.turns} turns of
{plan.seconds} s per arrangement, {plan.instances_browser} browsers; "one instance" sends every
member to instance 1, "two instances" alternates members between them.

{table}""")
    sections = "\n\n".join(parts)
    return f"""# Instances benchmark

`{command}` (bench/instances.py), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {minutes:.1f} minutes.

## Machine
{about}
- {version}, a throwaway cluster (tests/postgres.py: fsync off), on 127.0.0.1.
- {plan.count} photos (bench/serve.py's seeding), moved with `photoarchive db copy --to URL`;
  bench/family.py's mix (a photo opened once in {plan.open_every} views, a write once in
  {plan.write_every}, a scroll once in {plan.scroll_every}).

{sections}

## Targets
{chr(10).join(verdicts)}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--parts", default="engines,instances", help="engines and/or instances")
    parser.add_argument("--count", type=int, default=300, help="photos in the archive")
    parser.add_argument("--members", type=int, default=4, help="family members (engines)")
    parser.add_argument("--instance-members", type=int, default=8, help="members (instances)")
    parser.add_argument("--seconds", type=float, default=6, help="seconds of each phase")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of mix before measuring")
    parser.add_argument("--turns", type=int, default=4, help="phases per engine or arrangement")
    parser.add_argument("--open-every", type=int, default=3, help="views per photo opened")
    parser.add_argument("--write-every", type=int, default=4, help="views per like or comment")
    parser.add_argument("--scroll-every", type=int, default=4, help="views per scroll further")
    parser.add_argument("--browsers", default="cold,warm", help="browsers for the engines")
    parser.add_argument("--instances-browser", default="cold", choices=family.BROWSERS)
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the engines' servers")
    parser.add_argument("--load-cpu", type=int, default=1, help="CPU for clients and PostgreSQL")
    parser.add_argument("--photos", type=Path, default=serve.PHOTOS, help="the shared photos")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the tables go")
    plan = parser.parse_args(argv)
    plan.argv = list(sys.argv[1:] if argv is None else argv)
    parts = {p.strip() for p in plan.parts.split(",") if p.strip()}
    if not parts or parts - {"engines", "instances"}:
        parser.error("--parts takes engines and/or instances")
    plan.browsers = [b.strip() for b in plan.browsers.split(",") if b.strip()]
    if not plan.browsers or set(plan.browsers) - set(family.BROWSERS):
        parser.error("--browsers takes cold and/or warm")
    if len(ALL_CPUS) < 2:
        parser.error("needs two CPUs")
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="photoarchive-instances-"))
    engines: list[Row] = []
    instances: list[Row] = []
    try:
        (work / "sources").mkdir()
        sources = serve.make_sources(plan.photos, work / "sources")
        plan.password_hash = asyncio.run(Passwords(19 * 1024, 2).hash(serve.PASSWORD))
        with cluster() as (pg, postmaster):
            if "engines" in parts:
                engines = bench_engines(plan, pg, postmaster, work, sources)
            if "instances" in parts:
                instances = bench_instances(plan, pg, postmaster, work, sources)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = report(plan, engines, instances, (time.monotonic() - began) / 60)
    print(text)
    plan.output.parent.mkdir(parents=True, exist_ok=True)
    plan.output.write_text(text)
    print(f"bench: written to {plan.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
