"""Browser tests: Playwright drives Debian's Chromium against the real `photoarchive serve`.

Set-up lives in scripts/ensure-browser.sh (run by `make test`). Without a browser these tests
skip and say how to enable them, except under CI=true, where a missing browser is a failure.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import PHOTOS, current_database_url, free_socket, make_settings, run_sql

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
HOW_TO = (
    "run `bash scripts/ensure-browser.sh` (installs Debian's chromium with apt-get and axe-core "
    "with npm), or `make test`, which does it"
)
PASSWORD = "correct horse battery"
# How long a page may take to show what a test waits for. Bounds a hang only: a browser and
# the server on a busy two-core machine can take many times what they take on a quiet one.
WAIT_SECONDS = 60.0
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


def unavailable(reason: str) -> None:
    """Skip with instructions; under CI the browser tests must run, so fail instead."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests cannot run: {reason}; {HOW_TO}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}; to enable them {HOW_TO}")


# Package scope: Playwright's sync API keeps an event loop running while it is started, which
# would break later tests that call asyncio.run(); it is stopped when the browser tests end.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason:
        unavailable(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        unavailable(f"axe-core is missing from {AXE.parent.parent}")
    return AXE.read_text()


# --- the real server --------------------------------------------------------------------


@dataclass
class Server:
    url: str
    port: int
    data_dir: Path
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        try:
            self.try_start()
        except RuntimeError as exc:
            pytest.fail(str(exc))

    def try_start(self) -> None:
        """RuntimeError, with the log, when it does not start."""
        # Ready means: this process says it listens, and /healthz answers. The log line
        # matters as much: on a busy machine another server may hold the port.
        ready_line = f"Uvicorn running on http://127.0.0.1:{self.port}"
        seen = self.log().count(ready_line) if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "photoarchive", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                if (
                    self.log().count(ready_line) > seen
                    and httpx.get(f"{self.url}/healthz", timeout=10).status_code == 200
                ):
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                self.process = None
                raise RuntimeError(f"the server did not start:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def crash(self) -> None:
        """SIGKILL, as a power cut or the OOM killer would: nothing is closed politely."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """One statement (? parameters) on this server's database, whichever engine keeps it:
        for what no request can set up (an old date)."""
        url = self.env.get("PHOTOARCHIVE_DATABASE_URL", "")
        return run_sql(make_settings(self.data_dir, database_url=url), statement, params)

    def api(self, username: str) -> httpx.Client:
        """A script-like client signed in as `username` (signed up first if needed)."""
        client = httpx.Client(base_url=self.url, timeout=60)
        client.post(
            "/api/v1/auth/signup",
            json={"username": username, "email": f"{username}@example.org", "password": PASSWORD},
        )
        token = client.post("/api/v1/auth/login", json={"login": username, "password": PASSWORD})
        assert token.status_code == 200, token.text
        client.headers["Authorization"] = f"Bearer {token.json()['token']}"
        return client


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`photoarchive serve` as a child process on a free port, with its own data dir."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for attempt in range(3):
        # A port free a moment ago may be taken by another worker's server before this one
        # binds it: then another port (as tests/processes.py's server_process does).
        sock = free_socket()
        port = sock.getsockname()[1]
        sock.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")}
        env.update(
            PHOTOARCHIVE_DATA_DIR=str(data_dir),
            PHOTOARCHIVE_REGISTRATION="open",
            PHOTOARCHIVE_PUBLIC_URL=f"http://127.0.0.1:{port}",
            PYTHONUNBUFFERED="1",
        )
        if current_database_url():  # a module that runs on both engines (the `engine` fixture)
            env["PHOTOARCHIVE_DATABASE_URL"] = current_database_url()
        live = Server(f"http://127.0.0.1:{port}", port, data_dir, env, tmp_path / "server.log")
        try:
            live.try_start()
            break
        except RuntimeError as exc:
            if "address already in use" not in live.log() or attempt == 2:
                pytest.fail(str(exc))
    try:
        yield live
    finally:
        live.stop()


# --- pages --------------------------------------------------------------------------------


@dataclass
class Watch:
    """Console errors and uncaught exceptions of every page in a context (CSP violations
    included: the app's policy forbids inline scripts and styles)."""

    problems: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

        def console(message: Any) -> None:
            text = message.text
            # A failed request is reported by its own test (a 404 page, a refused login).
            if (
                message.type == "error"
                and "Failed to load resource" not in text
                and not any(part in text for part in self.expected)
            ):
                self.problems.append(f"console: {text}")

        page.on("console", console)


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """Make browser contexts (one per person); every page is watched for script errors."""
    contexts: list[Any] = []
    watch = Watch()

    def make(viewport: dict[str, int] = DESKTOP, **options: Any) -> Any:
        context = browser.new_context(viewport=viewport, **options)
        context.set_default_timeout(WAIT_SECONDS * 1000)
        context.on("page", watch.attach)
        contexts.append(context)
        return context

    make.watch = watch  # type: ignore[attr-defined]
    yield make
    for context in contexts:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


def wait_until(page: Any, expression: str, timeout: float = WAIT_SECONDS, arg: Any = None) -> Any:
    """Poll a JavaScript expression until it is truthy. (page.evaluate is exempt from the
    page's Content-Security-Policy; wait_for_function is not, and the app forbids eval.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        time.sleep(0.05)


def sign_up(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/signup")
    page.fill("#username", username)
    page.fill("#email", f"{username}@example.org")
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/")


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#login", username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/")


def drop_files(page: Any, selector: str, paths: list[Path]) -> None:
    """Drag files from the desktop onto an element: a DataTransfer holding real File objects."""
    files = [
        [p.name, base64.b64encode(p.read_bytes()).decode(), "image/jpeg" if p.suffix else ""]
        for p in paths
    ]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, data, type] of files) {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, { type }));
            }
            return transfer;
        }""",
        files,
    )
    for kind in ("dragenter", "dragover", "drop"):
        page.dispatch_event(selector, kind, {"dataTransfer": transfer})


def photo_files(*names: str) -> list[Path]:
    return [PHOTOS / name for name in names]
