"""The trash under /api/v1/trash: the caller's own deleted photos, restoring them, and deleting
them for good (see library/trash.py). Everything here is about the caller's own trash: a photo
that is not in it is 404, whoever's it is."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import Parameter

from photoarchive.library import trash
from photoarchive.web.api import JSON_BODY, OBJECT_READ, READ, WRITE, Limit, refusals
from photoarchive.web.params import RowId
from photoarchive.web.schemas import LocationOut, PhotoOut
from photoarchive.web.viewer import require_user, services

# A trash cursor names the moment of deleting and an id: longer than a photo id.
TrashCursor = Parameter(default=None, max_length=200)


class TrashedOut(PhotoOut, kw_only=True):
    trashed_at: str
    # When it goes for good by itself (PHOTOARCHIVE_TRASH_DAYS after it was deleted).
    purge_at: str

    @classmethod
    def of_trashed(cls, item: trash.Trashed) -> TrashedOut:
        photo = item.photo
        fields = PhotoOut.fields_of(photo)
        # A trash is its owner's alone: what only an owner is told of a photo, they are here.
        fields["sha256"] = photo.sha256
        fields["archived"] = photo.archived
        if photo.gps_lat is not None:
            fields["location"] = LocationOut(lat=photo.gps_lat, lon=photo.gps_lon)
        return cls(**fields, trashed_at=item.trashed_at, purge_at=item.purge_at)  # type: ignore[arg-type]


class TrashPage(msgspec.Struct):
    items: list[TrashedOut]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class RestoreBody(msgspec.Struct, forbid_unknown_fields=True):
    # 1 to 1,000 ids; one that no photo can have (0, negative, past 2**63 - 1) is 422.
    photo_ids: Annotated[list[int], msgspec.Meta(max_length=trash.RESTORE_MAX)]


class RestoredOut(msgspec.Struct):
    # The photos back where they were; ids not in the caller's trash are left out.
    restored: list[int]


class PurgedOut(msgspec.Struct):
    purged: int


class TrashApi(Controller):
    path = "/api/v1/trash"
    tags = ["trash"]

    @get("/", responses=refusals(READ))
    async def list_trash(
        self, request: Request[Any, Any, Any], cursor: str | None = TrashCursor, limit: int = Limit
    ) -> TrashPage:
        user = await require_user(request)
        items, next_cursor = await trash.page(services(request), user, cursor=cursor, limit=limit)
        return TrashPage(items=[TrashedOut.of_trashed(i) for i in items], next_cursor=next_cursor)

    @post("/restore", status_code=200, responses=refusals(400, 401, 403, JSON_BODY))
    async def restore(self, request: Request[Any, Any, Any], data: RestoreBody) -> RestoredOut:
        user = await require_user(request)
        return RestoredOut(restored=await trash.restore(services(request), user, data.photo_ids))

    @post("/empty", status_code=200, responses=refusals(400, 401, 403))
    async def empty(self, request: Request[Any, Any, Any]) -> PurgedOut:
        user = await require_user(request)
        return PurgedOut(purged=await trash.empty(services(request), user))

    @delete("/{photo_id:int}", status_code=204, responses=refusals(WRITE, OBJECT_READ))
    async def purge(self, request: Request[Any, Any, Any], photo_id: RowId) -> None:
        user = await require_user(request)
        await trash.purge(services(request), user, photo_id)


HANDLERS = [TrashApi]
