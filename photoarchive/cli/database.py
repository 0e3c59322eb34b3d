"""`photoarchive db copy --to URL` and `--from URL`: the archive's database into another, or
another into the archive's, SQLite or PostgreSQL either way (ops/db_copy.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photoarchive.cli.common import fail as _fail
from photoarchive.cli.common import run as _run
from photoarchive.cli.common import settings as _settings
from photoarchive.cli.common import stopped as _stopped

if TYPE_CHECKING:
    from photoarchive.db import AppDatabase

# What a SQLite database leaves beside its file (WAL, shared memory, named locks).
_SIDE_FILES = ("-wal", "-shm", "-locks")


class _Side:
    """One end of a copy: the database, how it is shown, and the SQLite file it may create."""

    def __init__(self, db: AppDatabase, shown_as: str, new_file: Path | None = None) -> None:
        self.db = db
        self.shown_as = shown_as
        self.new_file = new_file  # created by this copy: removed again if the copy fails

    def remove_new_file(self) -> None:
        if self.new_file is not None:
            for path in [self.new_file, *(Path(f"{self.new_file}{s}") for s in _SIDE_FILES)]:
                path.unlink(missing_ok=True)


def _named(url: str, option: str, *, source: bool) -> _Side:
    from photoarchive.database_url import is_postgres, parse_database_url, shown, sqlite_path
    from photoarchive.db import Database, PostgresDatabase

    try:
        parse_database_url(url)
    except ValueError as exc:
        _fail(str(exc).replace("PHOTOARCHIVE_DATABASE_URL", option))
    if not url:
        _fail(f"{option} needs a URL: sqlite:///path/to/file or postgresql://...")
    if is_postgres(url):
        return _Side(PostgresDatabase(url, 2, shown_as=shown(url)), shown(url))
    path = sqlite_path(url)
    assert path is not None
    if source and not path.is_file():
        _fail(f"{option}: there is no SQLite database at {path}")
    return _Side(Database(path, readers=1), str(path), None if path.exists() else path)


def _configured(*, source: bool) -> _Side:
    from photoarchive.database_url import is_postgres, shown
    from photoarchive.db import build_database

    settings = _settings()
    if is_postgres(settings.database_url):
        return _Side(build_database(settings, readers=1), shown(settings.database_url))
    path = settings.database_path
    if source:
        if not path.is_file():
            _fail(f"no archive at {settings.data_dir} (no {path.name}); set PHOTOARCHIVE_DATA_DIR")
        return _Side(build_database(settings, readers=1), str(path))
    return _Side(build_database(settings, readers=1), str(path), None if path.exists() else path)


def _same(one: _Side, other: _Side) -> bool:
    from photoarchive.database_url import is_postgres

    files = [
        Path(side.shown_as).resolve() for side in (one, other) if not is_postgres(side.shown_as)
    ]
    return one.shown_as == other.shown_as or (len(files) == 2 and files[0] == files[1])


def cmd_copy(args: argparse.Namespace) -> int:
    from photoarchive.db import DatabaseUnavailable
    from photoarchive.ops.db_copy import CopyError, copy_database
    from photoarchive.ops.progress import Progress

    if args.to is not None:
        source, target = _configured(source=True), _named(args.to, "--to", source=False)
    else:
        source, target = _named(args.src, "--from", source=True), _configured(source=False)
    if _same(source, target):
        _fail("the source and the target are the same database")

    progress = Progress()  # ended by Ctrl-C too, so that the last line is a whole one

    async def run() -> int:
        opened = []
        try:
            for side in (source, target):
                await side.db.open()  # each brought up to the current schema
                opened.append(side)
            summary = await copy_database(
                source.db,
                target.db,
                source_name=source.shown_as,
                target_name=target.shown_as,
                progress=progress,
            )
        except (CopyError, DatabaseUnavailable, OSError) as exc:
            said = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            print(f"photoarchive: {said}", file=sys.stderr)
            return 2
        finally:
            for side in opened:
                await side.db.close()
        print(f"Copied {source.shown_as} to {target.shown_as} (schema {summary.schema_version}):")
        print("\n".join(summary.lines()))
        print("Every table's row count matches. The photos' files were not touched: give the")
        print("target the same storage settings as the source.")
        return 0

    code = 1
    try:
        code = _run(run())
    except KeyboardInterrupt:  # the target's transaction was rolled back on the way out
        return _stopped(
            f"copy stopped; nothing was copied: {target.shown_as} is as it was", progress
        )
    finally:
        if code != 0:  # failed, stopped, or an error on its way to main: no empty file left
            target.remove_new_file()
    return code


def register(sub: Any) -> None:
    """db copy."""
    db = sub.add_parser("db", help="the archive's database as a whole")
    actions = db.add_subparsers(dest="db_command", required=True)
    copy = actions.add_parser(
        "copy",
        help="copy the whole database into an empty one, SQLite or PostgreSQL (the photos'"
        " files stay where they are); stop the server first, or writes made after the copy"
        " began stay behind",
    )
    way = copy.add_mutually_exclusive_group(required=True)
    way.add_argument(
        "--to",
        metavar="URL",
        help="from the archive's database (PHOTOARCHIVE_DATABASE_URL, else the data dir's"
        " file) into the one at URL: sqlite:///path or postgresql://user:pw@host/db",
    )
    way.add_argument(
        "--from",
        dest="src",
        metavar="URL",
        help="from the database at URL into the archive's, which must be empty",
    )
    copy.set_defaults(func=cmd_copy)
