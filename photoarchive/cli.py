"""The `photoarchive` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
import urllib.request
from collections.abc import Sequence

from photoarchive import __version__
from photoarchive.settings import Settings, SettingsError


def _settings(**overrides: object) -> Settings:
    try:
        return Settings.from_env(**overrides)
    except SettingsError as exc:
        raise SystemExit(f"photoarchive: configuration error: {exc}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from photoarchive.app import create_app

    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    settings = _settings(**overrides)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http="httptools",
        loop="auto",
        lifespan="on",
        server_header=False,
        proxy_headers=False,
        access_log=args.access_log,
        log_level="info",
        timeout_graceful_shutdown=10,
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
    from photoarchive import users
    from photoarchive.auth.passwords import Passwords
    from photoarchive.db import Database
    from photoarchive.errors import AppError

    settings = _settings()
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
