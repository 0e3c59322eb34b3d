"""A real PostgreSQL for the test session: Debian's server binaries, a throwaway cluster in a
temporary directory, on a free loopback port, stopped at the end. Each test that asks gets a
database of its own, reached with a password (so the tests can check it is never shown)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support import free_socket

ROLE = "photoarchive"
PASSWORD = "pg-Secret-4-tests"  # a throwaway cluster's, checked never to be shown
_numbers = count(1)


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def _as_owner(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class PostgresServer:
    port: int
    socket_dir: Path
    # How the cluster was started, to stop and start it again (tests of an outage).
    pg_ctl: list[str] = field(default_factory=list)

    def stop(self) -> None:
        """Shut the server down now (`pg_ctl stop -m fast`: sessions are ended)."""
        subprocess.run([*self.pg_ctl, "-m", "fast", "stop"], check=True, capture_output=True)

    def start(self) -> None:
        subprocess.run([*self.pg_ctl, "-w", "-t", "60", "start"], check=True, capture_output=True)

    def restart(self) -> None:
        self.stop()
        self.start()

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        """A superuser connection over the cluster's own socket."""
        user = "postgres" if os.geteuid() == 0 else None
        return psycopg.connect(
            host=str(self.socket_dir), port=self.port, dbname=dbname, user=user, autocommit=True
        )

    def url(self, dbname: str) -> str:
        return f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """The URL of a new, empty database owned by the app's role."""
        name = f"archive_{os.getpid()}_{next(_numbers)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER {ROLE}')
        return self.url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start(root: Path) -> Iterator[PostgresServer]:
    binaries = _binaries()
    if binaries is None:
        message = "PostgreSQL is not installed: run `bash scripts/ensure-postgres.sh` (as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    data = root / "cluster"
    sockets = root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    subprocess.run(
        _as_owner(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres"),
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    with free_socket() as sock:
        port = sock.getsockname()[1]
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets}"
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    pg_ctl = _as_owner(
        [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log")]
    )
    server = PostgresServer(port, sockets, pg_ctl)
    server.start()
    try:
        with server.admin() as conn:
            conn.execute(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'")
        yield server
    finally:
        subprocess.run(
            _as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
            check=False,
            capture_output=True,
        )


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    root = Path(tempfile.mkdtemp(prefix="photoarchive-pg-"))
    try:
        yield from _start(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> Iterator[str]:
    """A database of this test's own, dropped after it."""
    url = postgres.new_database()
    yield url
    postgres.drop(url)
