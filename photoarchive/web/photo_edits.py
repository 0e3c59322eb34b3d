"""PATCH /api/v1/photos/{id}: the body, and the domain calls it makes, one per field sent."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.openapi import ResponseSpec
from msgspec import UNSET, UnsetType

from photoarchive.accounts.users import User
from photoarchive.errors import Invalid
from photoarchive.library import archive, captions, photos, rotations, taken_dates, visibility
from photoarchive.library.access import VISIBILITIES
from photoarchive.library.blobs import ROTATIONS
from photoarchive.library.photos import Photo
from photoarchive.services import Services
from photoarchive.web.schemas import ErrorOut

# A turn stores renditions made again: the refusals of the store, beside the API's usual ones.
STORE_REFUSALS = {
    code: ResponseSpec(data_container=ErrorOut, description=text, generate_examples=False)
    for code, text in (
        (503, "The photo store could not be reached: the photo was not rotated; try again."),
        (507, "The photo store has no room left: the photo was not rotated."),
    )
}


class PhotoEditBody(msgspec.Struct, forbid_unknown_fields=True):
    """Any of them: what is left out stays as it is."""

    caption: str | UnsetType = UNSET
    # "family" or "private" (checked by the domain: another value is 422).
    visibility: Annotated[str, msgspec.Meta(examples=list(VISIBILITIES))] | UnsetType = UNSET
    # True takes it out of the feed and the profile (it stays in albums and share links).
    archived: bool | UnsetType = UNSET
    # When it was taken: a wall-clock time, or one with its offset; null: not known.
    taken_at: (
        Annotated[str, msgspec.Meta(examples=["2024-07-01T14:03:00", "2024-07-01T14:03:00+02:00"])]
        | UnsetType
        | None
    ) = UNSET
    # Degrees clockwise on top of its EXIF orientation: 0, 90, 180 or 270 (checked by the
    # domain: another number is 422 with field "rotation").
    rotation: Annotated[int, msgspec.Meta(examples=list(ROTATIONS))] | UnsetType = UNSET


async def apply(svc: Services, user: User, photo_id: int, data: PhotoEditBody) -> Photo:
    """Every value is checked before anything changes, and the caller's right to see the
    photo before any is refused for being theirs to change (404 before 403)."""
    caption = None if data.caption is UNSET else captions.check_caption(data.caption)
    wanted = None if data.visibility is UNSET else visibility.check(data.visibility)
    if data.taken_at is not UNSET:
        taken_dates.check_taken_at(data.taken_at)
    if data.rotation is not UNSET:
        rotations.check_rotation(data.rotation)
    if all(
        value is UNSET
        for value in (data.caption, data.visibility, data.archived, data.taken_at, data.rotation)
    ):
        raise Invalid("Send a caption, a visibility, archived, taken_at, rotation, or several.")
    photo = await photos.get(svc, photo_id, user)  # 404 for a photo the caller may not see
    # The turn first: it is the change that can fail on the store's account, and then
    # nothing else has changed.
    if data.rotation is not UNSET:
        photo = await rotations.set_rotation(svc, user, photo_id, data.rotation)
    if data.archived is not UNSET:
        photo = await archive.set_archived(svc, user, photo_id, data.archived)
    if wanted is not None:
        photo = await visibility.set_visibility(svc, user, photo_id, wanted)
    if caption is not None:
        photo = await captions.set_caption(svc, user, photo_id, caption)
    if data.taken_at is not UNSET:
        photo = await taken_dates.set_taken_at(svc, user, photo_id, data.taken_at)
    return photo
