"""What every command shares: settings from the environment, failing, opening an archive."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

from photoarchive.database_url import is_postgres
from photoarchive.settings import Settings, SettingsError

if TYPE_CHECKING:
    from photoarchive.ops.progress import Progress


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
