"""`photoarchive serve` on a data disk it cannot write, for real (a tiny tmpfs, full or mounted
read-only), or with its PostgreSQL not there: one line that says why, and exit status 2, as
every other command does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.processes import photoarchive_env, server_process
from tests.support import fill, free_socket, small_filesystem


def _serve(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    return subprocess.run(
        [sys.executable, "-m", "photoarchive", "serve", "--port", str(port)],
        env=photoarchive_env(data_dir, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _served_before(disk: Path) -> Path:
    """An archive as a first start leaves it: database, secret key and folders made."""
    data_dir = disk / "data"
    with server_process(data_dir) as server:
        assert server.client().get("/healthz").status_code == 200
    assert (data_dir / "secret_key").is_file()
    return data_dir


def _said_in_one_line(result: subprocess.CompletedProcess[str], *said: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    ours = [line for line in result.stderr.splitlines() if line.startswith("photoarchive:")]
    assert len(ours) == 1, output
    for words in said:
        assert words.lower() in ours[0].lower(), output


def test_serve_on_a_full_data_disk_says_so_in_one_line(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk", "2m") as disk:
        data_dir = _served_before(disk)
        fill(disk, 0)

        _said_in_one_line(_serve(data_dir), str(data_dir / "photoarchive.sqlite3"), "disk is full")


def test_serve_on_a_read_only_data_disk_says_so_in_one_line(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk", "4m") as disk:
        data_dir = _served_before(disk)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)

        _said_in_one_line(_serve(data_dir), str(data_dir), "read-only")


def test_serve_without_its_postgresql_says_so_in_one_line(tmp_path: Path) -> None:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    url = f"postgresql://family:pg-Secret@127.0.0.1:{port}/archive"

    result = _serve(tmp_path / "data", PHOTOARCHIVE_DATABASE_URL=url)

    _said_in_one_line(result, f"cannot use postgresql://family:***@127.0.0.1:{port}/archive")
    assert "pg-Secret" not in result.stdout + result.stderr
