"""Every operator command that cannot reach its database says why and exits 2 (the status of
a command that could not run), with no traceback: a PostgreSQL that is not there, a data disk
so full that SQLite cannot even open the archive."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import photoarchive_env, run_cli
from tests.support import PASSWORD, PHOTOS, fill, free_socket, small_filesystem

COMMANDS = [
    ("purge",),
    ("places", "--backfill"),
    ("users", "reset-link", "alice"),
    ("users", "create", "bob", "--email", "bob@example.org"),
    ("import", str(PHOTOS / "gps"), "--user", "alice"),
    ("verify",),
]


def _run(data_dir: Path, args: tuple[str, ...], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "photoarchive", *args],
        env=photoarchive_env(data_dir, **env),
        input=PASSWORD + "\n",  # for `users create`
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: " ".join(args[:2]))
def test_a_postgresql_that_is_not_there_is_named_without_its_password(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    url = f"postgresql://family:pg-Secret@127.0.0.1:{port}/archive"

    result = _run(tmp_path / "data", args, PHOTOARCHIVE_DATABASE_URL=url)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"cannot use postgresql://family:***@127.0.0.1:{port}/archive" in result.stderr
    assert "pg-Secret" not in result.stdout + result.stderr


def test_a_data_disk_too_full_to_open_the_archive_is_said_plainly(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk", "2m") as disk:
        data_dir = disk / "data"
        made = _run(data_dir, ("users", "create", "alice", "--email", "alice@example.org"))
        assert made.returncode == 0, made.stderr
        fill(disk, 0)
        for args in COMMANDS:
            result = _run(data_dir, args)
            assert result.returncode == 2, (args, result.stdout + result.stderr)
            assert "Traceback" not in result.stderr, (args, result.stderr)
            assert "its disk is full" in result.stderr, (args, result.stderr)
        assert run_cli(data_dir, "backup", str(tmp_path / "backup")).returncode == 2


def test_a_database_copy_onto_a_full_disk_says_so_and_leaves_no_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    made = _run(data_dir, ("users", "create", "alice", "--email", "alice@example.org"))
    assert made.returncode == 0, made.stderr
    with small_filesystem(tmp_path / "disk", "1m") as disk:
        fill(disk, 0)
        target = disk / "copy.sqlite3"

        full = run_cli(data_dir, "db", "copy", "--to", f"sqlite://{target}")

        assert full.returncode == 2, full.stdout + full.stderr
        assert full.stderr == f"photoarchive: cannot use {target}: its disk is full\n"
        assert sorted(p.name for p in disk.iterdir()) == ["ballast"]


def test_an_archive_on_a_read_only_disk_is_said_plainly(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk", "4m") as disk:
        data_dir = disk / "data"
        made = _run(data_dir, ("users", "create", "alice", "--email", "alice@example.org"))
        assert made.returncode == 0, made.stderr
        (data_dir / "tmp").mkdir(exist_ok=True)  # as a server leaves it: import gets to the store
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        for args in COMMANDS:
            result = _run(data_dir, args)
            assert result.returncode == 2, (args, result.stdout + result.stderr)
            assert "Traceback" not in result.stderr, (args, result.stderr)
            assert "read-only" in result.stderr.lower(), (args, result.stderr)
