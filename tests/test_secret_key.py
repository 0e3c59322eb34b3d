"""The secret key kept in the data dir: never left empty, whatever the disk does."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoarchive.secret_key import load_or_create_secret
from tests.support import fill, small_filesystem


def test_a_disk_too_full_for_the_key_leaves_no_empty_key_behind(tmp_path: Path) -> None:
    """An empty key file would be read at the next start as the key: one anyone knows."""
    with small_filesystem(tmp_path / "disk", "64k") as disk:
        data_dir = disk / "data"
        data_dir.mkdir()
        ballast = fill(disk, 0)
        with pytest.raises(OSError):
            load_or_create_secret(data_dir)
        assert list(data_dir.iterdir()) == []

        ballast.unlink()  # space freed: the next start makes the key
        secret = load_or_create_secret(data_dir)
        assert len(secret) == 64
        assert (data_dir / "secret_key").read_text() == secret + "\n"
        assert load_or_create_secret(data_dir) == secret
        assert [p.name for p in data_dir.iterdir()] == ["secret_key"]


def test_an_empty_key_left_by_an_earlier_full_disk_is_replaced(tmp_path: Path) -> None:
    kept = tmp_path / "secret_key"
    kept.write_text("")
    kept.chmod(0o600)

    secret = load_or_create_secret(tmp_path)

    assert len(secret) == 64
    assert kept.read_text() == secret + "\n"
    assert kept.stat().st_mode & 0o777 == 0o600
    assert load_or_create_secret(tmp_path) == secret
