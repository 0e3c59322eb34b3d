"""The real `photoarchive serve` process starts, answers /healthz and stops cleanly."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.processes import START_TIMEOUT
from tests.support import current_database_url, free_socket, sqlite_only

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def archive_env(data_dir: Path, **more: str) -> dict[str, str]:
    """This process's environment, with the data dir and the engine's database."""
    return {
        **os.environ,
        "PHOTOARCHIVE_DATA_DIR": str(data_dir),
        "PHOTOARCHIVE_DATABASE_URL": current_database_url(),
        **more,
    }


def test_serve_process_answers_healthz(tmp_path: Path) -> None:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = archive_env(tmp_path / "data")
    log_path = tmp_path / "serve.log"
    command = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:  # a file, not a pipe nobody reads until the end
        process = subprocess.Popen(
            [sys.executable, "-m", "photoarchive", *command],
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        # Ready means: this process says it listens, and /healthz answers (on a busy machine
        # another server may have taken the port meanwhile, and would answer too).
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if f"Uvicorn running on http://127.0.0.1:{port}" in log_path.read_text():
                    response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"server did not come up: {log_path.read_text()}"
            time.sleep(0.05)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        secret = tmp_path / "data" / "secret_key"
        assert secret.stat().st_mode & 0o777 == 0o600
        sqlite_file = (tmp_path / "data" / "photoarchive.sqlite3").exists()
        assert sqlite_file == (not current_database_url())  # no file made beside PostgreSQL
        health = subprocess.run(
            [sys.executable, "-m", "photoarchive", "healthcheck"],
            env={**env, "PHOTOARCHIVE_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert health.returncode == 0, health.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()  # then the exit status below says it did not stop
            process.wait()
    output = log_path.read_text()
    # uvicorn finishes the lifespan, then re-raises SIGTERM so the exit reflects the signal
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output


def test_bad_configuration_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PHOTOARCHIVE_DATA_DIR": str(tmp_path),
        "PHOTOARCHIVE_REGISTRATION": "maybe",
    }
    result = subprocess.run(
        [sys.executable, "-m", "photoarchive", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "PHOTOARCHIVE_REGISTRATION must be one of open, invite, closed" in result.stderr


PASSWORD_LINE = "a long enough password\n"


def photoarchive(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """`photoarchive ARGS` run to its end, with `stdin` as its input."""
    return subprocess.run(
        [sys.executable, "-m", "photoarchive", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_users_create_reads_the_password_from_stdin(tmp_path: Path) -> None:
    env = archive_env(tmp_path)
    command = ["users", "create", "root", "--email", "root@example.org", "--admin"]
    made = photoarchive(env, *command, stdin=PASSWORD_LINE)
    assert made.returncode == 0, made.stderr
    assert "Created administrator root" in made.stdout
    again = photoarchive(env, *command, stdin=PASSWORD_LINE)
    assert again.returncode == 1 and "taken" in again.stderr
    version = photoarchive(env, "--version")
    assert version.stdout.strip() == "photoarchive 0.1.0"


@sqlite_only  # rewinds PRAGMA user_version; PostgreSQL's migrations are applied once each
def test_an_upgrade_that_fails_stops_the_server_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "PHOTOARCHIVE_DATA_DIR": str(data)}
    made = photoarchive(env, "users", "create", "root", "--email", "r@x.org", stdin=PASSWORD_LINE)
    assert made.returncode == 0, made.stderr
    database = data / "photoarchive.sqlite3"
    with sqlite3.connect(database) as conn:
        # The archive claims an older schema than it has: migration 0005 adds a column that
        # is already there, and fails, as an upgrade can on a damaged archive.
        conn.execute("PRAGMA user_version = 4")
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    result = photoarchive(env, "serve", "--port", str(port))
    assert result.returncode != 0
    assert "duplicate column name: tag" in result.stderr
    with sqlite3.connect(database) as conn:  # the half-run migration was rolled back
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        assert conn.execute("SELECT username FROM users").fetchall() == [("root",)]


def test_the_access_log_keeps_links_and_tokens_out(tmp_path: Path) -> None:
    """`serve --access-log` logs every request, with the secret part of a share link, a
    password-reset link or an invite replaced: a log file must not open the archive."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = archive_env(tmp_path / "data", PYTHONUNBUFFERED="1")
    log_path = tmp_path / "serve.log"
    command = ["serve", "--host", "127.0.0.1", "--port", str(port), "--access-log"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "photoarchive", *command],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    secrets = ["ShareTokenAbc123", "ResetTokenDef456", "InviteTokenGhi789", "ApiTokenJkl012"]
    paths = [
        f"/s/{secrets[0]}/media/1/thumbnail",
        f"/password-reset/{secrets[1]}",
        f"/signup?invite={secrets[2]}",
        f"/api/v1/s/{secrets[3]}?limit=5",
        "/healthz",
    ]
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while f"Uvicorn running on http://127.0.0.1:{port}" not in log_path.read_text():
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"server did not come up: {log_path.read_text()}"
            time.sleep(0.05)
        for path in paths:
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=30)
        # uvicorn writes a line as each answer starts: wait for the last one.
        while '"GET /healthz HTTP/1.1" 200' not in log_path.read_text():
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    output = log_path.read_text()
    assert not [secret for secret in secrets if secret in output], output
    for logged in (
        "/s/(hidden)/media/1/thumbnail",
        "/password-reset/(hidden)",
        "/signup?invite=(hidden)",
        "/api/v1/s/(hidden)?limit=5",
    ):
        assert logged in output, output
