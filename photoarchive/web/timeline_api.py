"""The timeline and memories under /api/v1, as JSON: the months that hold photos the caller
may see (with how many), a page of the timeline from a month on, and the photos taken on
today's date in earlier years (library/timeline.py)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get
from litestar.params import Parameter

from photoarchive.library import timeline
from photoarchive.library.timeline import Bucket, Memory
from photoarchive.web.api import READ, Limit, refusals
from photoarchive.web.schemas import PhotoOut, PhotoPage
from photoarchive.web.viewer import require_reader, services

# A timeline cursor names a date and an id, like a favorites cursor.
TimelineCursor = Parameter(default=None, max_length=200)
Month = Parameter(
    default=None,
    description="Start at this month's newest photo (YYYY-MM), then on into older months.",
)


class BucketOut(msgspec.Struct):
    month: str  # "2024-07": the leading year and month of the date taken (else of the upload)
    count: int

    @classmethod
    def of(cls, bucket: Bucket) -> BucketOut:
        return cls(month=bucket.month, count=bucket.count)


class BucketList(msgspec.Struct):
    items: list[BucketOut]  # newest month first; only months with photos the caller may see


class MemoryOut(msgspec.Struct):
    years_ago: int
    photos: list[PhotoOut]

    @classmethod
    def of(cls, memory: Memory) -> MemoryOut:
        return cls(years_ago=memory.years_ago, photos=[PhotoOut.of(p) for p in memory.photos])


class MemoryList(msgspec.Struct):
    items: list[MemoryOut]  # the most recent year first; empty on a day without any


@get("/api/v1/timeline/buckets", tags=["photos"], responses=refusals(READ))
async def timeline_buckets(request: Request[Any, Any, Any]) -> BucketList:
    viewer = await require_reader(request)
    months = await timeline.buckets(services(request), viewer)
    return BucketList(items=[BucketOut.of(bucket) for bucket in months])


@get("/api/v1/timeline", tags=["photos"], responses=refusals(READ, 422))
async def timeline_photos(
    request: Request[Any, Any, Any],
    month: str | None = Month,
    cursor: str | None = TimelineCursor,
    limit: int = Limit,
) -> PhotoPage:
    viewer = await require_reader(request)
    items, next_cursor = await timeline.page(
        services(request), viewer, month=month, cursor=cursor, limit=limit
    )
    return PhotoPage.of(items, next_cursor)


@get("/api/v1/memories", tags=["photos"], responses=refusals(READ))
async def memories(request: Request[Any, Any, Any]) -> MemoryList:
    viewer = await require_reader(request)
    found = await timeline.memories_today(services(request), viewer)
    return MemoryList(items=[MemoryOut.of(memory) for memory in found])


HANDLERS = [timeline_buckets, timeline_photos, memories]
