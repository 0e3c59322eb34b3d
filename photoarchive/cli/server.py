"""`photoarchive serve` and `photoarchive healthcheck`."""

from __future__ import annotations

import argparse
import ctypes
import json
import sys
import urllib.request
from typing import Any

from photoarchive import __version__
from photoarchive.cli.common import fail, stopped
from photoarchive.cli.common import settings as _settings
from photoarchive.settings import PORT_MAX

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
    from photoarchive.web.server import StartFailureReason, server_config

    _return_large_blocks_to_the_os()
    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    settings = _settings(**overrides)
    app = StartFailureReason(create_app(settings))
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
    try:
        server.run()
    except KeyboardInterrupt:
        # uvicorn shuts down on Ctrl-C as on SIGTERM, then raises it again for the shell.
        return stopped("the server stopped (Ctrl-C)")
    except SystemExit:
        if app.reason is not None:  # uvicorn exits 3 when the start-up failed: say why instead
            fail(app.reason)
        raise
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


def register(sub: Any) -> None:
    """The server's commands."""
    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", help="listen address (default PHOTOARCHIVE_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="listen port (default PHOTOARCHIVE_PORT or 8000)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(func=cmd_serve)

    health = sub.add_parser("healthcheck", help="exit 0 when the local server answers /healthz")
    health.set_defaults(func=cmd_healthcheck)


def _port(text: str) -> int:
    """A TCP port, as PHOTOARCHIVE_PORT is checked: anything else would be taken modulo 65536
    by the socket, and the server would listen elsewhere than it says."""
    try:
        port = int(text, 10)
    except ValueError:
        port = 0
    if not 1 <= port <= PORT_MAX:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to {PORT_MAX}")
    return port
