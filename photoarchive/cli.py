"""The `photoarchive` command."""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import getpass
import json
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from photoarchive import __version__
from photoarchive.settings import Settings, SettingsError


def _settings(**overrides: object) -> Settings:
    try:
        return Settings.from_env(None, **overrides)
    except SettingsError as exc:
        _fail(f"configuration error: {exc}")


def _fail(message: str) -> NoReturn:
    """Exit with status 2, which every command uses for "could not run"."""
    print(f"photoarchive: {message}", file=sys.stderr)
    raise SystemExit(2)


# glibc's mallopt() parameter for the size from which blocks are mmap()ed (and unmapped on free).
_M_MMAP_THRESHOLD = -3


def _return_large_blocks_to_the_os() -> None:
    """Fix glibc's mmap threshold at 1 MiB, so big blocks go back to the OS when freed.

    By default the threshold rises to the largest block ever freed: after one argon2 hash
    (19 MiB) every later one is carved from the heap and stays resident, about 20 MiB of RSS for
    each thread that has checked a password. Setting it explicitly turns that adaptation off."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return  # not glibc: nothing to tune
    mallopt(_M_MMAP_THRESHOLD, 1024 * 1024)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from photoarchive.app import create_app
    from photoarchive.web.server import server_config

    _return_large_blocks_to_the_os()
    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    settings = _settings(**overrides)
    app = create_app(settings)
    config = server_config(
        app,
        settings,
        host=settings.host,
        port=settings.port,
        loop="auto",
        access_log=args.access_log,
        log_level="info",
    )
    server = uvicorn.Server(config)
    print(
        f"Photoarchive {__version__} on http://{settings.host}:{settings.port} "
        f"(data in {settings.data_dir})",
        file=sys.stderr,
        flush=True,
    )
    server.run()
    return 0


def cmd_healthcheck(args: argparse.Namespace) -> int:
    settings = _settings()
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    url = f"http://{host}:{settings.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
    except (OSError, ValueError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    ok = body.get("status") == "ok"
    print("ok" if ok else f"unhealthy: {body}")
    return 0 if ok else 1


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise SystemExit("photoarchive: the passwords do not match")
    return first


def cmd_users_create(args: argparse.Namespace) -> int:
    from photoarchive.accounts import users
    from photoarchive.accounts.passwords import Passwords
    from photoarchive.db import Database
    from photoarchive.errors import AppError

    settings = _settings()
    if settings.auth != "local":
        # A password set here would never be asked for: Cognito checks every sign-in.
        _fail(
            "with PHOTOARCHIVE_AUTH=cognito, accounts live in the Cognito user pool: people sign"
            " up on the archive's sign-up page, or an operator creates them in the pool; name"
            " administrators with PHOTOARCHIVE_ADMINS"
        )
    password = _read_password()

    async def run() -> int:
        db = Database(settings.database_path, readers=1)
        await db.open()
        try:
            user = await users.create(
                db,
                Passwords(settings.argon2_memory_kib, settings.argon2_time_cost),
                username=args.username,
                email=args.email,
                password=password,
                registration="open",
                is_admin=args.admin,
            )
        except AppError as exc:
            print(f"photoarchive: {exc.message}", file=sys.stderr)
            return 1
        finally:
            await db.close()
        role = "administrator" if user.is_admin else "member"
        print(f"Created {role} {user.username} <{user.email}>")
        return 0

    return asyncio.run(run())


def cmd_users_reset_link(args: argparse.Namespace) -> int:
    from photoarchive.accounts import resets
    from photoarchive.errors import AppError

    settings = _settings()
    if not resets.offered(settings):
        _fail(
            "with PHOTOARCHIVE_AUTH=cognito, passwords live in the Cognito user pool: people"
            " reset theirs with 'Forgot your password?' on the sign-in page, or an operator"
            " resets it in the pool"
        )

    async def run() -> int:
        from photoarchive.db import Database

        if not settings.database_path.is_file():
            _fail(f"no archive at {settings.data_dir}; set PHOTOARCHIVE_DATA_DIR")
        db = Database(settings.database_path, readers=1)
        await db.open()
        try:
            token, _expires = await resets.create(db, args.username, created_by=None)
        except AppError as exc:
            print(f"photoarchive: {exc.message}", file=sys.stderr)
            return 1
        finally:
            await db.close()
        print(resets.url(settings.public_url, token))
        return 0

    return asyncio.run(run())


def _open_archive(settings: Settings) -> tuple[Any, Any]:
    """The database and blob store of an existing archive, for the operator commands."""
    from photoarchive.db import Database
    from photoarchive.storage import build_store

    if not settings.database_path.is_file():
        _fail(
            f"no archive at {settings.data_dir} (no {settings.database_path.name});"
            " set PHOTOARCHIVE_DATA_DIR"
        )
    return Database(settings.database_path, readers=2), build_store(settings)


def cmd_verify(args: argparse.Namespace) -> int:
    from photoarchive.ops.verify import Progress, verify
    from photoarchive.storage import StorageError

    settings = _settings()
    db, store = _open_archive(settings)

    async def run() -> int:
        await db.open()
        try:
            report = await verify(
                db,
                store,
                settings.tmp_dir,
                checksums=args.checksums,
                repair=args.repair,
                grace=args.grace,
                max_pixels=settings.max_pixels,
                progress=Progress(),
            )
        except StorageError as exc:
            print(f"photoarchive: the photo store cannot be read: {exc}", file=sys.stderr)
            return 2
        finally:
            await db.close()
            await store.close()
        print("\n".join(report.lines()))
        return 0 if report.ok else 1

    return asyncio.run(run())


def cmd_backup(args: argparse.Namespace) -> int:
    from photoarchive.ops.backup import BackupError, backup
    from photoarchive.ops.verify import Progress
    from photoarchive.storage import StorageError, original_key

    settings = _settings()
    db, store = _open_archive(settings)
    # Local originals are copied; a remote store (S3) keeps them, backed up by its own means.
    local = store.local_path(original_key("0" * 64)) is not None
    started = time.monotonic()

    async def run() -> int:
        await db.open()
        try:
            summary = await backup(
                db,
                store,
                settings.data_dir,
                args.dest,
                include_originals=local,
                progress=Progress(),
            )
        except (BackupError, StorageError) as exc:
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

    return asyncio.run(run())


def cmd_restore(args: argparse.Namespace) -> int:
    from photoarchive.ops.backup import BackupError, restore
    from photoarchive.ops.verify import REPAIRED, Progress
    from photoarchive.storage import StorageError, build_store

    settings = _settings()
    store = build_store(settings)

    async def run() -> int:
        try:
            summary = await restore(
                args.src,
                settings.data_dir,
                settings.database_path,
                settings.tmp_dir,
                store,
                max_pixels=settings.max_pixels,
                progress=Progress(),
            )
        except (BackupError, StorageError) as exc:
            print(f"photoarchive: {exc}", file=sys.stderr)
            return 2
        finally:
            await store.close()
        made = summary.manifest.get("created_at", "?")
        print(f"Restored the backup taken {made} into {settings.data_dir}")
        print(f"Originals restored: {summary.originals}")
        for path in summary.damaged:
            print(f"PROBLEM: damaged in the backup, not restored: {path}")
        report = summary.report
        print(f"Renditions regenerated for {report.count(REPAIRED)} originals; then verified:")
        print("\n".join(f"  {line}" for line in report.lines() if not line.startswith("REPAIRED")))
        return 0 if summary.report.ok and not summary.damaged else 1

    return asyncio.run(run())


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
        return asyncio.run(
            importer.run(
                settings,
                build_store(settings),
                [Path(path) for path in args.paths],
                username=args.user,
                jobs=jobs,
                caption_from_filename=args.caption_from_filename,
                files_from=listing,
                separator=b"\0" if args.null else b"\n",
            )
        )
    except KeyboardInterrupt:
        print(importer.INTERRUPTED, file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="photoarchive", description=__doc__)
    parser.add_argument("--version", action="version", version=f"photoarchive {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", help="listen address (default PHOTOARCHIVE_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default PHOTOARCHIVE_PORT or 8000)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(func=cmd_serve)

    health = sub.add_parser("healthcheck", help="exit 0 when the local server answers /healthz")
    health.set_defaults(func=cmd_healthcheck)

    users_cmd = sub.add_parser("users", help="manage accounts")
    users_sub = users_cmd.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser(
        "create", help="create an account (password from the prompt or stdin)"
    )
    create.add_argument("username")
    create.add_argument("--email", required=True)
    create.add_argument("--admin", action="store_true", help="make the account an administrator")
    create.set_defaults(func=cmd_users_create)
    reset_link = users_sub.add_parser(
        "reset-link",
        help="print a single-use, expiring link where the account sets a new password (its"
        " older unused links stop working)",
    )
    reset_link.add_argument("username")
    reset_link.set_defaults(func=cmd_users_reset_link)

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
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
