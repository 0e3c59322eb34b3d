"""Share links in the JSON API: one's own links (/api/v1/shares), and what a link's holder
reads with no account (/api/v1/s/{token}). The rules are library/shares.py's."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import HeaderParameter, Parameter
from msgspec import UNSET, UnsetType

from photoarchive.db import MAX_ROWID
from photoarchive.errors import NotAuthenticated
from photoarchive.library import share_holders, shares
from photoarchive.library.photos import Photo
from photoarchive.library.shares import Link, Share
from photoarchive.services import Services
from photoarchive.web.api import JSON_BODY, OBJECT_READ, READ, WRITE, Cursor, refusals
from photoarchive.web.methods import is_head
from photoarchive.web.params import RowId
from photoarchive.web.schemas import ExifOut
from photoarchive.web.viewer import client_ip, require_user, services

PASSWORD_HEADER = "x-share-password"  # noqa: S105 - a header's name
PhotoId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ROWID)]
Password = Annotated[
    str, msgspec.Meta(min_length=shares.PASSWORD_MIN, max_length=shares.PASSWORD_MAX)
]


class ShareBody(msgspec.Struct, forbid_unknown_fields=True):
    """An album (`album_id`) or some of one's own photos (`photo_ids`), not both."""

    album_id: PhotoId | None = None
    photo_ids: Annotated[list[PhotoId], msgspec.Meta(max_length=shares.PHOTOS_MAX)] | None = None
    expires_at: str | None = None  # ISO 8601, in the future; UTC when it names no zone
    password: Password | None = None
    allow_download: bool = False
    show_metadata: bool = False


class ShareEditBody(msgspec.Struct, forbid_unknown_fields=True):
    """What is left out stays; `password: null` removes the password, `expires_at: null`
    the expiry."""

    expires_at: str | UnsetType | None = UNSET
    password: Password | UnsetType | None = UNSET
    allow_download: bool | UnsetType = UNSET
    show_metadata: bool | UnsetType = UNSET


class ShareOut(msgspec.Struct):
    id: int
    token: str  # "" for a link made under another secret key (it works; revoke and re-share)
    url: str  # PHOTOARCHIVE_PUBLIC_URL + /s/{token}
    kind: Literal["album", "photos"]
    album_id: int | None
    photo_count: int
    expires_at: str | None
    has_password: bool
    allow_download: bool
    show_metadata: bool
    view_count: int
    created_at: str

    @classmethod
    def of(cls, share: Share, public_url: str) -> ShareOut:
        return cls(
            id=share.id,
            token=share.token,
            url=public_url.rstrip("/") + share.path if share.token else "",
            kind=share.kind,  # type: ignore[arg-type]
            album_id=share.album_id,
            photo_count=share.photo_count,
            expires_at=share.expires_at,
            has_password=share.has_password,
            allow_download=share.allow_download,
            show_metadata=share.show_metadata,
            view_count=share.view_count,
            created_at=share.created_at,
        )


class ShareList(msgspec.Struct):
    items: list[ShareOut]


class SharedUrls(msgspec.Struct):
    thumbnail: str
    preview: str
    original: str | UnsetType = UNSET  # only when the link allows downloads


class SharedPhotoOut(msgspec.Struct):
    """A photo as a link's holder sees it: no owner, location, digest, comments or likes."""

    id: int
    caption: str
    taken_at: str | None
    created_at: str
    width: int  # of the picture as its owner turned it (`rotation`, degrees clockwise)
    height: int
    rotation: int
    content_type: str
    placeholder: str
    urls: SharedUrls
    exif: ExifOut | UnsetType = UNSET  # only when the link shows metadata

    @classmethod
    def of(cls, photo: Photo, share: Share) -> SharedPhotoOut:
        base = f"{share.path}/media/{photo.id}"
        urls = SharedUrls(thumbnail=f"{base}/thumbnail", preview=f"{base}/preview")
        if share.allow_download:
            urls.original = f"{base}/original"
        out = cls(
            id=photo.id,
            caption=photo.caption,
            taken_at=photo.taken_at,
            created_at=photo.created_at,
            width=photo.width,
            height=photo.height,
            rotation=photo.rotation,
            content_type=photo.content_type,
            placeholder=photo.placeholder,
            urls=urls,
        )
        if share.show_metadata:
            out.exif = ExifOut(
                make=photo.camera_make,
                model=photo.camera_model,
                lens=photo.lens,
                focal_length=photo.focal_length,
                aperture=photo.aperture,
                exposure_time=photo.exposure_time,
                iso=photo.iso,
            )
        return out


