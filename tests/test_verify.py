"""`photoarchive verify`: finds what is damaged or left over, repairs what can be, and says so
in its exit status. The archive is damaged the way a disk or a crash would, on the real files."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import time
from pathlib import Path

import pytest

from photoarchive.library import rotations
from photoarchive.media.images import describe
from photoarchive.ops.progress import Progress
from photoarchive.ops.verify import verify
from photoarchive.storage import original_key, rendition_key
from tests.cloud import S3Server
from tests.processes import distinct_jpeg, run_cli
from tests.support import (
    LiveServer,
    api_login,
    current_database_url,
    live_server,
    make_settings,
    services,
    sign_up,
    sqlite_only,
    upload_bytes,
)
from tests.test_neighbours import person
from tests.test_photo_fixes import added, marked_jpeg
from tests.test_write_rules import ControlledStore, Pause

# The rows verify checks the files against, read from either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

HOUR = 3600


def _photo_sha(server: LiveServer, photo_id: int) -> str:
    with server.db() as conn:
        return conn.execute("SELECT sha256 FROM photos WHERE id = ?", (photo_id,)).fetchone()[0]


def _blob(server: LiveServer, key: str) -> Path:
    return server.settings.blob_dir / key


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def _keys(digest: str) -> set[str]:
    return {original_key(digest), *(rendition_key(digest, n) for n in ("thumbnail", "preview"))}


def _lines(output: str, label: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(label)]


def _seed(server: LiveServer) -> tuple[list[int], bytes]:
    """Four photos of three distinct files (two people uploaded the same one), some talk."""
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice, bob = api_login(server, "alice"), api_login(server, "bob")
    shared = distinct_jpeg()
    ids = [
        upload_bytes(alice, f"{n}.jpg", distinct_jpeg()).json()["items"][0]["id"] for n in (1, 2)
    ]
    ids.append(upload_bytes(alice, "shared.jpg", shared).json()["items"][0]["id"])
    ids.append(upload_bytes(bob, "shared.jpg", shared).json()["items"][0]["id"])
    assert bob.post(f"/api/v1/photos/{ids[0]}/comments", json={"text": "nice"}).status_code == 201
    assert bob.put(f"/api/v1/photos/{ids[0]}/like").status_code == 200
    return ids, shared


def test_a_healthy_archive_verifies_clean(server: LiveServer) -> None:
    _seed(server)
    result = run_cli(server.settings.data_dir, "verify", "--checksums")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 photos, 3 originals, 9 stored files (checksums verified)" in result.stdout
    assert "0 problems, 0 repaired, 0 left alone: all is well" in result.stdout
    # not a terminal: no progress bar in the output a cron job would mail
    assert result.stderr == ""


def test_a_repair_deletes_only_files_named_as_the_archive_names_its_own(
    server: LiveServer,
) -> None:
    """A store shared with something else (a bucket without a prefix, another archive under a
    longer prefix) holds files the archive did not write: verify --repair leaves them, however
    old, and says so; an old leftover of the archive's own goes, as ever."""
    _seed(server)
    data_dir = server.settings.data_dir
    strangers = [
        _blob(server, "notes/readme.txt"),
        _blob(server, f"b/{original_key('ab' * 32)}"),  # another archive's, under "b/"
        _blob(server, f"{original_key('cd' * 32)}.jpg"),
    ]
    ours = _blob(server, original_key("ef" * 32))
    for path in (*strangers, ours):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"kept by someone")
        _age(path, 2 * HOUR)

    repaired = run_cli(data_dir, "verify", "--repair")

    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert all(path.read_bytes() == b"kept by someone" for path in strangers)
    assert not ours.exists()
    left = "\n".join(_lines(repaired.stdout, "LEFT"))
    for path in strangers:
        key = path.relative_to(server.settings.blob_dir).as_posix()
        assert f"stored file not of the archive's: {key}; left as it is" in left, left


