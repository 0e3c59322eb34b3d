"""`photoarchive backup` while the server takes writes, then `restore` into a new folder: every
photo, comment and like acknowledged before the backup began is there, files and all."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from photoarchive.db import Database
from photoarchive.ops.findings import LEFT_ALONE, PROBLEM, Report
from photoarchive.ops.restore import restore
from photoarchive.ops.verify import KEPT_AT_RESTORE, verify
from photoarchive.storage import original_key, rendition_key
from photoarchive.storage.local import LocalBlobStore
from tests.processes import distinct_jpeg, photoarchive_env, run_cli, server_process
from tests.support import (
    PASSWORD,
    LiveServer,
    api_login,
    fill,
    run_sql,
    sign_up,
    small_filesystem,
    upload_bytes,
)

PEOPLE = ("alice", "bob", "carol")
# `photoarchive`, stopping itself before it begins: the test says when it may go on.
HELD_AT_START = [
    sys.executable,
    "-c",
    "import os, signal, sys; os.kill(os.getpid(), signal.SIGSTOP); "
    "from photoarchive.cli import main; sys.exit(main())",
]


@dataclass
class Ledger:
    """What the server acknowledged, and when (so "before the backup" can be asked later)."""

    photos: list[tuple[float, int, str]] = field(default_factory=list)  # (at, id, sha256)
    comments: list[tuple[float, int]] = field(default_factory=list)
    likes: list[tuple[float, int, str]] = field(default_factory=list)  # (at, photo, username)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def photo_ids(self) -> list[int]:
        with self.lock:
            return [photo_id for _at, photo_id, _sha in self.photos]

    def last_at(self) -> float:
        """When the latest acknowledgement of any kind arrived."""
        with self.lock:
            return max(at for at, *_ in self.photos + self.comments + self.likes)


def wait_for_writes(
    ledger: Ledger, writers: list[threading.Thread], condition: Callable[[], bool]
) -> None:
    """Until `condition` holds of the acknowledged writes (60 s bounds a hang)."""
    deadline = time.monotonic() + 60
    while not condition():
        assert not ledger.failures, ledger.failures
        assert any(writer.is_alive() for writer in writers), "every writer stopped"
        assert time.monotonic() < deadline, "the writes did not go on"
        time.sleep(0.02)


def _write_until(stop: threading.Event, client: httpx.Client, who: str, ledger: Ledger) -> None:
    chooser = random.Random(who)
    while not stop.is_set():
        data = distinct_jpeg()
        response = upload_bytes(client, "photo.jpg", data)
        if response.status_code != 201:
            ledger.failures.append(f"upload {response.status_code} {response.text[:200]}")
            return
        photo_id = response.json()["items"][0]["id"]
        with ledger.lock:
            ledger.photos.append((time.monotonic(), photo_id, hashlib.sha256(data).hexdigest()))
        target = chooser.choice(ledger.photo_ids())
        response = client.post(f"/api/v1/photos/{target}/comments", json={"text": f"from {who}"})
        if response.status_code != 201:
            ledger.failures.append(f"comment {response.status_code} {response.text[:200]}")
            return
        with ledger.lock:
            ledger.comments.append((time.monotonic(), response.json()["id"]))
        target = chooser.choice(ledger.photo_ids())
        response = client.put(f"/api/v1/photos/{target}/like")
        if response.status_code != 200:
            ledger.failures.append(f"like {response.status_code} {response.text[:200]}")
            return
        with ledger.lock:
            ledger.likes.append((time.monotonic(), target, who))


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_backup_while_writing_then_restore_keeps_everything_committed_before(
    tmp_path: Path, request: pytest.FixtureRequest, database: str
) -> None:
    """With PostgreSQL too: its snapshot is copied into the backup's SQLite file, which then
    restores onto one box."""
    data_dir, dest, restored = tmp_path / "data", tmp_path / "backup", tmp_path / "restored"
    ledger = Ledger()
    stop = threading.Event()
    pg = (
        {"PHOTOARCHIVE_DATABASE_URL": request.getfixturevalue("postgres_url")}
        if database == "postgres"
        else {}
    )
    with server_process(data_dir, **pg) as server:
        for who in PEOPLE:
            response = server.client().post(
                "/api/v1/auth/signup",
                json={"username": who, "email": f"{who}@example.org", "password": PASSWORD},
            )
            assert response.status_code == 201, response.text
        clients = {who: api_login(server, who) for who in PEOPLE}
        first = upload_bytes(clients["alice"], "first.jpg", data := distinct_jpeg())
        ledger.photos.append(
            (time.monotonic(), first.json()["items"][0]["id"], hashlib.sha256(data).hexdigest())
        )
        writers = [
            threading.Thread(target=_write_until, args=(stop, client, who, ledger))
            for who, client in clients.items()
        ]
        for writer in writers:
            writer.start()
        try:
            wait_for_writes(ledger, writers, lambda: len(ledger.photos) >= 15)
            started = time.monotonic()
            backup = subprocess.Popen(
                [*HELD_AT_START, "backup", str(dest)],
                env=photoarchive_env(data_dir, **pg),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            # The backup waits, stopped before it has opened anything, until a write is
            # acknowledged after its start: writes overlap it however the machine schedules.
            _pid, status = os.waitpid(backup.pid, os.WUNTRACED)
            assert os.WIFSTOPPED(status), status
            try:
                wait_for_writes(ledger, writers, lambda: ledger.last_at() > started)
            finally:
                os.kill(backup.pid, signal.SIGCONT)
            output, errors = backup.communicate(timeout=120)
            finished = time.monotonic()
            # ... and a few more writes after it
            wait_for_writes(ledger, writers, lambda: ledger.last_at() > finished)
        finally:
            stop.set()
            for writer in writers:
                writer.join(timeout=60)
        assert not ledger.failures, ledger.failures
        assert backup.returncode == 0, output + errors
        during = [at for at, *_ in ledger.photos + ledger.comments if started < at < finished]
        assert during, "no write was acknowledged while the backup ran: the test proves nothing"
        assert "Originals:" in output and "Database snapshot:" in output
        assert "locked" not in server.log()

    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["format"] == 1 and manifest["originals_included"] is True
    # Renditions are not backed up: they are made again from the originals.
    assert not (dest / "blobs" / "thumbnails").exists()

    result = run_cli(restored, "restore", str(dest))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Originals restored: {manifest['originals']}" in result.stdout
    check = run_cli(restored, "verify", "--checksums")
    assert check.returncode == 0, check.stdout
    assert "0 problems, 0 repaired, 0 left alone: all is well" in check.stdout

    conn = sqlite3.connect(restored / "photoarchive.sqlite3")
    photos = dict(conn.execute("SELECT id, sha256 FROM photos").fetchall())
    comments = {row[0] for row in conn.execute("SELECT id FROM comments")}
    likes = set(
        conn.execute(
            "SELECT l.photo_id, u.username FROM likes l JOIN users u ON u.id = l.user_id"
        ).fetchall()
    )
    conn.close()
    before_photos = [(pid, sha) for at, pid, sha in ledger.photos if at < started]
    before_comments = [cid for at, cid in ledger.comments if at < started]
    before_likes = {(pid, who) for at, pid, who in ledger.likes if at < started}
    assert before_photos and before_comments and before_likes
    assert all(photos.get(pid) == sha for pid, sha in before_photos)
    assert set(before_comments) <= comments
    assert before_likes <= likes
    assert len(photos) == manifest["photos"] and len(comments) == manifest["comments"]

    # The restored archive serves: same accounts, same passwords, same bytes.
    with server_process(restored) as again:
        alice = api_login(again, "alice")
        photo_id, sha = before_photos[0]
        original = alice.get(f"/media/{photo_id}/original")
        assert original.status_code == 200
        assert hashlib.sha256(original.content).hexdigest() == sha
        assert alice.get(f"/media/{photo_id}/thumbnail").status_code == 200


def test_backup_and_restore_refuse_folders_that_are_not_empty(
    server: LiveServer, tmp_path: Path
) -> None:
    data_dir = server.settings.data_dir
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    refused = run_cli(data_dir, "backup", str(occupied))
    assert refused.returncode == 2
    assert f"The backup folder {occupied} is not empty" in refused.stderr
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]

    dest = tmp_path / "backup"
    assert run_cli(data_dir, "backup", str(dest)).returncode == 0
    before = sorted((p.name, p.stat().st_mtime_ns) for p in data_dir.rglob("*") if p.is_file())
    into_live = run_cli(data_dir, "restore", str(dest))
    assert into_live.returncode == 2
    assert f"The data folder {data_dir} is not empty" in into_live.stderr
    after = sorted((p.name, p.stat().st_mtime_ns) for p in data_dir.rglob("*") if p.is_file())
    assert after == before  # nothing was touched
    # A freshly formatted volume holds lost+found, and counts as empty.
    volume = tmp_path / "volume"
    (volume / "lost+found").mkdir(parents=True)
    onto_volume = run_cli(volume, "restore", str(dest))
    assert onto_volume.returncode == 0, onto_volume.stdout + onto_volume.stderr
    assert (volume / "photoarchive.sqlite3").is_file()

    (dest / "manifest.json").unlink()
    unfinished = run_cli(tmp_path / "new", "restore", str(dest))
    assert unfinished.returncode == 2
    assert "not a finished photoarchive backup" in unfinished.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.usefixtures("engine")  # from PostgreSQL, its snapshot is made as a SQLite file
def test_a_backup_that_cannot_be_written_says_why_and_leaves_no_half_backup(
    server: LiveServer, tmp_path: Path
) -> None:
    data_dir = server.settings.data_dir
    sign_up(server, "alice")
    client = api_login(server, "alice")
    for _ in range(3):  # more originals than the small disk below holds
        made = upload_bytes(client, "big.jpg", distinct_jpeg() + os.urandom(700_000))
        assert made.status_code == 201, made.text
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")

    misplaced = run_cli(data_dir, "backup", str(a_file / "backup"))

    assert misplaced.returncode == 2, misplaced.stderr
    assert "Traceback" not in misplaced.stderr
    assert f"The backup could not be written to {a_file / 'backup'}" in misplaced.stderr

    # Full while the originals are copied; full before the database's snapshot is.
    for name, size in (("disk", "1500k"), ("tiny", "64k")):
        with small_filesystem(tmp_path / name, size) as disk:
            full = run_cli(data_dir, "backup", str(disk / "backup"))
            assert full.returncode == 2, full.stdout + full.stderr
            assert "Traceback" not in full.stderr
            assert "its disk is full" in full.stderr
            assert not (disk / "backup").exists()  # nothing half-written to restore by mistake


def test_a_restore_onto_a_full_disk_says_so_and_leaves_nothing_to_block_the_retry(
    server: LiveServer, tmp_path: Path
) -> None:
    data_dir = server.settings.data_dir
    sign_up(server, "alice")
    client = api_login(server, "alice")
    for _ in range(3):  # more originals than the small disks below hold
        made = upload_bytes(client, "big.jpg", distinct_jpeg() + os.urandom(700_000))
        assert made.status_code == 201, made.text
    backup = tmp_path / "backup"
    assert run_cli(data_dir, "backup", str(backup)).returncode == 0
    originals = sum(p.stat().st_size for p in (backup / "blobs").rglob("*") if p.is_file())

    # Full at once; full among the originals; full just when the database goes in.
    for name, size, leave in (
        ("tiny", "64k", None),
        ("small", "1500k", None),
        ("roomy", "8m", originals + 64_000),
    ):
        with small_filesystem(tmp_path / name, size) as disk:
            ballast = fill(disk, leave) if leave is not None else None
            full = run_cli(disk / "data", "restore", str(backup))
            assert full.returncode == 2, full.stdout + full.stderr
            assert "Traceback" not in full.stderr
            assert "disk is full" in full.stderr, full.stderr
            assert not (disk / "data").exists()  # no secret key, blob or database left
            if ballast is not None:  # once space is freed, the same command works
                ballast.unlink()
                again = run_cli(disk / "data", "restore", str(backup))
                assert again.returncode == 0, again.stdout + again.stderr
                assert (disk / "data" / "photoarchive.sqlite3").is_file()


def test_a_restore_never_overwrites_a_database_kept_outside_the_data_folder(
    server: LiveServer, tmp_path: Path
) -> None:
    """PHOTOARCHIVE_DATABASE_URL may put the SQLite file elsewhere: an empty data folder then
    says nothing about whether that file holds an archive."""
    dest = tmp_path / "backup"
    assert run_cli(server.settings.data_dir, "backup", str(dest)).returncode == 0
    elsewhere = tmp_path / "records" / "archive.sqlite3"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"another archive's records")

    refused = run_cli(
        tmp_path / "new", "restore", str(dest), PHOTOARCHIVE_DATABASE_URL=f"sqlite://{elsewhere}"
    )

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"The database {elsewhere} already exists" in refused.stderr
    assert elsewhere.read_bytes() == b"another archive's records"
    assert not (tmp_path / "new").exists()


def test_a_restore_deletes_no_stored_file_the_backup_does_not_know(
    server: LiveServer, tmp_path: Path
) -> None:
    """A backup of an archive on S3 holds its records, not its originals (they stay in the
    bucket). Restored against that bucket after photos were added, the store holds their
    originals, which no restored record names: the restore's repair keeps them, and says so
    (it deleted every one older than an hour)."""
    sign_up(server, "alice")
    made = upload_bytes(api_login(server, "alice"), "kept.jpg", distinct_jpeg())
    assert made.status_code == 201, made.text
    backup = tmp_path / "backup"
    assert run_cli(server.settings.data_dir, "backup", str(backup)).returncode == 0
    bucket = tmp_path / "bucket"  # the store the backup did not copy, shared with the archive
    shutil.copytree(server.settings.blob_dir, bucket)
    added_since = bucket / original_key("ab" * 32)
    added_since.parent.mkdir(parents=True, exist_ok=True)
    added_since.write_bytes(b"the original of a photo added after the backup")
    two_hours_ago = time.time() - 7200
    os.utime(added_since, (two_hours_ago, two_hours_ago))
    restored = tmp_path / "restored"

    summary = asyncio.run(
        restore(
            backup,
            restored,
            restored / "photoarchive.sqlite3",
            tmp_path / "tmp",
            LocalBlobStore(bucket, tmp_path / "tmp"),
            max_pixels=100_000_000,
        )
    )

    assert added_since.read_bytes() == b"the original of a photo added after the backup"
    kept = [f.text for f in summary.report.findings if f.state == LEFT_ALONE]
    assert any(original_key("ab" * 32) in text and KEPT_AT_RESTORE in text for text in kept), kept
    assert summary.report.count(PROBLEM) == 0

    # Nor any later `verify --repair` (a weekly one, or the one a stopped restore asks for):
    # nothing can tell it apart from a failed upload's leftover but the restore, which the
    # archive now remembers. A rendition no photo uses is derived, and goes.
    stray = bucket / rendition_key("cd" * 32, "thumbnail")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"a thumbnail no photo uses")
    os.utime(stray, (two_hours_ago, two_hours_ago))
    # Only those the restore found: an original left since (its photo purged, its file's
    # delete failed) is a leftover like any other, and goes.
    purged_since = bucket / original_key("ef" * 32)
    purged_since.parent.mkdir(parents=True, exist_ok=True)
    purged_since.write_bytes(b"the original of a photo deleted for good since the restore")
    os.utime(purged_since, (two_hours_ago, two_hours_ago))

    async def later_repair() -> Report:
        db = Database(restored / "photoarchive.sqlite3")
        await db.open()
        try:
            store = LocalBlobStore(bucket, tmp_path / "tmp")
            return await verify(db, store, tmp_path / "tmp", repair=True)
        finally:
            await db.close()

    later = asyncio.run(later_repair())
    assert added_since.read_bytes() == b"the original of a photo added after the backup"
    kept = [f.text for f in later.findings if f.state == LEFT_ALONE]
    assert any(original_key("ab" * 32) in text and KEPT_AT_RESTORE in text for text in kept), kept
    assert not stray.exists()
    assert not purged_since.exists()


def test_a_backup_flushes_the_folders_its_originals_are_renamed_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An original is named by a rename into its folder; until that folder is flushed, a crash
    may forget the rename. Every folder of the backup is flushed before the manifest is
    written (the manifest promises what it holds)."""
    from photoarchive.ops import backup as backups

    dest = tmp_path / "backup"
    original = dest / "blobs" / original_key("cd" * 32)
    original.parent.mkdir(parents=True)
    original.write_bytes(b"an original")
    (tmp_path / "data").mkdir()
    lost_and_found = dest / "lost+found"  # a fresh volume's, which only root may open
    lost_and_found.mkdir()
    (lost_and_found / "#1234").write_bytes(b"")
    flushed: list[Path] = []
    real = backups.fsync

    def recording(path: Path) -> None:
        if not (dest / backups.MANIFEST).exists():  # before the manifest, not after
            flushed.append(path)
        real(path)

    monkeypatch.setattr(backups, "fsync", recording)
    backups._finish(tmp_path / "data", dest, {"format": backups.FORMAT})

    folders = [original.parent, *original.parent.parents]
    for folder in folders[: folders.index(dest)]:
        assert folder in flushed, (folder, flushed)
    assert original in flushed
    assert not [path for path in flushed if path.is_relative_to(lost_and_found)]
    assert json.loads((dest / backups.MANIFEST).read_text())["format"] == backups.FORMAT


