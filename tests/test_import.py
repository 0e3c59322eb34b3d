"""`photoarchive import` run as a command, on a temp data dir."""

from __future__ import annotations

import asyncio
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

from photoarchive.accounts import users
from photoarchive.library import trash
from tests.cloud import REGION, S3Server
from tests.support import (
    PASSWORD,
    PHOTOS,
    current_database_url,
    fill,
    make_settings,
    run_sql,
    services,
    small_filesystem,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CLI = [sys.executable, "-m", "photoarchive"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")},
        "PHOTOARCHIVE_DATA_DIR": str(tmp_path / "data"),
        "PHOTOARCHIVE_DATABASE_URL": current_database_url(),
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
    archive = make_settings(Path(env["PHOTOARCHIVE_DATA_DIR"]))
    return [tuple(row) for row in run_sql(archive, sql)]


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
    env["PHOTOARCHIVE_TIMEZONE"] = "UTC"  # the archive's zone reads the file's date
    originals = len(list((PHOTOS / "cameras").iterdir())) + 2 + 1 + 1

    first = run_import(env, library, "--user", "alice", "--caption-from-filename", "--jobs", "2")
    assert first.returncode == 1, first.stderr  # some files were refused
    summary = first.stdout
    assert f"imported {originals}, duplicates 1, refused 2" in summary
    assert re.search(r"refused \S*notes\.txt: This file is not a supported image", summary)
    assert re.search(
        r"refused \S*broken\.jpg: The image (is damaged or cut short|data is damaged)", summary
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
    assert "in the trash" not in second.stdout
    assert rows(env, "SELECT COUNT(*) FROM photos")[0][0] == originals

    # Deleted on purpose: a third run leaves it in the trash, and says so.
    (trashed,) = rows(env, "SELECT id FROM photos WHERE filename = 'phone.HEIC'")[0]
    asyncio.run(trash_one(env, trashed))
    third = run_import(env, library, "--user", "alice", "--jobs", "2")
    assert (
        f"imported 0, duplicates {originals + 1} (1 in the trash: restore them there), refused 2"
        in third.stdout
    )
    assert rows(env, "SELECT COUNT(*) FROM trashed_photos") == [(1,)]


async def trash_one(env: dict[str, str], photo_id: int) -> None:
    settings = make_settings(
        Path(env["PHOTOARCHIVE_DATA_DIR"]), database_url=env["PHOTOARCHIVE_DATABASE_URL"]
    )
    async with services(settings) as svc:
        await trash.move(svc, await users.by_username(svc.db, "alice"), photo_id)


def test_a_file_without_a_camera_date_is_dated_by_the_archives_clock(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Written on the evening of 31 July in UTC, that is the morning of 1 August in Tokyo:
    a family in Tokyo finds it under August, at the hour their clocks said."""
    library = tmp_path / "library"
    library.mkdir()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(library / "scan.png")
    os.utime(library / "scan.png", (1_564_603_200, 1_564_603_200))  # 2019-07-31T20:00:00Z
    shutil.copy(PHOTOS / "cameras" / "Canon_40D.jpg", library / "camera.jpg")
    env["PHOTOARCHIVE_TIMEZONE"] = "Asia/Tokyo"
    done = run_import(env, library, "--user", "alice")
    assert done.returncode == 0, done.stdout + done.stderr
    assert rows(env, "SELECT filename, taken_at FROM photos ORDER BY filename") == [
        ("camera.jpg", "2008-05-30T15:56:01"),  # the camera's own date, as it said it
        ("scan.png", "2019-08-01T05:00:00+09:00"),
    ]


def test_importing_again_puts_back_an_original_the_archive_lost(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """The owner's files on disk are the copy the archive lost: a second run stores again an
    original that went missing or was cut short, as an upload of the same bytes does."""
    library = tmp_path / "library"
    shutil.copytree(PHOTOS / "gps", library)
    shutil.copy(PHOTOS / "heic" / "IMG_5195.HEIC", library / "phone.HEIC")
    first = run_import(env, library, "--user", "alice")
    assert first.returncode == 0, first.stderr
    stored = {
        digest: Path(env["PHOTOARCHIVE_DATA_DIR"])
        / "blobs"
        / "originals"
        / digest[:2]
        / digest[2:4]
        / digest
        for (digest,) in rows(env, "SELECT sha256 FROM photos ORDER BY id")
    }
    kept = {digest: path.read_bytes() for digest, path in stored.items()}
    lost, cut = list(stored)[:2]  # and the third stays as it is
    stored[lost].unlink()
    stored[cut].write_bytes(kept[cut][:1000])  # as by a failing disk

    second = run_import(env, library, "--user", "alice")

    assert second.returncode == 0, second.stderr
    assert f"imported 0, duplicates {len(stored)} (2 originals put back)" in second.stdout
    assert {digest: path.read_bytes() for digest, path in stored.items()} == kept
    assert rows(env, "SELECT COUNT(*) FROM photos")[0][0] == len(stored)
    assert leftovers(env) == []
    third = run_import(env, library, "--user", "alice")  # nothing to put back any more
    assert f"imported 0, duplicates {len(stored)}, refused 0" in third.stdout


def test_an_import_that_fills_the_disk_stops_and_says_so(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """A full disk is no fault of the files still to come: the run stops there, rather than
    refusing every one of thousands, and the same command carries on once space is freed."""
    library = tmp_path / "library"
    library.mkdir()
    for n in range(24):
        Image.effect_noise((640, 480), 40 + n).convert("RGB").save(library / f"{n}.jpg", quality=95)
    with small_filesystem(tmp_path / "disk", "32m") as disk:
        on_disk = {**env, "PHOTOARCHIVE_DATA_DIR": str(disk / "data")}
        if not current_database_url():  # the records are on this disk too
            made = subprocess.run(
                [*CLI, "users", "create", "alice", "--email", "alice@example.org"],
                input=PASSWORD + "\n",
                env=on_disk,
                capture_output=True,
                text=True,
                check=False,
            )
            assert made.returncode == 0, made.stderr
        ballast = fill(disk, 2_000_000)

        full = run_import(on_disk, library, "--user", "alice", "--jobs", "2")

        assert full.returncode == 2, full.stdout + full.stderr
        assert "Traceback" not in full.stderr
        assert "the archive's disk is full" in full.stderr
        assert "refused 0" in full.stdout and "  refused" not in full.stdout
        assert leftovers(on_disk) == []
        ballast.unlink()
        again = run_import(on_disk, library, "--user", "alice", "--jobs", "2")
        assert again.returncode == 0, again.stdout + again.stderr
        assert rows(on_disk, "SELECT COUNT(*) FROM photos")[0][0] == 24


def test_import_refuses_unknown_user_and_missing_paths(tmp_path: Path, env: dict[str, str]) -> None:
    nobody = run_import(env, PHOTOS / "gps", "--user", "nobody")
    assert nobody.returncode == 2
    assert "no user called 'nobody'" in nobody.stderr
    missing = run_import(env, tmp_path / "nowhere", "--user", "alice")
    assert missing.returncode == 2
    assert "no such file or folder" in missing.stderr


# What a terminal gives a foreground command: Ctrl-C raises KeyboardInterrupt. A child of a
# background job inherits SIGINT ignored, so the test sets it explicitly rather than rely on it.
WITH_CTRL_C = [
    sys.executable,
    "-c",
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from photoarchive.cli import main; sys.exit(main())",
]


def a_library(folder: Path, count: int) -> list[Path]:
    """`count` small JPEGs, each of different bytes, in a stable order."""
    folder.mkdir()
    base = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    files = []
    for index in range(count):
        base.paste((index * 10, 100, 200), (0, 0, 4 + index, 4))
        base.save(folder / f"photo_{index:02}.jpg", quality=90)
        files.append(folder / f"photo_{index:02}.jpg")
    return files


@pytest.mark.parametrize(
    ("stop", "command", "status"),
    [(signal.SIGINT, WITH_CTRL_C, 130), (signal.SIGTERM, CLI, 143)],
    ids=["ctrl-c", "sigterm"],
)
def test_an_interrupted_import_resumes_where_it_stopped(
    tmp_path: Path, env: dict[str, str], stop: signal.Signals, command: list[str], status: int
) -> None:
    count = 24
    files = a_library(tmp_path / "many", count)
    # The list arrives on a pipe that stays open: after the first three files the importer
    # waits for more, so the signal finds it mid-import however busy the machine is.
    log = tmp_path / "import.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*command, "import", "--files-from", "-", "--user", "alice", "--jobs", "1"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    assert process.stdin is not None
    try:
        process.stdin.write("".join(f"{path}\n" for path in files[:3]).encode())
        process.stdin.flush()
        deadline = time.monotonic() + 120  # bounds a hang; the wait itself is for the rows
        while (stored := photo_count(env)) < 3:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"stored {stored} of 3: {log.read_text()}"
            time.sleep(0.05)
        process.send_signal(stop)
        returncode = process.wait(timeout=120)
    finally:
        process.kill()
        process.stdin.close()
    err = log.read_text()
    assert returncode == status, err
    assert "run it again" in err
    assert photo_count(env) == 3
    assert leftovers(env) == []

    again = run_import(env, tmp_path / "many", "--user", "alice", "--jobs", "2")
    assert again.returncode == 0, again.stderr
    assert f"imported {count - 3}, duplicates 3, refused 0" in again.stdout
    assert photo_count(env) == count


def photo_count(env: dict[str, str]) -> int:
    """Photos stored so far, read without waiting on the importer's write lock."""
    if env["PHOTOARCHIVE_DATABASE_URL"]:  # PostgreSQL's reads never wait for a writer
        return int(rows(env, "SELECT COUNT(*) FROM photos")[0][0])
    database = Path(env["PHOTOARCHIVE_DATA_DIR"]) / "photoarchive.sqlite3"
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.2) as conn:
            return conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or busy for a moment
        return 0


def test_a_list_of_files_imports_files_and_folders_and_refuses_what_is_not_a_photo_file(
    tmp_path: Path, env: dict[str, str]
) -> None:
    files = a_library(tmp_path / "some", 3)
    pipe = tmp_path / "a-pipe"
    os.mkfifo(pipe)
    listing = [files[0], tmp_path / "missing.jpg", pipe, PHOTOS / "gps", files[1]]
    result = subprocess.run(
        [*CLI, "import", "--files-from", "-", "-0", "--user", "alice", str(files[2])],
        input=b"\0".join(str(path).encode() for path in listing) + b"\0",
        env=env,
        capture_output=True,
        timeout=300,
    )
    out, err = result.stdout.decode(), result.stderr.decode()
    assert result.returncode == 1, err
    assert "imported 5, duplicates 0, refused 2" in out  # 3 made here and the 2 in gps/
    assert re.search(r"refused .*missing\.jpg: could not be read \(No such file", out)
    assert f"refused {pipe}: not a regular file" in out
    assert photo_count(env) == 5
    assert leftovers(env) == []


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


def test_odd_names_are_imported_and_folders_not_walked_are_said(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """A name from an older system (Latin-1 bytes, not UTF-8) is imported under a name every
    database takes, its caption too; a link to a folder is refused with the reason, not
    passed over in silence; a list read by lines that holds NULs (from `find -print0`, the
    `-0` forgotten) is refused, not a traceback."""
    library = tmp_path / "odd"
    (made,) = a_library(library, 1)
    old_name = library / os.fsdecode(b"\xc9t\xe9_plage.jpg")
    made.rename(old_name)
    a_library(tmp_path / "elsewhere", 2)
    (library / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    result = run_import(env, library, "--user", "alice", "--caption-from-filename")

    assert result.returncode == 1, result.stderr
    assert "imported 1, duplicates 0, refused 1" in result.stdout
    assert f"refused {library / 'linked'}: a link to a folder, not followed" in result.stdout
    assert rows(env, "SELECT filename, caption FROM photos") == [
        ("\ufffdt\ufffd_plage.jpg", "\ufffdt\ufffd plage")
    ]
    listed = subprocess.run(
        [*CLI, "import", "--files-from", "-", "--user", "alice"],
        input=b"\0".join(bytes(path) for path in sorted((tmp_path / "elsewhere").iterdir())),
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert listed.returncode == 1, listed.stderr
    assert b"it holds a NUL" in listed.stdout and b"Traceback" not in listed.stderr
    assert photo_count(env) == 1
    assert leftovers(env) == []


def test_a_folder_that_cannot_be_walked_is_said_not_skipped(tmp_path: Path) -> None:
    """os.walk passes over a folder it cannot list unless asked: here, one that is a link to
    itself (a folder unreadable to the import's user fails alike)."""
    from photoarchive.ops.file_lists import find_files

    circle = tmp_path / "circle"
    circle.symlink_to(circle)
    assert list(find_files([circle])) == [circle]


def test_a_fault_with_one_file_refuses_that_file_and_the_rest_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong with one file of ten thousand (a fault of ours the import did not
    foresee) refuses that file, said with the rest; the run does not end in a traceback."""
    from photoarchive.ops import file_lists, importer

    files = a_library(tmp_path / "photos", 3)
    real = importer.import_one

    async def faulty_with_the_second(svc, owner, path, **options):  # type: ignore[no-untyped-def]
        if path == files[1]:
            raise RuntimeError("a fault of ours")
        return await real(svc, owner, path, **options)

    monkeypatch.setattr(importer, "import_one", faulty_with_the_second)

    async def body() -> importer.Report:
        settings = make_settings(tmp_path / "data")
        async with services(settings) as svc:
            settings.tmp_dir.mkdir(parents=True, exist_ok=True)
            owner = await users.insert(
                svc.db,
                username="alice",
                email="a@example.org",
                password_hash=None,
                registration="open",
            )
            return await importer.import_files(
                svc, owner, file_lists.listed(files), total=3, jobs=1
            )

    report = asyncio.run(body())
    assert report.imported == 2
    assert report.refused == [(files[1], "an unexpected error (RuntimeError)")]
