"""A full disk under the photo store, for real: the blobs and temp folders live on a tiny tmpfs
that a ballast file fills. Whether the disk fills while the upload is spooled or while its
renditions are stored, the answer is 507 with a clear message and nothing is left behind;
once space is freed the same photo uploads fine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import ServerProcess, run_cli, server_process
from tests.support import PASSWORD, PHOTOS, api_login, fill, small_filesystem, upload_bytes

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PHOTO = PHOTOS / "cameras" / "Reconyx_HC500_Hyperfire.jpg"  # 416 KiB; its preview is ~180 KiB
PAGE = 4096


def _nothing_left(server: ServerProcess) -> None:
    assert server.count("photos") == 0
    assert server.blobs() == []
    assert server.temp_files() == []


@pytest.fixture
def server_on_small_disk(tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with small_filesystem(tmp_path / "small", "4m") as disk:
        # The database stays on the roomy disk; blobs and upload temp files share the small one
        # (they must: a finished upload is renamed from one into the other).
        for name in ("blobs", "tmp"):
            (disk / name).mkdir()
            (data_dir / name).symlink_to(disk / name)
        with server_process(data_dir) as server:
            signup = {"username": "alice", "email": "alice@example.org", "password": PASSWORD}
            assert server.client().post("/api/v1/auth/signup", json=signup).status_code == 201
            yield server, disk


@pytest.mark.parametrize(
    ("where", "leave"),
    [
        # Less room than the photo: the disk fills while the upload is spooled to a temp file.
        ("spooling the upload", 16 * PAGE),
        # Room for the photo but not its renditions: the disk fills inside the blob store.
        ("storing renditions", PHOTO.stat().st_size + 16 * PAGE),
    ],
)
def test_a_full_disk_answers_507_and_leaves_nothing(
    server_on_small_disk: tuple[ServerProcess, Path], where: str, leave: int
) -> None:
    server, disk = server_on_small_disk
    alice = api_login(server, "alice")
    data = PHOTO.read_bytes()
    ballast = fill(disk, leave)

    refused = upload_bytes(alice, "big.jpg", data)
    assert refused.status_code == 507, (where, refused.status_code, refused.text)
    assert "full" in refused.text, refused.text
    _nothing_left(server)
    assert alice.get("/api/v1/me").status_code == 200  # still serving
    log = server.log()
    assert "Traceback" not in log and "unhandled error" not in log

    ballast.unlink()
    accepted = upload_bytes(alice, "big.jpg", data)
    assert accepted.status_code == 201, accepted.text
    photo_id = accepted.json()["items"][0]["id"]
    assert alice.get(f"/media/{photo_id}/original").content == data
    if not server.settings.database_url:  # verify reads a SQLite archive only, for now
        check = run_cli(server.settings.data_dir, "verify", "--grace", "0")
        assert check.returncode == 0, check.stdout
