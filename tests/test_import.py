"""`photoarchive import` run as a command, on a temp data dir."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.cloud import REGION, S3Server
from tests.support import PASSWORD, PHOTOS

CLI = [sys.executable, "-m", "photoarchive"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")},
        "PHOTOARCHIVE_DATA_DIR": str(tmp_path / "data"),
        "PHOTOARCHIVE_ARGON2_MEMORY_KIB": "1024",
        "PHOTOARCHIVE_ARGON2_TIME_COST": "1",
    }
    subprocess.run(
        [*CLI, "users", "create", "alice", "--email", "alice@example.org"],
        input=PASSWORD + "\n",
        env=values,
        check=True,
        capture_output=True,
        text=True,
    )
    return values


def run_import(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "import", *map(str, args)], env=env, capture_output=True, text=True, timeout=300
    )


def rows(env: dict[str, str], sql: str) -> list[tuple]:
    with sqlite3.connect(Path(env["PHOTOARCHIVE_DATA_DIR"]) / "photoarchive.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def leftovers(env: dict[str, str]) -> list[Path]:
    return [p for p in (Path(env["PHOTOARCHIVE_DATA_DIR"]) / "tmp").rglob("*") if p.is_file()]


def test_import_walks_folders_skips_duplicates_and_reports_refusals(
    tmp_path: Path, env: dict[str, str]
) -> None:
    library = tmp_path / "library"
    shutil.copytree(PHOTOS / "cameras", library / "2008" / "cameras")
    shutil.copytree(PHOTOS / "gps", library / "2008" / "trip" / "gps")
    shutil.copy(PHOTOS / "heic" / "IMG_5195.HEIC", library / "phone.HEIC")
    shutil.copy(PHOTOS / "gps" / "DSCN0010.jpg", library / "copy of DSCN0010.jpg")  # same bytes
    (library / "notes.txt").write_text("not a photo")
    (library / "broken.jpg").write_bytes((PHOTOS / "gps" / "DSCN0012.jpg").read_bytes()[:3000])
    (library / ".hidden.jpg").write_bytes((PHOTOS / "gps" / "DSCN0012.jpg").read_bytes())
    no_date = library / "Beach_day  2019.png"
    Image.new("RGB", (64, 48), (10, 120, 200)).save(no_date)
    os.utime(no_date, (1_563_000_000, 1_563_000_000))  # 2019-07-13T06:40:00Z
    originals = len(list((PHOTOS / "cameras").iterdir())) + 2 + 1 + 1

    first = run_import(env, library, "--user", "alice", "--caption-from-filename", "--jobs", "2")
    assert first.returncode == 1, first.stderr  # some files were refused
    summary = first.stdout
    assert f"imported {originals}, duplicates 1, refused 2" in summary
    assert re.search(r"refused \S*notes\.txt: This file is not a supported image", summary)
    assert re.search(
        r"refused \S*broken\.jpg: The image (could not be read|data is damaged)", summary
    )
    assert "notes.txt" in first.stderr and "broken.jpg" in first.stderr  # reported as they happen
    assert f"{originals + 3}/{originals + 3}" in first.stderr  # the progress bar's count
    assert "files/s" in first.stderr
    assert rows(env, "SELECT COUNT(*) FROM photos")[0][0] == originals
    (caption, taken_at, _filename) = rows(
        env, "SELECT caption, taken_at, filename FROM photos WHERE filename LIKE 'Beach%'"
    )[0]
    assert caption == "Beach day 2019"
    assert taken_at == "2019-07-13T06:40:00+00:00"  # no camera date: the file's date
    assert rows(env, "SELECT taken_at FROM photos WHERE filename = 'Canon_40D.jpg'") == [
        ("2008-05-30T15:56:01",)
    ]
    blobs = Path(env["PHOTOARCHIVE_DATA_DIR"]) / "blobs"
    stored = blobs / "originals"
    assert len([p for p in stored.rglob("*") if p.is_file()]) == originals
    assert (library / "phone.HEIC").exists()  # the user's files are copied, never moved
    assert leftovers(env) == []

    second = run_import(env, library, "--user", "alice", "--jobs", "2")
    assert f"imported 0, duplicates {originals + 1}, refused 2" in second.stdout
    assert rows(env, "SELECT COUNT(*) FROM photos")[0][0] == originals


def test_import_refuses_unknown_user_and_missing_paths(tmp_path: Path, env: dict[str, str]) -> None:
    nobody = run_import(env, PHOTOS / "gps", "--user", "nobody")
    assert nobody.returncode == 2
    assert "no user called 'nobody'" in nobody.stderr
    missing = run_import(env, tmp_path / "nowhere", "--user", "alice")
    assert missing.returncode == 2
    assert "no such file or folder" in missing.stderr


def test_an_interrupted_import_resumes_where_it_stopped(
    tmp_path: Path, env: dict[str, str]
) -> None:
    library = tmp_path / "many"
    library.mkdir()
    count = 24
    # Big enough that the import takes a few seconds: the window for the interruption.
    ramp = Image.linear_gradient("L").resize((2400, 1800))
    base = Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.FLIP_TOP_BOTTOM), ramp))
    for index in range(count):
        base.paste((index * 10, 100, 200), (0, 0, 40 + index, 40))  # different bytes each
        base.save(library / f"photo_{index:02}.jpg", quality=90)
    process = subprocess.Popen(
        [*CLI, "import", str(library), "--user", "alice", "--jobs", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    database = Path(env["PHOTOARCHIVE_DATA_DIR"]) / "photoarchive.sqlite3"
    deadline = time.monotonic() + 120
    done, seen, errors = 0, [], []
    # One read-only connection that never waits long: a poll must not sleep through the import.
    poll = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.2)
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                done = poll.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
            except sqlite3.OperationalError as exc:
                errors.append(str(exc))
                done = 0
            seen.append(done)
            if done >= 3:
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.02)
    finally:
        poll.close()
    _out, err = process.communicate(timeout=60)
    polls = f"counts seen: {sorted(set(seen))}, poll errors: {sorted(set(errors))}"
    assert process.returncode == 130, f"{err}\n{polls}"
    assert "run it again" in err
    stopped_at = rows(env, "SELECT COUNT(*) FROM photos")[0][0]
    assert 3 <= stopped_at < count, "the import must really have been interrupted"
    assert leftovers(env) == []

    again = run_import(env, library, "--user", "alice", "--jobs", "2")
    assert again.returncode == 0, again.stderr
    assert f"imported {count - stopped_at}, duplicates {stopped_at}, refused 0" in again.stdout
    assert rows(env, "SELECT COUNT(*) FROM photos")[0][0] == count


def test_import_into_s3_storage(tmp_path: Path, env: dict[str, str], moto: S3Server) -> None:
    """The same command with the blobs in a bucket: only the BlobStore protocol is used."""
    bucket = moto.new_bucket()
    s3_env = {
        **env,
        "PHOTOARCHIVE_STORAGE": "s3",
        "PHOTOARCHIVE_S3_BUCKET": bucket,
        "PHOTOARCHIVE_S3_PREFIX": "archive",
        "PHOTOARCHIVE_S3_ENDPOINT": moto.endpoint,
        "PHOTOARCHIVE_S3_REGION": REGION,
        "PHOTOARCHIVE_S3_ACCESS_KEY_ID": moto.access_key,
        "PHOTOARCHIVE_S3_SECRET_ACCESS_KEY": moto.secret_key,
    }
    first = run_import(s3_env, PHOTOS / "gps", PHOTOS / "heic", "--user", "alice")
    assert first.returncode == 0, first.stderr
    assert "imported 4, duplicates 0, refused 0" in first.stdout
    digests = [row[0] for row in rows(env, "SELECT sha256 FROM photos ORDER BY sha256")]
    keys = moto.keys(bucket, "archive/")
    for digest in digests:
        fanout = f"{digest[:2]}/{digest[2:4]}/{digest}"
        assert f"originals/{fanout}" in keys
        assert f"previews/{fanout}.webp" in keys
        assert f"thumbnails/{fanout}.webp" in keys
    assert not (Path(env["PHOTOARCHIVE_DATA_DIR"]) / "blobs" / "originals").exists()
    again = run_import(s3_env, PHOTOS / "gps", PHOTOS / "heic", "--user", "alice")
    assert "imported 0, duplicates 4, refused 0" in again.stdout
