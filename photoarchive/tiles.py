"""The map's tiles (`PHOTOARCHIVE_MAP_TILES`): a URL template with {z}, {x} and {y}, read by
the browser (the map page's script), or "off" for no map at all."""

from __future__ import annotations

from urllib.parse import urlsplit

OFF = "off"
OPENSTREETMAP = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# OpenStreetMap's tile policy asks for this credit on every map drawn with its tiles.
OPENSTREETMAP_CREDIT = "© OpenStreetMap contributors"
OPENSTREETMAP_COPYRIGHT = "https://www.openstreetmap.org/copyright"


def parse(value: str, error: type[Exception]) -> str:
    """The template as given, or "off"; refused (as `error`) with a message naming the
    variable."""
    value = value.strip()
    if value.lower() == OFF:
        return OFF
    parts = urlsplit(value)
    missing = [part for part in ("{z}", "{x}", "{y}") if part not in value]
    if parts.scheme not in ("http", "https") or not parts.netloc or missing:
        raise error(
            "PHOTOARCHIVE_MAP_TILES must be off or an http(s) URL template with {z}, {x} and {y},"
            f" such as {OPENSTREETMAP}; got {value!r}"
        )
    return value


def origin(template: str) -> str | None:
    """Where the browser fetches tiles from (for the pages' Content-Security-Policy)."""
    if template == OFF:
        return None
    parts = urlsplit(template)
    return f"{parts.scheme}://{parts.netloc}"
