"""The `photoarchive` command: one module per group of subcommands, each adding its own parsers."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from photoarchive import __version__
from photoarchive.cli import archive, database, places, server, users
from photoarchive.cli.common import fail


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="photoarchive", description="The photoarchive command.")
    parser.add_argument("--version", action="version", version=f"photoarchive {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (server, users, archive, places, database):
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Exception as exc:
        from photoarchive.db import DatabaseUnavailable, IntegrityError  # heavy: not for all
        from photoarchive.errors import AppError
        from photoarchive.storage import StorageError

        # A PostgreSQL not there (named without its password), a store that cannot be used.
        if isinstance(exc, DatabaseUnavailable | StorageError):
            fail(str(exc))
        # The database gone while working (PostgreSQL restarted), its disk full: said as the
        # server says them.
        if isinstance(exc, AppError):
            fail(exc.message)
        if isinstance(exc, IntegrityError):  # rows an older archive let in that this one refuses
            fail(
                f"the database refused a row: {exc}. Run `photoarchive verify` on the source"
                " archive, mend what it reports, and run the command again."
            )
        if isinstance(exc, OSError):  # the data folder or its disk: full, or mounted read-only
            fail(f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror or str(exc))
        raise
