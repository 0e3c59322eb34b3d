"""Where templates and static files live: inside the package when installed as a wheel,
beside it in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"The {name}/ folder is missing from the installation.")


def templates_dir() -> Path:
    return _find("templates")


def static_dir() -> Path:
    return _find("static")
