"""Zips of chosen photos: `POST /api/v1/downloads` for scripts, and the one zip answer that the
selection bar's form (routes/downloads.py) sends too.

A POST because a selection of thousands of ids does not fit a URL; nothing is changed by it.
Reading is all it does, so a guest may ask when the archive lets guests look (family photos
only, as on every other read); a share link's holder is a guest here (its grant is for /s/).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import msgspec
from litestar import Request, post
from litestar.openapi import ResponseSpec
from litestar.response import Stream

from photoarchive import clock
from photoarchive.accounts import time_zones
from photoarchive.accounts.users import TIME_ZONE_AUTOMATIC, User
from photoarchive.db import MAX_ROWID
from photoarchive.library import downloads
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.albums_api import ZIP
from photoarchive.web.api import JSON_BODY, refusals
from photoarchive.web.media import attachment_header
from photoarchive.web.viewer import require_reader, services, still_signed_in

# Room for 50,000 ids (the most PHOTOARCHIVE_MAX_DOWNLOAD_ITEMS allows) of up to 19 digits:
# the count itself is the setting's to bound, with a 422 that says the limit.
BODY_MAX = 1024 * 1024
PhotoId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ROWID)]


class DownloadBody(msgspec.Struct, forbid_unknown_fields=True):
    # The photos to put in the zip; an id sent twice is one entry. At least one, and at most
    # PHOTOARCHIVE_MAX_DOWNLOAD_ITEMS (5,000 unless set) different ones: else 422.
    photo_ids: Annotated[list[PhotoId], msgspec.Meta(examples=[[1, 2, 3]])]


def zip_answer(request: Request[Any, Any, Any], viewer: User | None, ids: Iterable[int]) -> Stream:
    """The zip of the photos `ids` that `viewer` may have, as an attachment named by the day
    it is for them (their zone, else the archive's; see time_zones.zone_of_days). Invalid,
    before any byte is sent, for none or too many."""
    svc = services(request)
    chosen = downloads.chosen(ids, svc.settings.max_download_items)
    chosen_zone = viewer.time_zone if viewer else TIME_ZONE_AUTOMATIC
    day = clock.today(time_zones.zone_of_days(chosen_zone, svc.settings.timezone)).isoformat()
    return Stream(
        downloads.zip_of(svc, chosen, viewer, still_signed_in(request, viewer)),
        media_type=ZIP,
        headers={
            "Content-Disposition": attachment_header(f"photoarchive-{day}.zip"),
            "Cache-Control": "private, no-store",
        },
    )


@post(
    "/api/v1/downloads",
    status_code=200,
    tags=["photos"],
    media_type=ZIP,
    opt=GUEST_BODY,
    request_max_body_size=BODY_MAX,
    responses={
        200: ResponseSpec(
            data_container=bytes,
            media_type=ZIP,
            description=(
                "A zip of the chosen originals the caller may have (location blanked in others'"
                " photos). Those they may not see are left out, only counted in"
                " `NOT INCLUDED.txt`."
            ),
            generate_examples=False,
        ),
        **refusals(400, 401, 403, JSON_BODY),
    },
)
async def download_photos(request: Request[Any, Any, Any], data: DownloadBody) -> Stream:
    viewer = await require_reader(request)
    return zip_answer(request, viewer, data.photo_ids)


HANDLERS = [download_photos]
