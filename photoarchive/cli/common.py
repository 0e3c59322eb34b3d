"""What every command shares: settings from the environment, failing, opening an archive."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from photoarchive.database_url import is_postgres
from photoarchive.settings import Settings, SettingsError

if TYPE_CHECKING:
    from photoarchive.ops.progress import Progress

T = TypeVar("T")


def settings(**overrides: object) -> Settings:
    try:
        return Settings.from_env(None, **overrides)
    except SettingsError as exc:
        fail(f"configuration error: {exc}")


def fail(message: str) -> NoReturn:
    """Exit with status 2, which every command uses for "could not run"."""
    print(f"photoarchive: {message}", file=sys.stderr)
    raise SystemExit(2)


def stopped(message: str, progress: Progress | None = None) -> int:
    """Ctrl-C, once the command's clean-up has run: what it kept, in one line (below the
    progress bar it was drawing), and the status a shell gives a command SIGINT stopped."""
    if progress is not None:
        progress.finish()
    print(f"photoarchive: {message}", file=sys.stderr)
    return 130


def open_archive(settings: Settings) -> tuple[Any, Any]:
    """The database and blob store of an existing archive, for the operator commands."""
    from photoarchive.db import build_database
    from photoarchive.storage import build_store

    if is_postgres(settings.database_url):
        return build_database(settings, readers=2), build_store(settings)
    if not settings.database_path.is_file():
        fail(
            f"no archive at {settings.data_dir} (no {settings.database_path.name});"
            " set PHOTOARCHIVE_DATA_DIR"
        )
    return build_database(settings, readers=2), build_store(settings)


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run for a command, without one report of Python 3.11's at Ctrl-C: a thread's
    result arriving for a future the interrupt has settled already makes the loop print
    "Exception in callback _chain_future..." with a traceback, though nothing is wrong (the
    command's own clean-up then says what was kept). Every other report is printed as ever."""
    with asyncio.Runner() as runner:
        runner.get_loop().set_exception_handler(quiet_settled_futures)
        return runner.run(main)


def quiet_settled_futures(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    late = isinstance(context.get("exception"), asyncio.InvalidStateError)
    if late and "_chain_future" in str(context.get("message", "")):
        return
    loop.default_exception_handler(context)
