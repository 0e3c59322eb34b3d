"""Test helpers: a real server in a thread, per-user HTTP clients, and leftovers checks."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn

from photoarchive.accounts.mail import Mailer
from photoarchive.accounts.passwords import Passwords
from photoarchive.app import create_app
from photoarchive.db import AppDatabase, build_database
from photoarchive.db.pg_sql import has_rows, pg_rows, rewrite
from photoarchive.services import DecodeSlots, Services
from photoarchive.settings import Settings
from photoarchive.storage import BlobStore
from photoarchive.storage.local import LocalBlobStore
from photoarchive.web.server import server_config

REPO = Path(__file__).resolve().parents[1]
PHOTOS = Path(os.environ.get("TESTDATA_DIR", REPO.parent / "shared" / "testdata")) / "photos"
PASSWORD = "correct horse battery"
# Bounds a hang in starting or stopping a server; never the thing a test measures.
HANG_TIMEOUT = 60.0


def all_test_photos() -> list[Path]:
    return sorted(p for p in PHOTOS.rglob("*") if p.is_file())


# The database of the test that runs now, for tests that run on both engines (the `engine`
# fixture of conftest.py sets it): "" is the SQLite file in the data dir.
_database_url = ""


# A test of what only SQLite has (its file, PRAGMA user_version, its query plans) in a module
# that runs on both engines: the `engine` fixture's SQLite run alone, rather than a skip.
sqlite_only = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@contextmanager
def database_url(url: str) -> Iterator[None]:
    """Settings made inside name the database at `url`."""
    global _database_url
    _database_url, before = url, _database_url
    try:
        yield
    finally:
        _database_url = before


def current_database_url() -> str:
    """The database of the test that runs now: "" for the data dir's SQLite file."""
    return _database_url


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": _database_url,
        "argon2_memory_kib": 1024,
        "argon2_time_cost": 1,
        "registration": "open",
        # Tests sign many people up from 127.0.0.1; the sign-up throttle has tests of its own.
        "signup_max_per_hour": 100_000,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def services(
    settings: Settings,
    *,
    db: AppDatabase | None = None,
    store: BlobStore | None = None,
    image_slots: int = 1,
    mail: Mailer | None = None,
) -> AsyncIterator[Services]:
    """What one process of the app has, for tests of the domain below the web: the database
    the settings name (or `db`), opened here and closed after; the data dir's store (or
    `store`); quick password hashing; `image_slots` decodes at once; no mail (or `mail`)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = build_database(settings, readers=1) if db is None else db
    await db.open()
    try:
        yield Services(
            settings=settings,
            db=db,
            store=LocalBlobStore(settings.blob_dir, settings.tmp_dir) if store is None else store,
            passwords=Passwords(memory_kib=1024, time_cost=1),
            image_slots=DecodeSlots(image_slots),
            mail=Mailer() if mail is None else mail,
        )
    finally:
        await db.close()


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class LiveServer:
    settings: Settings
    url: str
    app: Any = None
    clients: list[httpx.Client] = field(default_factory=list)

    def queries(self) -> int:
        """How many SQL statements the app has run so far (to check pages cost a fixed number)."""
        return self.app.state.services.db.query_count

    def client(self, **kwargs: Any) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=60, follow_redirects=False, **kwargs)
        self.clients.append(client)
        return client

    def db(self) -> Any:
        """The archive's database, whichever engine: `execute` with ? parameters, rows by
        position and by name, committed at the end of a `with` block."""
        if self.settings.database_url.startswith("postgresql:"):
            return PgConnection(self.settings.database_url)
        conn = sqlite3.connect(self.settings.database_path)
        conn.row_factory = sqlite3.Row
        return conn

    def count(self, table: str) -> int:
        with self.db() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def blobs(self) -> list[Path]:
        root = self.settings.blob_dir
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    def temp_files(self) -> list[Path]:
        root = self.settings.tmp_dir
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


class PgConnection:
    """A PostgreSQL connection that speaks like sqlite3's to the tests (? parameters)."""

    def __init__(self, url: str, autocommit: bool = False) -> None:
        self._conn = psycopg.connect(url, autocommit=autocommit)

    @property
    def closed(self) -> bool:
        return bool(self._conn.closed)

    def execute(self, statement: str, params: Any = ()) -> Any:
        return self._conn.cursor(row_factory=pg_rows).execute(rewrite(statement), params)

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self._conn.commit()
        self._conn.close()


