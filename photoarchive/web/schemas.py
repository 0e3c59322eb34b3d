"""The JSON API's answers as types: what /schema/openapi.json promises, and what is sent.

Each answer is built from a domain object by its `of()`; the JSON shape lives here alone. A key
that is present only sometimes (a photo's `location`, the `detail` of an upload that kept
nothing) defaults to UNSET, which msgspec leaves out of the JSON and the document marks as
not required.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Literal

import msgspec
from msgspec import UNSET, UnsetType

if TYPE_CHECKING:
    from photoarchive.accounts.users import User
    from photoarchive.library.notifications import Notification
    from photoarchive.library.photos import Comment, Photo
    from photoarchive.library.usage import Usage
    from photoarchive.web.uploads import FileOutcome


class UserOut(msgspec.Struct):
    """Anyone's view of an account."""

    username: str
    display_name: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(username=user.username, display_name=user.display_name)


class AccountOut(msgspec.Struct):
    """The signed-in person's own view of their account."""

    username: str
    display_name: str
    id: int
    email: str
    is_admin: bool
    created_at: str

    @classmethod
    def of(cls, user: User) -> AccountOut:
        return cls(
            username=user.username,
            display_name=user.display_name,
            id=user.id,
            email=user.email,
            is_admin=user.is_admin,
            created_at=user.created_at,
        )


class SignupOut(msgspec.Struct):
    user: AccountOut
    # True while the account waits for its emailed code (see POST /api/v1/auth/confirm).
    confirmation_required: bool


class ConfirmOut(msgspec.Struct):
    confirmed: bool


class LoginOut(msgspec.Struct):
    token: str
    user: AccountOut


class UsageOut(msgspec.Struct):
    """What a person's photos take up: how many, and their originals' bytes (trash included)."""

    photos: int
    bytes: int

    @classmethod
    def of(cls, usage: Usage) -> UsageOut:
        return cls(photos=usage.photos, bytes=usage.bytes)


class MeOut(msgspec.Struct):
    user: AccountOut
    usage: UsageOut
    # How many bytes of originals this person may keep; null: no limit.
    quota_bytes: int | None


class ProfileCounts(msgspec.Struct):
    photos: int
    likes: int
    comments: int


class ProfileOut(msgspec.Struct):
    user: UserOut
    counts: ProfileCounts


class OwnerOut(msgspec.Struct):
    username: str


class ExifOut(msgspec.Struct):
    make: str | None
    model: str | None
    lens: str | None
    focal_length: float | None
    aperture: float | None
    exposure_time: str | None
    iso: int | None


class PhotoUrls(msgspec.Struct):
    original: str
    thumbnail: str
    preview: str


class LocationOut(msgspec.Struct):
    lat: float
    lon: float | None


class PlaceOut(msgspec.Struct):
    city: str | None
    region: str | None
    country: str | None
    country_code: str | None


class PhotoOut(msgspec.Struct):
    id: int
    owner: OwnerOut
    caption: str
    created_at: str
    taken_at: str | None
    camera: str | None
    exif: ExifOut
    width: int
    height: int
    bytes: int
    content_type: str
    placeholder: str
    like_count: int
    liked_by_me: bool
    # The viewer's own mark, seen by nobody else (false for a guest).
    favorite: bool
    comment_count: int
    urls: PhotoUrls
    # "family": every member sees it; "private": its owner and the members of albums holding it.
    visibility: Literal["family", "private"]
    # Degrees clockwise its owner turned it, on top of its EXIF orientation (0, 90, 180, 270);
    # width, height and the renditions are of the turned picture already.
    rotation: int
    # The digest of the original (location included) and the location itself are the owner's
    # alone: the digest would let others test guesses of the location.
    sha256: str | UnsetType = UNSET
    location: LocationOut | UnsetType = UNSET
    # Whether its owner took it out of the feed and their profile (the owner's copy only).
    archived: bool | UnsetType = UNSET
    # Its town and country: null when unknown, or not the caller's to see (see library/places.py).
    place: PlaceOut | None = None

    @classmethod
    def fields_of(cls, photo: Photo) -> dict[str, object]:
        fields: dict[str, object] = {
            "id": photo.id,
            "owner": OwnerOut(photo.owner),
            "caption": photo.caption,
            "created_at": photo.created_at,
            "taken_at": photo.taken_at,
            "camera": photo.camera,
            "exif": ExifOut(
                make=photo.camera_make,
                model=photo.camera_model,
                lens=photo.lens,
                focal_length=photo.focal_length,
                aperture=photo.aperture,
                exposure_time=photo.exposure_time,
                iso=photo.iso,
            ),
            "width": photo.width,
            "height": photo.height,
            "bytes": photo.bytes,
            "content_type": photo.content_type,
            "placeholder": photo.placeholder,
            "like_count": photo.like_count,
            "liked_by_me": photo.liked_by_me,
            "favorite": photo.favorite,
            "comment_count": photo.comment_count,
            "urls": PhotoUrls(
                original=photo.url("original"),
                thumbnail=photo.url("thumbnail"),
                preview=photo.url("preview"),
            ),
            "visibility": photo.visibility,
            "rotation": photo.rotation,
            "place": None if photo.place is None else PlaceOut(**asdict(photo.place)),
        }
        if photo.can_edit:
            fields["sha256"] = photo.sha256
            fields["archived"] = photo.archived
            if photo.gps_lat is not None:
                fields["location"] = LocationOut(lat=photo.gps_lat, lon=photo.gps_lon)
        return fields

    @classmethod
    def of(cls, photo: Photo) -> PhotoOut:
        return cls(**cls.fields_of(photo))  # type: ignore[arg-type]


