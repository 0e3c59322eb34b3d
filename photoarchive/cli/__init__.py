"""The `photoarchive` command: one module per group of subcommands, each adding its own parsers."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from photoarchive import __version__
from photoarchive.cli import archive, database, places, server, users


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="photoarchive", description="The photoarchive command.")
    parser.add_argument("--version", action="version", version=f"photoarchive {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (server, users, archive, places, database):
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)