class SharedInfo(msgspec.Struct):
    kind: Literal["album", "photos"]
    title: str
    description: str
    photo_count: int
    expires_at: str | None
    allow_download: bool
    show_metadata: bool


class SharedPage(msgspec.Struct):
    share: SharedInfo
    items: list[SharedPhotoOut]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


def _out(svc: Services, share: Share) -> ShareOut:
    return ShareOut.of(share, svc.settings.public_url)


class SharesApi(Controller):
    path = "/api/v1/shares"
    tags = ["shares"]

    @post("/", status_code=201, responses=refusals(WRITE, JSON_BODY))
    async def create_share(self, request: Request[Any, Any, Any], data: ShareBody) -> ShareOut:
        user = await require_user(request)
        svc = services(request)
        share = await shares.create(
            svc,
            user,
            album_id=data.album_id,
            photo_ids=data.photo_ids,
            expires_at=data.expires_at,
            password=data.password,
            allow_download=data.allow_download,
            show_metadata=data.show_metadata,
        )
        return _out(svc, share)

    @get("/", responses=refusals(READ))
    async def list_shares(self, request: Request[Any, Any, Any]) -> ShareList:
        user = await require_user(request)
        svc = services(request)
        return ShareList(items=[_out(svc, share) for share in await shares.mine(svc, user)])

    @patch("/{share_id:int}", responses=refusals(WRITE, JSON_BODY))
    async def edit_share(
        self, request: Request[Any, Any, Any], share_id: RowId, data: ShareEditBody
    ) -> ShareOut:
        user = await require_user(request)
        svc = services(request)
        changes = {
            name: getattr(data, name)
            for name in ("expires_at", "password", "allow_download", "show_metadata")
            if getattr(data, name) is not UNSET
        }
        return _out(svc, await shares.update(svc, user, share_id, **changes))

    @delete("/{share_id:int}", status_code=204, responses=refusals(WRITE))
    async def revoke_share(self, request: Request[Any, Any, Any], share_id: RowId) -> None:
        user = await require_user(request)
        await shares.revoke(services(request), user, share_id)


async def holder_link(request: Request[Any, Any, Any], token: str, password: str | None) -> Link:
    """The link, for a script: a protected one needs its password in X-Share-Password."""
    svc = services(request)
    link = await shares.open_link(svc, token)
    if link.share.has_password:
        if password is None:
            raise NotAuthenticated("This link needs its password (header X-Share-Password).")
        await share_holders.try_header_password(svc, link, password, client_ip(request))
    return link


ShareLimit = Parameter(default=shares.PAGE_DEFAULT, ge=1, le=shares.PAGE_MAX)


class SharedApi(Controller):
    path = "/api/v1/s"
    tags = ["shares"]

    @get("/{share_token:str}", responses=refusals(OBJECT_READ, 410, 429))
    async def shared(
        self,
        request: Request[Any, Any, Any],
        share_token: str,
        cursor: str | None = Cursor,
        limit: int = ShareLimit,
        x_share_password: Annotated[
            str | None, HeaderParameter(name=PASSWORD_HEADER, required=False, max_length=2048)
        ] = None,
    ) -> SharedPage:
        link = await holder_link(request, share_token, x_share_password)
        svc = services(request)
        items, next_cursor = await share_holders.page(svc, link, cursor=cursor, limit=limit)
        await share_holders.count_view(
            svc,
            link,
            cursor=cursor,
            user_agent=request.headers.get("user-agent", ""),
            head=is_head(request.scope),
        )
        share = link.share
        info = SharedInfo(
            kind=share.kind,  # type: ignore[arg-type]
            title=share.title,
            description=share.description,
            photo_count=len(link.photo_ids),
            expires_at=share.expires_at,
            allow_download=share.allow_download,
            show_metadata=share.show_metadata,
        )
        return SharedPage(
            share=info,
            items=[SharedPhotoOut.of(photo, share) for photo in items],
            next_cursor=next_cursor,
        )


SHARE_API_HANDLERS = [SharesApi, SharedApi]
