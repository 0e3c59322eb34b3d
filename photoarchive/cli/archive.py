"""The operator's commands on a whole archive: import, verify, backup, restore, purge."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from photoarchive.cli.common import open_archive as _open_archive
from photoarchive.cli.common import run as _run
from photoarchive.cli.common import settings as _settings
from photoarchive.cli.common import stopped as _stopped

# What Ctrl-C leaves, said once each command's clean-up has run.
VERIFY_STOPPED = "verify stopped before its report; it changes nothing, so nothing needs undoing"
REPAIR_STOPPED = (
    "verify stopped before its report; nothing half-written was kept (each repair made so far"
    " is whole): run it again to finish"
)
BACKUP_STOPPED = (
    "backup stopped; nothing half-written was kept: what it had written in {} was removed"
)
RESTORE_STOPPED = (
    "restore stopped; nothing half-written was kept: nothing of the backup is left in {} or"
    " the database"
)
RESTORE_STOPPED_AFTER_RECORDS = (
    "restore stopped after the originals and records were restored, before every rendition"
    " was made: run `photoarchive verify --repair` to finish"
)
PURGE_STOPPED = (
    "purge stopped; the photos deleted so far are gone for good and the others stay in the"
    " trash: run it again to finish, and `photoarchive verify --repair` to remove any file"
    " left behind"
)


def cmd_verify(args: argparse.Namespace) -> int:
    from photoarchive.db import DatabaseUnavailable
    from photoarchive.ops.progress import Progress
    from photoarchive.ops.verify import verify
    from photoarchive.storage import StorageError

    settings = _settings()
    db, store = _open_archive(settings)

    progress = Progress()  # ended by Ctrl-C too, so that the last line is a whole one

    async def run() -> int:
        try:
            await db.open()
            report = await verify(
                db,
                store,
                settings.tmp_dir,
                checksums=args.checksums,
                repair=args.repair,
                grace=args.grace,
                max_pixels=settings.max_pixels,
                progress=progress,
            )
        except StorageError as exc:
            print(f"photoarchive: the photo store cannot be read: {exc}", file=sys.stderr)
            return 2
        except DatabaseUnavailable as exc:
            print(f"photoarchive: {exc}", file=sys.stderr)
            return 2
        finally:
            await db.close()
            await store.close()
        print("\n".join(report.lines()))
        return 0 if report.ok else 1

    try:
        return _run(run())
    except KeyboardInterrupt:
        return _stopped(REPAIR_STOPPED if args.repair else VERIFY_STOPPED, progress)


def cmd_backup(args: argparse.Namespace) -> int:
    from photoarchive.db import DatabaseUnavailable
    from photoarchive.ops.backup import BackupError, backup
    from photoarchive.ops.db_copy import CopyError
    from photoarchive.ops.progress import Progress
    from photoarchive.storage import StorageError, original_key

    settings = _settings()
    db, store = _open_archive(settings)
    # Local originals are copied; a remote store (S3) keeps them, backed up by its own means.
    local = store.local_path(original_key("0" * 64)) is not None
    started = time.monotonic()

    progress = Progress()  # ended by Ctrl-C too, so that the last line is a whole one

    async def run() -> int:
        try:
            await db.open()
            summary = await backup(
                db,
                store,
                settings.data_dir,
                args.dest,
                include_originals=local,
                progress=progress,
            )
        except (BackupError, CopyError, DatabaseUnavailable, StorageError) as exc:
            print(f"photoarchive: {exc}", file=sys.stderr)
            return 2
        finally:
            await db.close()
            await store.close()
        counts = ", ".join(f"{n} {table}" for table, n in summary.counts.items())
        print(f"Database snapshot: {counts}")
        if summary.originals_included:
            print(f"Originals: {summary.originals} files, {summary.bytes / 1e6:.1f} MB")
        else:
            print("Originals: not copied; they stay in the object store (back up the bucket)")
        for dropped in summary.dropped:
            print(f"Left out: {dropped}, deleted while the backup ran")
        for problem in summary.problems:
            print(f"PROBLEM: {problem}")
        took = time.monotonic() - started
        print(
            f"Backup in {args.dest} ({took:.1f} s)" + (" WITH PROBLEMS" if summary.problems else "")
        )
        return 1 if summary.problems else 0

    try:
        return _run(run())
    except KeyboardInterrupt:
        return _stopped(BACKUP_STOPPED.format(args.dest), progress)


def cmd_restore(args: argparse.Namespace) -> int:
    from photoarchive.database_url import is_postgres, shown
    from photoarchive.db import DatabaseUnavailable, PostgresDatabase
    from photoarchive.ops.backup import BackupError
    from photoarchive.ops.db_copy import CopyError
    from photoarchive.ops.findings import REPAIRED
    from photoarchive.ops.progress import Progress
    from photoarchive.ops.restore import restore
    from photoarchive.storage import StorageError, build_store

    settings = _settings()
    store = build_store(settings)
    # With PostgreSQL the records go into its database, which must be empty (`db copy`).
    into = None
    if is_postgres(settings.database_url):
        into = PostgresDatabase(settings.database_url, 2, shown_as=shown(settings.database_url))

    records_in = False

    def restored_records() -> None:
        nonlocal records_in
        records_in = True

    progress = Progress()  # ended by Ctrl-C too, so that the last line is a whole one

    async def run() -> int:
        try:
            if into is not None:
                await into.open()
            summary = await restore(
                args.src,
                settings.data_dir,
                settings.database_path,
                settings.tmp_dir,
                store,
                max_pixels=settings.max_pixels,
                progress=progress,
                into=into,
                on_records_in=restored_records,
            )
        except (BackupError, CopyError, DatabaseUnavailable, StorageError) as exc:
            print(f"photoarchive: {exc}", file=sys.stderr)
            return 2
        finally:
            if into is not None:
                await into.close()
            await store.close()
        made = summary.manifest.get("created_at", "?")
        where = into.shown_as if into is not None else settings.data_dir
        print(f"Restored the backup taken {made} into {where}")
        print(f"Originals restored: {summary.originals}")
        for path in summary.damaged:
            print(f"PROBLEM: damaged in the backup, not restored: {path}")
        report = summary.report
        print(f"Renditions regenerated for {report.count(REPAIRED)} originals; then verified:")
        print("\n".join(f"  {line}" for line in report.lines() if not line.startswith("REPAIRED")))
        return 0 if summary.report.ok and not summary.damaged else 1

    try:
        return _run(run())
    except KeyboardInterrupt:
        if records_in:
            return _stopped(RESTORE_STOPPED_AFTER_RECORDS, progress)
        return _stopped(RESTORE_STOPPED.format(settings.data_dir), progress)


def cmd_purge(args: argparse.Namespace) -> int:
    from photoarchive.library import trash

    settings = _settings()
    db, store = _open_archive(settings)

    async def run() -> int:
        await db.open()
        try:
            purged = await trash.purge_expired(db, store, settings.trash_days)
        finally:
            await db.close()
            await store.close()
        print(
            f"Deleted for good: {purged} photos in the trash for {settings.trash_days} days or more"
        )
        return 0

    try:
        return _run(run())
    except KeyboardInterrupt:
        return _stopped(PURGE_STOPPED)


def cmd_import(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from photoarchive.ops import importer
    from photoarchive.storage import build_store

    if not args.paths and args.files_from is None:
        print("photoarchive: name the files or folders to import, or --files-from", file=sys.stderr)
        return 2
    settings = _settings()
    jobs = args.jobs or os.cpu_count() or 1
    listing = None
    if args.files_from == "-":
        listing = sys.stdin.fileno()
    elif args.files_from is not None:
        try:
            listing = os.open(args.files_from, os.O_RDONLY)  # read to its end by a thread
        except OSError as exc:
            print(f"photoarchive: cannot read {args.files_from}: {exc.strerror}", file=sys.stderr)
            return 2
    try:
        return _run(
            importer.run(
                settings,
                build_store(settings),
                [Path(path) for path in args.paths],
                username=args.user,
                jobs=jobs,
                caption_from_filename=args.caption_from_filename,
                private=args.visibility == "private",
                files_from=listing,
                separator=b"\0" if args.null else b"\n",
            )
        )
    except KeyboardInterrupt:
        print(importer.INTERRUPTED, file=sys.stderr)
        return 130


def register(sub: Any) -> None:
    """import, verify, backup, restore and purge."""
    imp = sub.add_parser(
        "import", help="import photos from files and folders (recursively) for one account"
    )
    imp.add_argument("paths", nargs="*", metavar="PATH", help="a photo or a folder of photos")
    imp.add_argument(
        "--files-from",
        metavar="FILE",
        help="also import the files and folders listed in FILE, one per line ('-': standard"
        " input), as the list arrives: find ~/Pictures -newer stamp | photoarchive import"
        " --files-from - --user NAME",
    )
    imp.add_argument(
        "-0", "--null", action="store_true", help="the list is NUL-separated (find -print0)"
    )
    imp.add_argument("--user", required=True, help="the account that will own the photos")
    imp.add_argument(
        "--caption-from-filename", action="store_true", help="caption each photo with its name"
    )
    imp.add_argument(
        "--visibility",
        choices=("family", "private"),
        default="private",
        help="who sees the imported photos: the family (in the feed) or only you (default:"
        " private, so that a whole camera roll does not flood the family feed)",
    )
    imp.add_argument(
        "--jobs", type=int, default=0, help="photos processed at once (default: all cores)"
    )
    imp.set_defaults(func=cmd_import)

    verify = sub.add_parser(
        "verify",
        help="check the database and that every photo's files are stored (exit 0: all is well)",
    )
    verify.add_argument("--checksums", action="store_true", help="read every original")
    verify.add_argument(
        "--repair",
        action="store_true",
        help="regenerate missing renditions, recount, delete leftovers older than --grace",
    )
    verify.add_argument(
        "--grace",
        type=_seconds,
        default=3600.0,
        metavar="SECONDS",
        help="leftovers younger than this may belong to an upload in progress (default 3600)",
    )
    verify.set_defaults(func=cmd_verify)

    backup = sub.add_parser("backup", help="copy the database and originals, while serving")
    backup.add_argument("dest", type=Path, help="a new or empty folder")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="restore a backup into an empty data folder")
    restore.add_argument("src", type=Path, help="a folder made by `photoarchive backup`")
    restore.set_defaults(func=cmd_restore)

    purge = sub.add_parser(
        "purge",
        help="delete for good the photos in the trash for PHOTOARCHIVE_TRASH_DAYS (the server"
        " does it by itself, at start and hourly)",
    )
    purge.set_defaults(func=cmd_purge)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isnan(value):  # "nan" is a float, older than no age: every leftover would go
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value
