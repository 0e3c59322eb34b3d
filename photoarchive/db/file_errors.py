"""SQLite's errors about its file and the disk under it, said as the OSError they amount to:
for the operator's commands, which name the file and the reason (a full disk in plain words)."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from photoarchive.errors import InsufficientStorage

# SQLite's primary result codes for a file or disk that failed, as the errno they amount to.
_FILE_ERRNO = {
    sqlite3.SQLITE_FULL: errno.ENOSPC,
    sqlite3.SQLITE_READONLY: errno.EROFS,
    sqlite3.SQLITE_CANTOPEN: errno.EACCES,
}


# The codes that say the file or its disk failed, not the SQL: what opening a database says
# as OSError (a full disk often shows as an I/O error, when SQLite cannot map its -shm file).
FILE_CODES = frozenset(
    {
        *_FILE_ERRNO,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_NOTADB,
        sqlite3.SQLITE_CORRUPT,
    }
)
_PLAINLY = {errno.ENOSPC: "its disk is full", errno.EROFS: "its disk is mounted read-only"}
# Free space below which an I/O error of SQLite's is taken for what it nearly always is.
_NEARLY_FULL = 1024 * 1024


def result_code(exc: sqlite3.Error) -> int:
    return (getattr(exc, "sqlite_errorcode", None) or sqlite3.SQLITE_IOERR) & 0xFF


def file_error(exc: sqlite3.Error | InsufficientStorage, path: Path | None) -> OSError:
    code = sqlite3.SQLITE_FULL if isinstance(exc, InsufficientStorage) else result_code(exc)
    number = _FILE_ERRNO.get(code, errno.EIO)
    if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN) and path is not None:
        # What SQLite says of these is vague ("disk I/O error", "unable to open database
        # file"); the disk under the file often says why.
        with contextlib.suppress(OSError):
            disk = os.statvfs(path.parent)
            if disk.f_flag & os.ST_RDONLY:
                number = errno.EROFS
            elif disk.f_bavail * disk.f_frsize < _NEARLY_FULL:
                number = errno.ENOSPC
    if path is None:
        return OSError(number, str(exc))
    reason = _PLAINLY.get(number, str(exc))
    return OSError(number, f"cannot use {path}: {reason}")


@contextmanager
def sqlite_file_errors() -> Iterator[None]:
    """For a database file an operator's command makes itself (a backup's snapshot, a restore):
    SQLite's errors, a full disk met in a transaction included, said as the file errors they
    are (OSError), which the command reports with the file's name and cleans up after."""
    try:
        yield
    except (sqlite3.Error, InsufficientStorage) as exc:
        raise file_error(exc, None) from exc
