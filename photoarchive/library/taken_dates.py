"""When a photo was taken, set right by its owner: typed in, or shifted for a camera whose clock
was wrong (every photo of it by the same amount).

A date taken is kept as the camera gave it (see web/dates.py): a wall-clock time without an
offset ("2024-07-01T14:03:00"), or an instant with one ("2024-07-01T14:03:00+02:00"). A date
typed in is kept in the same two forms; a shift keeps the kind and the offset it had. No HTTP
here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from photoarchive import clock
from photoarchive.accounts.users import User
from photoarchive.errors import Forbidden, Invalid, NotFound
from photoarchive.library import photos, upload_clock
from photoarchive.library.photos import Photo
from photoarchive.media.images import EARLIEST_YEAR
from photoarchive.services import Services

# A wall-clock time may be ahead of this server's clock by the widest offset there is (UTC+14);
# a day covers that and a camera a little ahead, and still refuses a mistyped year.
FUTURE_SLACK = timedelta(days=1)
# A camera's clock a century off is a typo, not a clock: shifts are bounded by that.
SHIFT_MAX_SECONDS = 36525 * 86400  # a hundred years of 365.25 days
_STAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-](?:0\d|1[0-4]):[0-5]\d)?", re.ASCII
)
_FORM = "like 2024-07-01T14:03:00, with or without an offset like +02:00"


def check_taken_at(value: Any) -> str | None:
    """A date taken as sent (None clears it), in the form it is kept in; Invalid for text that
    is not one, a date before photography, or one in the future."""
    if value is None:
        return None
    if not isinstance(value, str) or not _STAMP.fullmatch(value):
        raise Invalid(f"taken_at must be a date and time {_FORM}, or null.", field="taken_at")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"taken_at is not a real date and time: {value}.", field="taken_at") from None
    return _checked(moment)


def _checked(moment: datetime) -> str:
    if moment.year < EARLIEST_YEAR:
        raise Invalid(f"The date taken cannot be before {EARLIEST_YEAR}.", field="taken_at")
    now = datetime.fromtimestamp(clock.now(), UTC)
    latest = now + FUTURE_SLACK if moment.tzinfo else (now + FUTURE_SLACK).replace(tzinfo=None)
    if moment > latest:
        raise Invalid("The date taken cannot be in the future.", field="taken_at")
    return moment.isoformat()


def check_seconds(value: Any) -> int:
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not -SHIFT_MAX_SECONDS <= value <= SHIFT_MAX_SECONDS
    ):
        raise Invalid(
            f"seconds must be a whole number from -{SHIFT_MAX_SECONDS} to {SHIFT_MAX_SECONDS}"
            " (a hundred years either way).",
            field="seconds",
        )
    return value


async def _own(svc: Services, actor: User, photo_id: int) -> Photo:
    photo = await photos.find(svc, photo_id, actor)
    if not photo.can_edit:
        raise Forbidden("Only the photo's owner can change when it was taken.")
    return photo


async def set_taken_at(svc: Services, actor: User, photo_id: int, value: Any) -> Photo:
    """The owner says when their photo was taken (None: not known; it is then dated by its
    upload). NotFound for a photo they may not see, Forbidden for another person's."""
    taken_at = check_taken_at(value)
    photo = await _own(svc, actor, photo_id)
    # Undated, it goes by its upload's reading on the archive's clock, which a change of the
    # archive's zone leaves as it was for dated photos (upload_clock): read again here.
    at = upload_clock.moment(photo.created_at) if taken_at is None else None
    placed = None if at is None else upload_clock.local(at, svc.settings.timezone)
    changed = await svc.db.execute(
        "UPDATE photos SET taken_at = ?, created_local = COALESCE(?, created_local)"
        " WHERE id = ? AND taken_at IS DISTINCT FROM ?",
        (taken_at, placed, photo_id, taken_at),
    )
    if changed:  # open pages show the new date (the same date again tells nobody)
        await svc.publish("photo-changed", {"photo_id": photo_id})
    return await photos.get(svc, photo_id, actor)


async def shift_date(svc: Services, actor: User, photo_id: int, seconds: int) -> Photo:
    """Move the photo's date taken by `seconds` (negative: earlier), keeping its offset or
    its lack of one. A photo without a date taken is refused rather than dated by its upload
    shifted: the camera whose clock was wrong did not date it, so the shift is not about it."""
    amount = check_seconds(seconds)
    await _own(svc, actor, photo_id)
    async with svc.db.transaction() as tx:
        # Read and written under the photo's lock: two shifts at once both count.
        await tx.lock(f"taken_at:{photo_id}")
        row = await tx.fetchone("SELECT taken_at FROM photos WHERE id = ?", (photo_id,))
        if row is None:
            raise NotFound(photos.PHOTO_GONE)
        stored = row["taken_at"]
        if stored is None:
            raise Invalid(
                "This photo has no date taken to shift; set its date taken instead.",
                field="taken_at",
            )
        try:
            moment = datetime.fromisoformat(stored)
        except ValueError:
            raise Invalid(
                f"This photo's date taken ({stored}) cannot be shifted; set it instead.",
                field="taken_at",
            ) from None
        try:
            shifted = _checked(moment + timedelta(seconds=amount))
        except OverflowError:
            raise Invalid("The date taken cannot be shifted that far.", field="taken_at") from None
        await tx.execute("UPDATE photos SET taken_at = ? WHERE id = ?", (shifted, photo_id))
    if amount:
        await svc.publish("photo-changed", {"photo_id": photo_id})
    return await photos.get(svc, photo_id, actor)
