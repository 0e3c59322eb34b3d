"""`photoarchive users ...`: accounts from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from photoarchive.cli.common import fail as _fail
from photoarchive.cli.common import settings as _settings


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
    from photoarchive.db import build_database
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
        db = build_database(settings, readers=1)
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
                quota_bytes=settings.default_quota_bytes,
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
        from photoarchive.db import build_database

        if not settings.database_url and not settings.database_path.is_file():
            _fail(f"no archive at {settings.data_dir}; set PHOTOARCHIVE_DATA_DIR")
        db = build_database(settings, readers=1)
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


def register(sub: Any) -> None:
    """`users create` and `users reset-link`."""
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
