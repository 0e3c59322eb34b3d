"""psycopg's errors as the seam's own (db/protocol.py), so that nobody above `db/` imports
psycopg, and a full disk said as a person understands it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors

from photoarchive.db.protocol import ForeignKeyViolation, IntegrityError, UniqueViolation
from photoarchive.errors import InsufficientStorage

DISK_FULL = (
    "The database server's disk is full, so this was not saved. Whoever runs the archive needs"
    " to free some space; everything saved before is safe."
)


@contextmanager
def neutral_errors() -> Iterator[None]:
    """psycopg's errors as the seam's own, so nobody above `db/` imports psycopg."""
    try:
        yield
    except pg_errors.UniqueViolation as exc:
        raise UniqueViolation(why(exc)) from exc
    except pg_errors.ForeignKeyViolation as exc:
        raise ForeignKeyViolation(why(exc)) from exc
    except psycopg.IntegrityError as exc:
        raise IntegrityError(why(exc)) from exc
    except pg_errors.DiskFull:
        raise InsufficientStorage(DISK_FULL) from None


def why(exc: psycopg.Error) -> str:
    return exc.diag.message_primary or type(exc).__name__
