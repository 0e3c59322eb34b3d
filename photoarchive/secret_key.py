"""The secret key kept in the data dir when none is configured (it signs CSRF tokens)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create_secret(data_dir: Path) -> str:
    """Read the secret kept in the data dir, creating it (mode 0600) on first start.

    The key is written whole under another name before it takes its own: a disk that fills up
    meanwhile must leave no empty key file, which a later start would read as the key (one
    anyone knows). An empty one, left so by an earlier version, is replaced."""
    path = data_dir / "secret_key"
    if path.exists():
        kept = path.read_text().strip()
        if kept:
            return kept
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    part = data_dir / f"secret_key.{secrets.token_hex(4)}.part"
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():  # the empty one
            os.replace(part, path)
            return secret
        try:
            os.link(part, path)  # never over a key another instance made meanwhile
        except FileExistsError:
            return path.read_text().strip()
    finally:
        part.unlink(missing_ok=True)
    return secret
