"""The numbered SQL files of a migrations folder, for either engine's runner."""

from __future__ import annotations

from importlib import resources


def numbered(folder: str) -> list[tuple[int, str]]:
    """(number, SQL) of each `NNNN_*.sql` in `photoarchive/db/<folder>`, in order."""
    found = []
    for entry in (resources.files("photoarchive.db") / folder).iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)
