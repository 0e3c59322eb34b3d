"""A full disk under the database, for real: the whole data dir lives on a tiny tmpfs that a
ballast file fills. A write that no longer fits is answered with 507 and a message a person
understands, leaves nothing half-saved, and works again once space is freed."""

# SQLite only: it fills the disk under the data dir's SQLite file; PostgreSQL's disk is its own.

from __future__ import annotations

from pathlib import Path

from tests.processes import server_process
from tests.support import PASSWORD, PHOTOS, api_login, fill, small_filesystem, upload

PHOTO = PHOTOS / "cameras" / "Canon_40D.jpg"


def test_a_full_database_disk_answers_507_and_saves_nothing_half(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "small", "4m") as disk:
        data_dir = disk / "data"
        data_dir.mkdir()
        with server_process(data_dir) as server:
            signup = {"username": "alice", "email": "alice@example.org", "password": PASSWORD}
            assert server.client().post("/api/v1/auth/signup", json=signup).status_code == 201
            alice = api_login(server, "alice")
            photo_id = upload(alice, PHOTO).json()["items"][0]["id"]
            comments = f"/api/v1/photos/{photo_id}/comments"
            ballast = fill(disk, 8 * 4096)

            saved, refused = 0, None
            for n in range(300):  # each comment grows the write-ahead log until it cannot
                answer = alice.post(comments, json={"text": f"{n:04d} " + "x" * 1990})
                if answer.status_code != 201:
                    refused = answer
                    break
                saved += 1
            assert refused is not None, "the disk never filled"
            assert refused.status_code == 507, (refused.status_code, refused.text)
            assert "disk is full" in refused.json()["detail"], refused.text
            assert alice.get("/api/v1/me").status_code == 200  # reading goes on
            listed = alice.get(comments).json()["items"]
            assert len(listed) == saved  # every 201 was kept, the refused one is nowhere
            log = server.log()
            assert "Traceback" not in log and "unhandled error" not in log

            ballast.unlink()
            again = alice.post(comments, json={"text": "there is room again"})
            assert again.status_code == 201, again.text
            assert server.count("comments") == saved + 1
