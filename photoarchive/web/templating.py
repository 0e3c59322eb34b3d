"""Jinja set-up: autoescaping everywhere, and the few filters the templates need."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from jinja2 import Environment

from photoarchive import __version__
from photoarchive.web.cards import CardCache
from photoarchive.web.cards import install as install_cards


def human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


@lru_cache(maxsize=4096)  # a feed shows the same few hundred dates again and again
def human_date(stamp: str | None) -> str:
    if not stamp:
        return ""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return moment.strftime("%-d %b %Y, %H:%M")


def configure_environment(engine: object, cards: CardCache) -> None:
    env: Environment = engine.engine  # type: ignore[attr-defined]
    env.autoescape = True
    # Templates change only with a new release: no stat() of every included file per render.
    env.auto_reload = False
    env.filters["bytes"] = human_bytes
    env.filters["date"] = human_date
    env.globals["version"] = __version__
    install_cards(env, cards)
