"""Location patches worked out again for originals already in the archive.

The patches that blank a location in an original are computed once, at upload, and stored.
When the redactor learns to find positions it used to miss (XMP in unusual forms, say), the
patches stored by the older code may leave a position in what other members download. A
migration then marks every photo RECHECK; until its patches are computed again, its original
goes to its owner only (the photo itself stays visible as usual). The server works through
the marked photos in the background, a few at a time, from its start; of several instances
started together, one does (the others wait for its named lock, then find nothing left).
"""

from __future__ import annotations

import asyncio
import json
import logging

from photoarchive.library.originals import encode_patches
from photoarchive.media import images
from photoarchive.services import Services
from photoarchive.storage import StorageError, original_key, readable_file

log = logging.getLogger("photoarchive")

# The value of photos.location_patches (JSON) while a photo waits for its re-check.
RECHECK = json.dumps("recheck")
BATCH = 16
RECHECK_LOCK = "job: location re-check"
RETRY_SECONDS = 60


async def pending(svc: Services) -> int:
    return int(
        await svc.db.fetchval("SELECT COUNT(*) FROM photos WHERE location_patches = ?", (RECHECK,))
    )


async def recheck_one(svc: Services, photo_id: int, sha256: str) -> None:
    """Compute the photo's patches from its stored original and keep them."""
    key = original_key(sha256)
    try:
        async with readable_file(svc.store, key, svc.settings.tmp_dir, prefix="recheck-") as path:
            patches = await asyncio.to_thread(images.stored_location_patches, path)
    except StorageError as exc:  # tried again at the next start
        log.warning("location re-check of photo %s postponed: %s", photo_id, exc)
        return
    except Exception:
        # Its original trips the reader (a bug of ours): it stays withheld, to its owner
        # alone, and the others go on, rather than every run stopping at it.
        log.exception("location re-check of photo %s failed; it stays withheld", photo_id)
        return
    await svc.db.execute(
        "UPDATE photos SET location_patches = ? WHERE id = ? AND location_patches = ?",
        (encode_patches(patches), photo_id, RECHECK),
    )


async def run(svc: Services) -> int:
    """Re-check every marked photo; returns how many were done. Safe to stop at any point.
    A failure on the way (the database away a moment) is logged and the work taken up again
    a little later: a task that ended in silence left photos' originals to their owners
    alone until the next start, with nobody told."""
    while True:
        try:
            async with svc.db.lock(RECHECK_LOCK):
                return await _recheck_all(svc)
        except Exception:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # the server stopping: not a failure
                raise
            log.exception("The location re-check failed; trying again in %d s.", RETRY_SECONDS)
        await asyncio.sleep(RETRY_SECONDS)


async def _recheck_all(svc: Services) -> int:
    done = 0
    after = 0
    while True:
        rows = await svc.db.fetchall(
            "SELECT id, sha256 FROM photos WHERE location_patches = ? AND id > ?"
            " ORDER BY id LIMIT ?",
            (RECHECK, after, BATCH),
        )
        if not rows:
            break
        for row in rows:
            # Reads a whole original: it takes turns with the uploads, as one more person would.
            async with svc.image_slots.held_by("location re-check"):
                await recheck_one(svc, row["id"], row["sha256"])
            after = row["id"]
            done += 1
    if done:
        log.info("location patches re-checked for %d photos", done)
    return done
