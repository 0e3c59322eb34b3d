"""Out-of-process helpers: the real `photoarchive serve` process (to load, kill and restart),
the `photoarchive` command itself, and a supply of distinct small photos to upload."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support import PHOTOS, LiveServer, current_database_url, free_socket, make_settings

START_TIMEOUT = 60.0


def photoarchive_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for a `photoarchive` process: this one's, minus any PHOTOARCHIVE_* of
    the machine, plus the data dir (and the engine's database, in a test run on PostgreSQL),
    open registration and whatever the test adds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")}
    env.update(
        {
            "PHOTOARCHIVE_DATA_DIR": str(data_dir),
            "PHOTOARCHIVE_REGISTRATION": "open",
            "PHOTOARCHIVE_SIGNUP_MAX_PER_HOUR": "100000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if current_database_url():
        env["PHOTOARCHIVE_DATABASE_URL"] = current_database_url()
    env.update(extra)
    return env


def run_cli(
    data_dir: Path, *args: str, timeout: float = 120, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """Run `photoarchive ARGS` against `data_dir` and return its exit status and output."""
    return subprocess.run(
        [sys.executable, "-m", "photoarchive", *args],
        env=photoarchive_env(data_dir, **extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class ServerProcess(LiveServer):
    """`photoarchive serve` as a child process on a fixed 127.0.0.1 port.

    Its stdout and stderr go to a log file (never a pipe: a full pipe would stall the server).
    Restarts reuse the port, so clients keep their base URL across a kill and a restart.
    """

    port: int = 0
    log_path: Path = Path()
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.process is None, "already running"
        # Ready means: this process says it listens, and /healthz answers. The log line matters
        # as much as the answer: on a busy machine another server may hold the port.
        ready_line = f"Uvicorn running on http://127.0.0.1:{self.port}"
        seen = self.log().count(ready_line)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "photoarchive", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.settings.data_dir.parent,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if (
                    self.log().count(ready_line) > seen
                    and httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
                ):
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"the server exited while starting:\n{self.log()}")
            if time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                self.process = None
                raise RuntimeError(f"the server did not answer /healthz:\n{self.log()}")
            time.sleep(0.05)

    def stop(self) -> int:
        """Ask the server to stop (SIGTERM, as a service manager would) and wait for it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut or the OOM killer."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def server_process(data_dir: Path, **extra_env: str) -> Iterator[ServerProcess]:
    """A started `photoarchive serve` on a free port with its data in `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    server = ServerProcess(
        settings=make_settings(data_dir),
        url=f"http://127.0.0.1:{port}",
        port=port,
        log_path=data_dir.parent / f"server-{port}.log",
        env=photoarchive_env(data_dir, **extra_env),
    )
    for attempt in range(3):
        try:
            server.start()
            break
        except RuntimeError:
            if "address already in use" not in server.log() or attempt == 2:
                raise
            sock = free_socket()  # taken meanwhile by someone else: another port, then
            server.port = sock.getsockname()[1]
            server.url = f"http://127.0.0.1:{server.port}"
            sock.close()
    try:
        yield server
    finally:
        for client in server.clients:
            client.close()
        if server.process is not None:
            server.stop()


# --- things to upload ---------------------------------------------------------------------

_BASE_JPEG = PHOTOS / "cameras" / "Canon_40D.jpg"
_counter = itertools.count()
_counter_lock = threading.Lock()


def distinct_jpeg(base: Path = _BASE_JPEG) -> bytes:
    """A valid JPEG whose bytes (and so SHA-256) no other call returns.

    Bytes after the end-of-image marker are ignored by decoders, so a unique tail makes a
    new archive entry without the cost of encoding an image.
    """
    with _counter_lock:
        number = next(_counter)
    return base.read_bytes() + f"distinct-{os.getpid()}-{number}-{time.time_ns()}".encode()


def check_status(response: httpx.Response, *expected: int) -> dict[str, Any]:
    assert response.status_code in expected, (response.status_code, response.text[:500])
    return response.json() if response.content else {}