def test_damage_is_found_repaired_where_possible_and_reflected_in_the_exit_status(
    server: LiveServer,
) -> None:
    ids, shared = _seed(server)
    data_dir = server.settings.data_dir
    first, second, third = (_photo_sha(server, photo_id) for photo_id in ids[:3])
    # A lost thumbnail (regenerable), a lost original (not), a bit-flipped original (same size).
    _blob(server, rendition_key(first, "thumbnail")).unlink()
    lost = _blob(server, original_key(second))
    lost_bytes = lost.read_bytes()
    lost.unlink()
    flipped = _blob(server, original_key(third))
    good = flipped.read_bytes()
    flipped.write_bytes(good[:-1] + bytes([good[-1] ^ 0xFF]))
    # Leftovers of a crash: an unreferenced blob and a temp file, both old; and a fresh blob an
    # upload in progress could be about to use.
    old_orphan = _blob(server, original_key("ab" * 32))
    old_orphan.parent.mkdir(parents=True)
    old_orphan.write_bytes(b"left over")
    _age(old_orphan, 2 * HOUR)
    young_orphan = _blob(server, rendition_key("cd" * 32, "preview"))
    young_orphan.parent.mkdir(parents=True)
    young_orphan.write_bytes(b"uploading")
    temp = server.settings.tmp_dir / "upload-crashed"
    temp.write_bytes(b"half a photo")
    _age(temp, 2 * HOUR)
    # A counter out of step with its rows.
    with server.db() as conn:
        conn.execute("UPDATE photos SET like_count = 7 WHERE id = ?", (ids[0],))

    found = run_cli(data_dir, "verify")
    assert found.returncode == 1
    problems = "\n".join(_lines(found.stdout, "PROBLEM"))
    assert f"original missing: {original_key(second)} (photo {ids[1]})" in problems
    assert f"rendition missing: {rendition_key(first, 'thumbnail')}" in problems
    assert f"stored file no photo refers to: {original_key('ab' * 32)}" in problems
    assert "temp file:" in problems and "upload-crashed" in problems
    assert f"photo {ids[0]}: counted 7 likes and 1 comments, has 1 and 1" in problems
    assert "SHA-256" not in problems  # sizes match: only --checksums reads the bytes
    assert len(_lines(found.stdout, "PROBLEM")) == 5
    left = "\n".join(_lines(found.stdout, "LEFT"))
    assert rendition_key("cd" * 32, "preview") in left and "grace period" in left

    repaired = run_cli(data_dir, "verify", "--checksums", "--repair")
    # The lost and the damaged originals cannot be repaired: still not OK.
    assert repaired.returncode == 1
    remaining = "\n".join(_lines(repaired.stdout, "PROBLEM"))
    assert f"original missing: {original_key(second)}" in remaining
    assert "original's SHA-256 is wrong" in remaining and original_key(third) in remaining
    assert len(_lines(repaired.stdout, "PROBLEM")) == 2
    assert len(_lines(repaired.stdout, "REPAIRED")) == 4
    thumbnail = _blob(server, rendition_key(first, "thumbnail")).read_bytes()
    assert describe(thumbnail)[0] == "WEBP"
    assert not old_orphan.exists() and not temp.exists()
    assert young_orphan.exists()  # within the grace period: left alone
    with server.db() as conn:
        assert (
            conn.execute("SELECT like_count FROM photos WHERE id = ?", (ids[0],)).fetchone()[0] == 1
        )
    assert list(server.settings.tmp_dir.iterdir()) == []  # its own working files are gone

    # Put the right bytes back (as from a backup): all is well, the fresh leftover notwithstanding.
    lost.write_bytes(lost_bytes)
    flipped.write_bytes(good)
    clean = run_cli(data_dir, "verify", "--checksums")
    assert clean.returncode == 0, clean.stdout
    assert "0 problems, 0 repaired, 1 left alone: all is well" in clean.stdout
    # A grace period of 0 makes every leftover due; --repair removes it.
    assert run_cli(data_dir, "verify", "--grace", "0").returncode == 1
    assert run_cli(data_dir, "verify", "--grace", "0", "--repair").returncode == 0
    assert not young_orphan.exists()
    # Two photos share one original: it survived every repair and serves both.
    assert _blob(server, original_key(_photo_sha(server, ids[3]))).read_bytes() == shared


@sqlite_only  # an archive on PostgreSQL is its database, wherever the folder is
def test_verify_refuses_a_folder_without_an_archive(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "nothing-here", "verify")
    assert result.returncode == 2
    assert "no archive at" in result.stderr
    assert not (tmp_path / "nothing-here").exists()  # and it created nothing


def test_grace_must_be_a_number_of_seconds(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "verify", "--grace", "soon")
    assert result.returncode == 2
    assert "not a number of seconds" in result.stderr


def test_progress_bar_draws_on_a_terminal_only() -> None:
    terminal = io.StringIO()
    bar = Progress(terminal, enabled=True)
    bar.start("checking photos", 4)
    for _ in range(4):
        bar.advance()
    bar.finish()
    drawn = terminal.getvalue()
    assert "[" + "#" * 30 + "] 4/4" in drawn and drawn.endswith("\n")
    assert drawn.startswith("\rchecking photos")
    pipe = io.StringIO()
    quiet = Progress(pipe)  # StringIO is not a terminal
    quiet.start("checking photos", 4)
    quiet.advance()
    quiet.finish()
    assert pipe.getvalue() == ""


