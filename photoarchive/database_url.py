"""`PHOTOARCHIVE_DATABASE_URL`: which database keeps the archive's records, and how a URL that
may hold a password is shown (here and for the mail server's)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

POSTGRES_SCHEMES = ("postgresql", "postgres")
FORM = "sqlite:///path/to/file or postgresql://user:password@host[:port]/dbname"


def redacted(parts: SplitResult) -> str:
    """The URL as it may be shown: any password replaced."""
    if parts.password is None:
        return parts.geturl()
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def shown(url: str) -> str:
    return redacted(urlsplit(url))


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in POSTGRES_SCHEMES


def sqlite_path(url: str) -> Path | None:
    """The file a `sqlite:///path` URL names; None for any other (or none)."""
    if urlsplit(url).scheme != "sqlite":
        return None
    return Path(unquote(url.removeprefix("sqlite://")))


def parse_database_url(value: str, error: type[Exception] = ValueError) -> str:
    """The URL as given once checked: `sqlite:///path` or `postgresql://...` (a query string
    such as `?sslmode=require` goes to the driver as it is); empty for the data dir's file.
    Raises `error` (the caller's kind) saying what is wrong without repeating any password."""
    if not value:
        return ""
    name = "PHOTOARCHIVE_DATABASE_URL"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # raises ValueError on a port that is not a number
    except ValueError:
        raise error(f"{name} is not a URL; expected {FORM}") from None
    if parts.scheme == "sqlite":
        if parts.netloc or parts.path in ("", "/"):
            raise error(
                f"{name} names no SQLite file; expected sqlite:///path/to/file,"
                f" got {redacted(parts)!r}"
            )
        return value
    if parts.scheme in POSTGRES_SCHEMES:
        if not parts.hostname and "host=" not in parts.query:
            raise error(f"{name} names no host; expected {FORM}, got {redacted(parts)!r}")
        return value
    raise error(
        f"{name} must start with sqlite:// or postgresql://; expected {FORM},"
        f" got {redacted(parts)!r}"
    )