class PhotoPage(msgspec.Struct):
    items: list[PhotoOut]
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None

    @classmethod
    def of(cls, items: list[Photo], next_cursor: str | None) -> PhotoPage:
        return cls(items=[PhotoOut.of(p) for p in items], next_cursor=next_cursor)


class AuthorOut(msgspec.Struct):
    username: str


class CommentOut(msgspec.Struct):
    id: int
    photo_id: int
    author: AuthorOut
    text: str
    created_at: str
    can_delete: bool

    @classmethod
    def of(cls, comment: Comment) -> CommentOut:
        return cls(
            id=comment.id,
            photo_id=comment.photo_id,
            author=AuthorOut(comment.author),
            text=comment.text,
            created_at=comment.created_at,
            can_delete=comment.can_delete,
        )


class CommentList(msgspec.Struct):
    items: list[CommentOut]


class LikeState(msgspec.Struct):
    liked: bool
    like_count: int


class FavoriteState(msgspec.Struct):
    favorite: bool


class ActorOut(msgspec.Struct):
    username: str


class NotificationOut(msgspec.Struct):
    id: int
    # A comment on or a like of one of the person's photos, their being added to an album, or
    # photos someone added to an album they are in.
    kind: Literal["comment", "like", "album", "album_photos"]
    actor: ActorOut
    # The photo commented on or liked; null for the album kinds.
    photo_id: int | None
    created_at: str
    read: bool
    # The album, for 'album' and 'album_photos'; null otherwise.
    album_id: int | None = None
    # For 'album_photos': how many photos the actor added, of those the person may still see;
    # null otherwise.
    photo_count: int | None = None

    @classmethod
    def of(cls, item: Notification) -> NotificationOut:
        return cls(
            id=item.id,
            kind=item.kind,
            actor=ActorOut(item.actor),
            photo_id=item.photo_id,
            created_at=item.created_at,
            read=item.read,
            album_id=item.album_id,
            photo_count=item.photo_count,
        )


class NotificationPage(msgspec.Struct):
    items: list[NotificationOut]
    # Unread notifications in all (not only on this page) that the person may see.
    unread: int
    # Pass as `cursor` for the next page; null on the last page.
    next_cursor: str | None


class UnreadOut(msgspec.Struct):
    unread: int


class UploadedPhotoOut(PhotoOut, kw_only=True):
    # True when the same file was already in the uploader's archive: that photo is answered.
    duplicate: bool
    # The batch the photo is in (GET /api/v1/batches/{id}): the files of one request, or of
    # the requests that sent the same `batch`; null for a photo sent alone.
    batch_id: int | None

    @classmethod
    def of_upload(cls, photo: Photo, duplicate: bool, batch_id: int | None) -> UploadedPhotoOut:
        fields = cls.fields_of(photo)
        return cls(**fields, duplicate=duplicate, batch_id=batch_id)  # type: ignore[arg-type]


class UploadError(msgspec.Struct):
    filename: str
    status: int
    detail: str


class FileResult(msgspec.Struct):
    """What became of one file sent, in the order the files were sent."""

    filename: str
    outcome: Literal["kept", "duplicate", "refused"]
    status: int
    detail: str
    id: int | None  # the photo kept (or already there) for the file

    @classmethod
    def of(cls, outcome: FileOutcome) -> FileResult:
        return cls(
            filename=outcome.filename,
            outcome=outcome.outcome,  # type: ignore[arg-type]
            status=outcome.status,
            detail=outcome.detail,
            id=None if outcome.photo is None else outcome.photo.id,
        )


class UploadOut(msgspec.Struct):
    items: list[UploadedPhotoOut]
    errors: list[UploadError]
    results: list[FileResult]
    # Only when no file was kept: the first refusal's reason and status, as in an error answer.
    detail: str | UnsetType = UNSET
    status: int | UnsetType = UNSET


class ErrorOut(msgspec.Struct):
    """Every refusal under /api/v1: its status again, why in words a person understands, and
    the body field at fault when there is one."""

    status: int
    detail: str
    field: str | UnsetType = UNSET