def run_sql(settings: Settings, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """One statement (with ? parameters) on the archive's database, whichever engine keeps it,
    committed; its rows, if any. For a test that sets up what no request can (an old date)."""
    if settings.database_url.startswith("postgresql:"):
        with psycopg.connect(settings.database_url) as pg:
            cursor = pg.execute(rewrite(statement), params)
            return cursor.fetchall() if has_rows(cursor) else []
    with sqlite3.connect(settings.database_path) as conn:
        return conn.execute(statement, params).fetchall()


@dataclass
class FrozenClock:
    """The app's clock (`photoarchive.clock.now`) held still: time passes only when the test
    says so, however long the machine takes to answer in between."""

    moment: float

    def now(self) -> float:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += seconds


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The app served by uvicorn on a free 127.0.0.1 port, in a background thread."""
    app = create_app(settings)
    sock = free_socket()
    port = sock.getsockname()[1]
    # The protocol and bounds of `photoarchive serve`, so these tests meet what production does.
    config = server_config(app, settings, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + HANG_TIMEOUT
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    live = LiveServer(settings, f"http://127.0.0.1:{port}", app)
    try:
        yield live
    finally:
        for client in live.clients:
            client.close()
        server.should_exit = True
        thread.join(timeout=HANG_TIMEOUT)
        sock.close()


# --- acting as a person -------------------------------------------------------------------


def csrf(client: httpx.Client) -> str:
    """The CSRF token a browser would have: fetched from a page if not yet set."""
    token = client.cookies.get("csrftoken")
    if not token:
        client.get("/login")
        token = client.cookies.get("csrftoken")
    assert token, "the server did not set a csrftoken cookie"
    return token


def form_post(
    client: httpx.Client, url: str, data: dict[str, Any] | None = None, **kw: Any
) -> httpx.Response:
    payload = {"_csrf_token": csrf(client), **(data or {})}
    return client.post(url, data=payload, **kw)


def sign_up(
    server: LiveServer, username: str, *, password: str = PASSWORD, invite: str | None = None
) -> httpx.Client:
    """A browser-like client signed up (and so signed in) as `username`."""
    client = server.client()
    data = {"username": username, "email": f"{username}@example.org", "password": password}
    if invite:
        data["invite"] = invite
    response = form_post(client, "/signup", data)
    assert response.status_code == 303, response.text
    assert client.cookies.get("session")
    return client


def api_login(server: LiveServer, login: str, password: str = PASSWORD) -> httpx.Client:
    """A script-like client with a Bearer token and no cookies."""
    client = server.client()
    response = client.post("/api/v1/auth/login", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


def upload(
    client: httpx.Client, *paths: Path, caption: str = "", api: bool = True
) -> httpx.Response:
    files = [("file", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    headers = {}
    if "Authorization" not in client.headers:
        headers["x-csrftoken"] = csrf(client)
    return client.post(
        "/api/v1/photos" if api else "/upload",
        files=files,
        data={"caption": caption},
        headers=headers,
    )


def upload_bytes(client: httpx.Client, name: str, data: bytes, caption: str = "") -> httpx.Response:
    headers = {} if "Authorization" in client.headers else {"x-csrftoken": csrf(client)}
    return client.post(
        "/api/v1/photos",
        files=[("file", (name, data, "image/jpeg"))],
        data={"caption": caption},
        headers=headers,
    )


def uploaded(client: httpx.Client, path: Path, *, caption: str = "") -> int:
    """The id of the photo `client` uploads from `path`: a new one, or the one of the same
    bytes that the person has already."""
    made = upload(client, path, caption=caption)
    assert made.is_success, made.text
    return int(made.json()["items"][0]["id"])


@contextmanager
def archive_of(data_dir: Path, names: Iterable[str], **overrides: Any) -> Iterator[LiveServer]:
    """A live server (settings as `make_settings` makes them) on which `names` have signed up
    in that order: the first is the administrator."""
    with live_server(make_settings(data_dir, **overrides)) as server:
        for name in names:
            sign_up(server, name)
        yield server


def browser(server: LiveServer, name: str | None = None) -> httpx.Client:
    """A browser-like client, signed in with the form as `name` (a session cookie, which the
    pages and the media door read), or a guest's for None."""
    client = server.client()
    if name is not None:
        signed_in = form_post(client, "/login", {"login": name, "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
    return client


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@dataclass
class Page:
    elements: list[tuple[str, dict[str, str | None]]]
    text: str

    def find_all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        found = []
        for name, element_attrs in self.elements:
            if name != tag:
                continue
            if all(
                (element_attrs.get(key.rstrip("_")) or "").split().__contains__(value)
                if key == "class_"
                else element_attrs.get(key) == value
                for key, value in attrs.items()
            ):
                found.append(element_attrs)
        return found


def parse(html: str) -> Page:
    collector = _Collector()
    collector.feed(html)
    return Page(collector.elements, " ".join(" ".join(collector.text).split()))


# --- a disk that really fills up ----------------------------------------------------------


@contextmanager
def small_filesystem(mount_point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` at `mount_point`: a disk that really fills up (mounting needs root)."""
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a small tmpfs here (root is needed): {mounted.stderr.strip()}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason, pytrace=False)  # CI runs as root: this must not go untested
        pytest.skip(reason)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Write a ballast file that leaves about `leave` bytes free on `disk`."""
    ballast = disk / "ballast"
    ballast.unlink(missing_ok=True)
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    assert free > leave, "the small disk is too small for this test"
    ballast.write_bytes(b"\0" * (free - leave))
    return ballast
