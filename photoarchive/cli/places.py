"""`photoarchive places --backfill`: the towns and countries of photos uploaded before the
archive looked them up (the server also does this at start-up, in the background)."""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from photoarchive.cli.common import fail
from photoarchive.cli.common import open_archive as _open_archive
from photoarchive.cli.common import settings as _settings


def cmd_places(args: argparse.Namespace) -> int:
    from photoarchive.library import places

    if not args.backfill:
        fail("say what to do: --backfill")
    settings = _settings()
    if settings.strip_location:
        print("PHOTOARCHIVE_STRIP_LOCATION is on: no locations are kept, so no places either.")
        return 0
    db, store = _open_archive(settings)
    started = time.monotonic()

    async def run() -> int:
        await db.open()
        try:
            found = await places.backfill(db, batch=args.batch)
            await places.fold_kept(db, batch=args.batch)
        finally:
            await db.close()
            await store.close()
        print(f"Looked up the places of {found} photos in {time.monotonic() - started:.1f} s.")
        return 0

    return asyncio.run(run())


def register(sub: Any) -> None:
    parser = sub.add_parser("places", help="find the towns and countries of older photos")
    parser.add_argument(
        "--backfill",
        action="store_true",
        help="look up every photo that has a location and no place yet (safe to run again)",
    )
    parser.add_argument(
        "--batch", type=int, default=500, help="photos looked up per transaction (default 500)"
    )
    parser.set_defaults(func=cmd_places)
