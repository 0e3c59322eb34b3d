"""Batches under /api/v1: the photos added together, and the caption given to the whole.

Read as the batch's page reads it (library/batches.get): only the photos of it the caller may
see, and the caption of the whole only for its owner or for whoever sees two or more of them
(seen as one photo, as the feed shows it, the batch has no words of the whole)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, patch

from photoarchive.library import batches
from photoarchive.library.batches import Batch
from photoarchive.web.api import JSON_BODY, OBJECT_READ, WRITE, Cursor, Limit, refusals
from photoarchive.web.params import RowId
from photoarchive.web.schemas import OwnerOut, PhotoOut
from photoarchive.web.viewer import require_reader, require_user, services


class BatchOut(msgspec.Struct):
    id: int
    owner: OwnerOut
    # When its first photo was added.
    created_at: str
    # Given to the whole upload: "" for none, or when it is not the caller's to read.
    caption: str
    # The caller added these photos: theirs to caption anew.
    mine: bool
    # A page of the photos of it the caller may see, newest first (archived ones leave it).
    photos: list[PhotoOut]
    # How many photos of it the caller sees, on every page.
    total: int
    # The next page's `cursor`; null on the last.
    next_cursor: str | None

    @classmethod
    def of(cls, batch: Batch) -> BatchOut:
        return cls(
            id=batch.id,
            owner=OwnerOut(batch.owner),
            created_at=batch.created_at,
            caption=batch.caption,
            mine=batch.mine,
            photos=[PhotoOut.of(photo) for photo in batch.photos],
            total=batch.total,
            next_cursor=batch.next_cursor,
        )


class BatchEditBody(msgspec.Struct, forbid_unknown_fields=True):
    # The caption of the whole upload; "" takes it away. Each photo keeps its own caption.
    caption: str


@get("/api/v1/batches/{batch_id:int}", tags=["photos"], responses=refusals(OBJECT_READ))
async def get_batch(
    request: Request[Any, Any, Any],
    batch_id: RowId,
    cursor: str | None = Cursor,
    limit: int = Limit,
) -> BatchOut:
    viewer = await require_reader(request)
    found = await batches.get(services(request), batch_id, viewer, cursor=cursor, limit=limit)
    return BatchOut.of(found)


@patch("/api/v1/batches/{batch_id:int}", tags=["photos"], responses=refusals(WRITE, JSON_BODY))
async def edit_batch(
    request: Request[Any, Any, Any], batch_id: RowId, data: BatchEditBody
) -> BatchOut:
    user = await require_user(request)
    found = await batches.set_caption(services(request), user, batch_id, data.caption)
    return BatchOut.of(found)


HANDLERS = [get_batch, edit_batch]