def test_an_original_that_cannot_be_read_is_said_and_the_rest_is_backed_up(
    server: LiveServer, tmp_path: Path
) -> None:
    """One original the disk cannot give back (here a folder where its file should be: the
    same error from the system as a bad sector, to a reader): the backup says which, keeps
    the others, and ends 'with problems'; `verify --checksums` says so too; the page's
    download answers that the store failed (503), not a 500. Before, the backup took away
    everything it had copied, blaming its own disk, and verify ended in a traceback."""
    sign_up(server, "alice")
    alice = api_login(server, "alice")
    made = [upload_bytes(alice, f"p{i}.jpg", distinct_jpeg()).json()["items"][0] for i in (1, 2)]
    digests = [row[0] for row in run_sql(server.settings, "SELECT sha256 FROM photos ORDER BY id")]
    broken = server.settings.blob_dir / original_key(digests[0])
    broken.unlink()
    broken.mkdir()

    backup = tmp_path / "backup"
    done = run_cli(server.settings.data_dir, "backup", str(backup))

    assert done.returncode == 1, done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert f"The stored file {original_key(digests[0])} could not be read" in said
    assert "Traceback" not in said
    assert json.loads((backup / "manifest.json").read_text())["originals"] == 1
    kept = backup / "blobs" / original_key(digests[1])
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == digests[1]

    checked = run_cli(server.settings.data_dir, "verify", "--checksums")
    assert checked.returncode != 0
    assert "PROBLEM  original is 4096 bytes" in checked.stdout  # its size is seen first
    assert original_key(digests[0]) in checked.stdout
    assert "Traceback" not in checked.stderr
    download = alice.get(made[0]["urls"]["original"])
    assert download.status_code == 503
    assert "could not be read from the archive's storage" in download.text
    assert digests[0] not in download.text  # the file's name is the log's alone