def test_verify_and_backup_work_the_same_on_s3(
    moto: S3Server, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    bucket = moto.new_bucket()
    fields = moto.settings(bucket)
    settings = make_settings(tmp_path / "data", **fields)
    env = {
        "PHOTOARCHIVE_STORAGE": "s3",
        "PHOTOARCHIVE_S3_BUCKET": bucket,
        "PHOTOARCHIVE_S3_PREFIX": fields["s3_prefix"],
        "PHOTOARCHIVE_S3_ENDPOINT": moto.endpoint,
        "PHOTOARCHIVE_S3_REGION": fields["s3_region"],
        "PHOTOARCHIVE_S3_ACCESS_KEY_ID": moto.access_key,
        "PHOTOARCHIVE_S3_SECRET_ACCESS_KEY": moto.secret_key,
    }
    prefix = fields["s3_prefix"]
    with live_server(settings) as server:
        ids, _shared = _seed(server)
        digests = {_photo_sha(server, photo_id) for photo_id in ids}
    expected = {key for digest in digests for key in _keys(digest)}
    assert set(moto.keys(bucket, prefix)) == expected

    s3 = moto.client()
    lost = rendition_key(_photo_sha(server, ids[0]), "preview")
    s3.delete_object(Bucket=bucket, Key=prefix + lost)
    orphan = original_key("ef" * 32)
    s3.put_object(Bucket=bucket, Key=prefix + orphan, Body=b"never committed")

    found = run_cli(settings.data_dir, "verify", "--grace", "0", **env)
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"rendition missing: {lost}" in found.stdout
    assert f"stored file no photo refers to: {orphan}" in found.stdout
    fixed = run_cli(settings.data_dir, "verify", "--grace", "0", "--repair", "--checksums", **env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert set(moto.keys(bucket, prefix)) == expected
    assert describe(s3.get_object(Bucket=bucket, Key=prefix + lost)["Body"].read())[0] == "WEBP"

    # The originals stay in the bucket: a backup holds the database, and a restore into a new
    # data folder (same bucket) finds every original there.
    backup = run_cli(settings.data_dir, "backup", str(tmp_path / "backup"), **env)
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert "not copied" in backup.stdout
    assert not (tmp_path / "backup" / "blobs").exists()
    # On PostgreSQL into a new database too: restore copies only into an empty one.
    if current_database_url():
        env["PHOTOARCHIVE_DATABASE_URL"] = request.getfixturevalue("postgres").new_database()
    restored = run_cli(tmp_path / "restored", "restore", str(tmp_path / "backup"), **env)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    again = run_cli(tmp_path / "restored", "verify", "--checksums", **env)
    assert again.returncode == 0 and "4 photos, 3 originals, 9 stored files" in again.stdout


def test_a_repair_remakes_no_renditions_of_a_turn_the_photo_left_meanwhile(
    tmp_path: Path,
) -> None:
    """Verify regenerates a missing rendition under the lock a turn takes (library/blobs.py):
    a photo turned between its finding and its repair is left with the turn's own files, and
    the next verify finds nothing left over."""
    settings = make_settings(tmp_path / "data")
    data = marked_jpeg()
    digest = hashlib.sha256(data).hexdigest()

    async def run() -> None:
        store = ControlledStore(settings.blob_dir, settings.tmp_dir)
        async with services(settings, store=store) as svc:
            alice = await person(svc, "alice")
            photo_id = await added(svc, alice, data)
            thumbnail = rendition_key(digest, "thumbnail")
            await store.delete(thumbnail)  # lost: verify --repair makes it again
            found = store.after_stat[thumbnail] = Pause()
            repair = asyncio.create_task(
                verify(svc.db, store, settings.tmp_dir, repair=True, grace=0)
            )
            await found.reached.wait()  # verify has seen it missing
            await rotations.set_rotation(svc, alice, photo_id, 90)
            found.go.set()
            await repair

            again = await verify(svc.db, store, settings.tmp_dir, grace=0)
            assert again.ok, again.lines()
            assert await store.stat(thumbnail) is None
            assert await store.stat(rendition_key(digest, "preview")) is None
            assert await store.stat(rendition_key(digest, "thumbnail", 90)) is not None

    asyncio.run(asyncio.wait_for(run(), 60))
