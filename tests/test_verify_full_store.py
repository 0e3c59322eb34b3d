"""`verify --repair` on a photo store too full to take the renditions it remakes, for real (a
tiny tmpfs with no inode to spare): the finding says the rendition could not be written, and
why, and verify goes on to its report rather than stopping at the first one."""

# SQLite only: the store is the data dir's own folder, on the small disk with it.

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from photoarchive.storage import rendition_key
from tests.processes import distinct_jpeg, run_cli
from tests.support import (
    api_login,
    live_server,
    make_settings,
    sign_up,
    small_filesystem,
    upload_bytes,
)


def _spare_inodes(disk: Path, spare: int) -> None:
    """Leave `spare` files or folders still to make on `disk`: as full as a disk gets."""
    stats = os.statvfs(disk)
    used = stats.f_files - stats.f_ffree
    subprocess.run(["mount", "-o", f"remount,nr_inodes={used + spare}", str(disk)], check=True)


def test_a_rendition_the_full_store_cannot_take_is_said_not_written(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk", "32m") as disk:
        settings = make_settings(disk / "data")
        with live_server(settings) as server:  # running: the database's files stay open
            sign_up(server, "alice")
            alice = api_login(server, "alice")
            digests = []
            for _ in range(2):
                made = upload_bytes(alice, "photo.jpg", distinct_jpeg())
                assert made.status_code == 201, made.text
                digests.append(made.json()["items"][0]["sha256"])
            # The second photo's renditions gone, folders and all: storing them again needs
            # new folders, and so inodes.
            keys = [rendition_key(digests[1], name) for name in ("thumbnail", "preview")]
            for key in keys:
                shutil.rmtree((settings.blob_dir / key).parent.parent)

            _spare_inodes(disk, 0)  # not even the original's temp copy fits
            no_room = run_cli(settings.data_dir, "verify", "--repair")

            _spare_inodes(disk, 1)  # the temp copy fits; the renditions' folders do not
            full = run_cli(settings.data_dir, "verify", "--repair")

        for result in (no_room, full):
            assert result.returncode == 1, result.stdout + result.stderr
            assert "Traceback" not in result.stderr, result.stderr
            assert "could not read" not in result.stdout, result.stdout
            assert "1 problems, 0 repaired" in result.stdout, result.stdout
        assert "rendition missing, could not be written (" in full.stdout, full.stdout
        assert "The photo store is full." in full.stdout, full.stdout
        assert all(key in full.stdout for key in keys), full.stdout
        assert "rendition missing, could not be made (" in no_room.stdout, no_room.stdout
        assert f"{settings.tmp_dir}: its disk is full" in no_room.stdout, no_room.stdout
        assert list(settings.tmp_dir.glob("verify-*")) == []
