"""One action on many photos under /api/v1/photos/bulk (the grids' selection bar sends it).

Every photo is decided on its own by library/bulk.py, through the same domain call as a request
about that photo alone; the answer says which were done and why the others failed."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, post
from msgspec import UNSET, UnsetType

from photoarchive.library import bulk
from photoarchive.library.access import VISIBILITIES
from photoarchive.web.api import JSON_BODY, WRITE, refusals
from photoarchive.web.viewer import require_user, services


class BulkBody(msgspec.Struct, forbid_unknown_fields=True):
    """The photos, the action, and that action's parameters beside them (only its own)."""

    # 1 to 1,000 photo ids (checked by the domain: 422); a repeated id counts once.
    photo_ids: list[int]
    action: Annotated[str, msgspec.Meta(examples=list(bulk.ACTIONS))]
    # set_visibility: "family" or "private".
    visibility: Annotated[str, msgspec.Meta(examples=list(VISIBILITIES))] | UnsetType = UNSET
    # add_to_album: an album the caller owns or contributes to (404 or 403 for the request).
    album_id: int | UnsetType = UNSET
    # shift_date: seconds to move each photo's date taken by (negative: earlier; at most a
    # hundred years either way), for a camera whose clock was wrong.
    seconds: int | UnsetType = UNSET


# The body's fields that are an action's parameters.
PARAMETERS = tuple(
    name for name in BulkBody.__struct_fields__ if name not in ("photo_ids", "action")
)


class BulkFailure(msgspec.Struct):
    id: int
    # What a request about this photo alone would have answered: 404 for a photo the caller
    # may not see, 403 for one that is not theirs to change.
    status: int
    detail: str


class BulkOut(msgspec.Struct):
    # The photos the action was done to, in the order sent. Doing it again changes nothing,
    # but for shift_date, which shifts again.
    done: list[int]
    # The others, each with the status and reason a request for it alone would get. One of 5xx
    # (the database or the store away) stops the action: the photos after it are given with
    # that status too, not done; send those again later.
    failed: list[BulkFailure]

    @classmethod
    def of(cls, outcome: bulk.Outcome) -> BulkOut:
        return cls(
            done=outcome.done,
            failed=[BulkFailure(f.id, f.status, f.detail) for f in outcome.failed],
        )


@post("/api/v1/photos/bulk", status_code=200, tags=["photos"], responses=refusals(WRITE, JSON_BODY))
async def bulk_photos(request: Request[Any, Any, Any], data: BulkBody) -> BulkOut:
    user = await require_user(request)
    given = {name: value for name in PARAMETERS if (value := getattr(data, name)) is not UNSET}
    return BulkOut.of(await bulk.apply(services(request), user, data.action, data.photo_ids, given))


HANDLERS = [bulk_photos]
