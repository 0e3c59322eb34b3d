"""How `photoarchive import` opens the files it reads (ops/file_lists.py), directly: fast."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from photoarchive.ops import file_lists


def test_a_file_swapped_for_a_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    """The importer looks at a file, then reads it: swapped for a pipe in between (by whoever
    may write the folder), a plain open() waited for a writer for ever, and the import with it."""
    pipe = tmp_path / "IMG_0001.jpg"
    os.mkfifo(pipe)
    outcome: list[BaseException | tuple[str, int]] = []

    def read() -> None:
        try:
            outcome.append(file_lists.sha256_of(pipe))
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # let the stuck open() go before failing
        os.close(os.open(pipe, os.O_WRONLY))
        reader.join(timeout=10)
        pytest.fail("sha256_of waited on a pipe")
    assert isinstance(outcome[0], OSError) and "regular file" in str(outcome[0])
    copy = tmp_path / "copy"
    copy.touch()
    with pytest.raises(OSError, match="regular file"):
        file_lists.copy_hashed(pipe, copy)
    assert copy.read_bytes() == b""


def test_a_regular_file_reads_whole(tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"x" * (file_lists.CHUNK + 5))
    digest, size = file_lists.sha256_of(photo)
    assert size == file_lists.CHUNK + 5
    copy = tmp_path / "copy"
    copy.touch()
    assert file_lists.copy_hashed(photo, copy) == digest
    assert copy.read_bytes() == photo.read_bytes()
