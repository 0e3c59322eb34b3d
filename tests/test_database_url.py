"""PHOTOARCHIVE_DATABASE_URL: which database the archive uses, and its password never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoarchive.db import Database, PostgresDatabase, build_database
from photoarchive.settings import Settings, SettingsError

SECRET = "s3cr%40t-pw"  # percent-encoded, as a password with an @ is written in a URL


def from_env(url: str, **more: str) -> Settings:
    env = {"PHOTOARCHIVE_DATA_DIR": "/srv/archive", "PHOTOARCHIVE_DATABASE_URL": url, **more}
    return Settings.from_env(env)


def test_unset_keeps_the_sqlite_file_in_the_data_dir() -> None:
    settings = Settings.from_env({"PHOTOARCHIVE_DATA_DIR": "/srv/archive"})
    assert settings.database_url == "" and settings.database_pool == 10
    assert settings.database_path == Path("/srv/archive/photoarchive.sqlite3")
    assert isinstance(build_database(settings), Database)


def test_a_sqlite_url_names_the_file() -> None:
    settings = from_env("sqlite:///var/lib/photos/records.sqlite3")
    assert settings.database_path == Path("/var/lib/photos/records.sqlite3")
    assert isinstance(build_database(settings), Database)


def test_a_postgresql_url_selects_postgresql_with_its_pool() -> None:
    url = f"postgresql://archive:{SECRET}@db.internal:5433/photos?sslmode=require"
    settings = from_env(url, PHOTOARCHIVE_DATABASE_POOL="4")
    assert settings.database_url == url and settings.database_pool == 4
    db = build_database(settings)
    assert isinstance(db, PostgresDatabase)
    assert "sslmode=require" in db.shown_as and "db.internal:5433" in db.shown_as
    for text in (repr(settings), str(settings), repr(db), db.shown_as):
        assert SECRET not in text and "s3cr" not in text


@pytest.mark.parametrize(
    ("url", "why"),
    [
        (f"mysql://archive:{SECRET}@db/photos", "must start with sqlite:// or postgresql://"),
        (f"postgresql://archive:{SECRET}@db:port/photos", "is not a URL"),
        (f"postgresql://archive:{SECRET}@/photos", "names no host"),
        ("sqlite://", "names no SQLite file"),
    ],
)
def test_a_wrong_url_is_refused_without_showing_its_password(url: str, why: str) -> None:
    with pytest.raises(SettingsError) as refused:
        from_env(url)
    assert "PHOTOARCHIVE_DATABASE_URL" in str(refused.value) and why in str(refused.value)
    assert "s3cr" not in str(refused.value)


def test_the_pool_size_is_checked() -> None:
    with pytest.raises(SettingsError, match="PHOTOARCHIVE_DATABASE_POOL"):
        from_env("", PHOTOARCHIVE_DATABASE_POOL="0")


@pytest.mark.parametrize("command", ["verify", "backup", "restore"])
def test_operator_commands_say_when_postgresql_cannot_be_reached(
    tmp_path: Path, command: str
) -> None:
    """They follow PHOTOARCHIVE_DATABASE_URL: never a SQLite file nobody uses, and the reason
    without the password."""
    from tests.processes import run_cli

    args = [command, str(tmp_path / "copy")] if command != "verify" else [command]
    url = f"postgresql://archive:{SECRET}@127.0.0.1:9/photos"
    done = run_cli(tmp_path / "data", *args, PHOTOARCHIVE_DATABASE_URL=url)
    assert done.returncode == 2
    assert "cannot use postgresql://archive:***@127.0.0.1:9/photos" in done.stderr
    assert "s3cr" not in done.stderr + done.stdout
    assert not (tmp_path / "data" / "photoarchive.sqlite3").exists()
