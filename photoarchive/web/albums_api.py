"""The album API under /api/v1/albums: the same domain calls as the album pages, as JSON.

Anyone who is not a member of an album gets 404 for it, never 403 (see library/albums.py), but
an administrator looking after an album whose owner's account is disabled."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.response import Stream
from msgspec import UNSET

from photoarchive.library import album_members, album_photos, albums, downloads, zips
from photoarchive.web.album_schemas import (
    AddedOut,
    AlbumBody,
    AlbumEditBody,
    AlbumOut,
    AlbumPage,
    MemberBody,
    OwnerBody,
    PhotoIdsBody,
    RemovedOut,
    SkippedOut,
)
from photoarchive.web.api import JSON_BODY, OBJECT_READ, READ, WRITE, Limit, refusals
from photoarchive.web.media import attachment_header
from photoarchive.web.params import RowId
from photoarchive.web.schemas import PhotoPage
from photoarchive.web.viewer import require_user, services, still_signed_in

# An album's photo cursor names a sort key and an id: longer than a photo id.
AlbumCursor = Parameter(default=None, max_length=200)
AlbumLimit = Parameter(default=albums.PAGE_DEFAULT, ge=1, le=albums.PAGE_MAX)
ZIP = "application/zip"


class AlbumsApi(Controller):
    path = "/api/v1/albums"
    tags = ["albums"]

    @post("/", status_code=201, responses=refusals(400, 401, 403, JSON_BODY))
    async def create_album(self, request: Request[Any, Any, Any], data: AlbumBody) -> AlbumOut:
        user = await require_user(request)
        return AlbumOut.of(
            await albums.create(services(request), user, data.title, data.description)
        )

    @get("/", responses=refusals(READ))
    async def list_albums(
        self,
        request: Request[Any, Any, Any],
        cursor: str | None = AlbumCursor,
        limit: int = AlbumLimit,
    ) -> AlbumPage:
        user = await require_user(request)
        items, next_cursor = await albums.page(services(request), user, cursor=cursor, limit=limit)
        return AlbumPage(items=[AlbumOut.of(a) for a in items], next_cursor=next_cursor)

    @get("/{album_id:int}", responses=refusals(OBJECT_READ))
    async def get_album(self, request: Request[Any, Any, Any], album_id: RowId) -> AlbumOut:
        user = await require_user(request)
        return AlbumOut.of(await albums.find(services(request).db, album_id, user))

    @patch("/{album_id:int}", responses=refusals(WRITE, JSON_BODY))
    async def edit_album(
        self, request: Request[Any, Any, Any], album_id: RowId, data: AlbumEditBody
    ) -> AlbumOut:
        user = await require_user(request)
        changes = {
            name: value
            for name in ("title", "description", "cover_photo_id", "sort")
            if (value := getattr(data, name)) is not UNSET
        }
        album = await albums.update(services(request), user, album_id, **changes)
        return AlbumOut.of(album)

    @delete("/{album_id:int}", status_code=204, responses=refusals(WRITE))
    async def delete_album(self, request: Request[Any, Any, Any], album_id: RowId) -> None:
        user = await require_user(request)
        await albums.delete(services(request), user, album_id)

    @get("/{album_id:int}/photos", responses=refusals(OBJECT_READ))
    async def album_photos(
        self,
        request: Request[Any, Any, Any],
        album_id: RowId,
        cursor: str | None = AlbumCursor,
        limit: int = Limit,
    ) -> PhotoPage:
        user = await require_user(request)
        svc = services(request)
        album = await albums.find(svc.db, album_id, user)
        items, next_cursor = await album_photos.page(svc, album, user, cursor=cursor, limit=limit)
        return PhotoPage.of(items, next_cursor)

    @post("/{album_id:int}/photos", status_code=200, responses=refusals(WRITE, JSON_BODY))
    async def add_photos(
        self, request: Request[Any, Any, Any], album_id: RowId, data: PhotoIdsBody
    ) -> AddedOut:
        user = await require_user(request)
        svc = services(request)
        album = await albums.find(svc.db, album_id, user)
        added, skipped = await album_photos.add(svc, album, user, data.photo_ids)
        return AddedOut(added=added, skipped=[SkippedOut(i, r) for i, r in skipped])  # type: ignore[arg-type]

    @post("/{album_id:int}/photos/remove", status_code=200, responses=refusals(WRITE, JSON_BODY))
    async def remove_photos(
        self, request: Request[Any, Any, Any], album_id: RowId, data: PhotoIdsBody
    ) -> RemovedOut:
        user = await require_user(request)
        removed = await album_photos.remove(services(request), album_id, user, data.photo_ids)
        return RemovedOut(removed=removed)

    @put("/{album_id:int}/members/{username:str}", responses=refusals(WRITE, JSON_BODY))
    async def set_member(
        self, request: Request[Any, Any, Any], album_id: RowId, username: str, data: MemberBody
    ) -> AlbumOut:
        user = await require_user(request)
        album = await album_members.set_member(
            services(request), user, album_id, username, data.role
        )
        return AlbumOut.of(album)

    @put("/{album_id:int}/owner", status_code=204, responses=refusals(WRITE, JSON_BODY))
    async def hand_over(
        self, request: Request[Any, Any, Any], album_id: RowId, data: OwnerBody
    ) -> None:
        """The owner, or an administrator looking after an album whose owner's account is
        disabled, makes someone else its owner."""
        user = await require_user(request)
        await album_members.hand_over(services(request), user, album_id, data.username)

    @delete(
        "/{album_id:int}/members/{username:str}", status_code=204, responses=refusals(WRITE, 422)
    )
    async def remove_member(
        self, request: Request[Any, Any, Any], album_id: RowId, username: str
    ) -> None:
        user = await require_user(request)
        await album_members.remove_member(services(request), user, album_id, username)

    @get(
        "/{album_id:int}/download",
        media_type=ZIP,
        responses={
            200: ResponseSpec(
                data_container=bytes,
                media_type=ZIP,
                description="A zip of the album's originals, as the caller may have them.",
                generate_examples=False,
            ),
            **refusals(OBJECT_READ),
        },
    )
    async def download(self, request: Request[Any, Any, Any], album_id: RowId) -> Stream:
        user = await require_user(request)
        svc = services(request)
        album = await albums.find(svc.db, album_id, user)
        # The album's photos as they are now, each read again as the zip comes to it.
        ids = [photo.id for photo in await album_photos.all_of(svc, album, user)]
        again = still_signed_in(request, user)
        members = zips.originals_of(svc, downloads.readable(svc, ids, user, again), user)
        (name,) = zips.unique_names([f"{album.title}.zip"])
        return Stream(
            zips.stream(members),
            media_type=ZIP,
            headers={
                "Content-Disposition": attachment_header(name),
                "Cache-Control": "private, no-store",
            },
        )


HANDLERS = [AlbumsApi]
