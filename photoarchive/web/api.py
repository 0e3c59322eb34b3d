"""The JSON API under /api/v1: the same domain calls as the pages, answered as JSON."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

from photoarchive.accounts import sessions, throttle, users
from photoarchive.db import MAX_ROWID
from photoarchive.library import (
    access,
    batches,
    comments,
    likes,
    notifications,
    photos,
    trash,
    usage,
    visibility,
)
from photoarchive.web import photo_edits
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.params import RowId
from photoarchive.web.photo_edits import PhotoEditBody
from photoarchive.web.schemas import (
    AccountOut,
    CommentList,
    CommentOut,
    ConfirmOut,
    ErrorOut,
    FileResult,
    LikeState,
    LoginOut,
    MeOut,
    NotificationOut,
    NotificationPage,
    PhotoOut,
    PhotoPage,
    ProfileCounts,
    ProfileOut,
    SignupOut,
    UnreadOut,
    UploadedPhotoOut,
    UploadError,
    UploadOut,
    UsageOut,
    UserOut,
)
from photoarchive.web.upload_body import UploadOperation
from photoarchive.web.uploads import receive_photos
from photoarchive.web.viewer import (
    client_ip,
    current_session,
    require_reader,
    require_user,
    services,
    start_session,
)


class SignupBody(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    email: str
    password: str
    invite: str | None = None


class ConfirmBody(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    code: str


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    login: str
    password: str


class CommentBody(msgspec.Struct, forbid_unknown_fields=True):
    text: str


NotificationId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ROWID)]
NotificationIds = Annotated[list[NotificationId], msgspec.Meta(max_length=notifications.MARK_MAX)]


class ReadBody(msgspec.Struct, forbid_unknown_fields=True):
    # The notifications to mark read; left out or null: all of them.
    ids: NotificationIds | None = None


# What each refusal means, for the OpenAPI document; every one has ErrorOut's shape.
REFUSALS = {
    400: "The request is malformed: a bad parameter, or a body that is not valid JSON.",
    401: "Not signed in (or the session or token has ended).",
    403: "Not allowed: someone else's object, a disabled account, or a missing CSRF token.",
    404: "No such object, or not one this viewer may see.",
    409: "Taken already (a username or an e-mail address).",
    410: "Gone for good: a share link past its expiry.",
    413: "The body is larger than this operation accepts.",
    415: "The body is not JSON (Content-Type: application/json).",
    422: "A value is refused; `field` names it and `detail` says why.",
    429: "Too many attempts; `Retry-After` says when to try again.",
    503: "Out of service for now (the database, the photo store or the sign-in provider);"
    " `Retry-After`, where it is known, says when to try again.",
}
UPLOAD_REFUSALS = {
    503: "Too many photos are being decoded; `Retry-After` says when to send again.",
    507: "The photo store has no room left, or the photo would pass its owner's quota.",
}
READ = (400, 401)
OBJECT_READ = (400, 401, 404)
WRITE = (400, 401, 403, 404)
JSON_BODY = (413, 415, 422)


def refusals(*groups: tuple[int, ...] | int) -> dict[int, ResponseSpec]:
    """The documented error answers of an operation, all with ErrorOut's shape (Litestar's own
    400 schema would otherwise describe a body this API never sends)."""
    codes = sorted(
        {code for group in groups for code in (group if isinstance(group, tuple) else (group,))}
    )
    return {
        code: ResponseSpec(
            data_container=ErrorOut, description=REFUSALS[code], generate_examples=False
        )
        for code in codes
    }


Cursor = Parameter(default=None, max_length=20)
Limit = Parameter(default=photos.PAGE_DEFAULT, ge=1, le=photos.PAGE_MAX)


class AuthApi(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post(
        "/signup",
        status_code=201,
        opt=GUEST_BODY,
        responses=refusals(400, 403, 409, JSON_BODY, 429, 503),
    )
    async def signup(self, request: Request[Any, Any, Any], data: SignupBody) -> SignupOut:
        svc = services(request)
        signed = await throttle.signing_up(
            svc,
            client_ip(request),
            lambda: svc.accounts.sign_up(
                svc,
                username=data.username,
                email=data.email,
                password=data.password,
                invite=data.invite,
            ),
        )
        # An account waiting for its emailed code signs in after POST /api/v1/auth/confirm.
        return SignupOut(
            user=AccountOut.of(signed.user), confirmation_required=signed.confirmation_required
        )

    # 404 where accounts need no emailed code; 401 for a name the sign-in provider does not know.
    @post(
        "/confirm",
        status_code=200,
        opt=GUEST_BODY,
        responses=refusals(400, 401, 403, 404, JSON_BODY, 429, 503),
    )
    async def confirm(self, request: Request[Any, Any, Any], data: ConfirmBody) -> ConfirmOut:
        svc = services(request)
        await svc.accounts.confirm(svc, data.username, data.code)
        return ConfirmOut(confirmed=True)

    @post(
        "/login",
        status_code=200,
        opt=GUEST_BODY,
        responses=refusals(400, 401, 403, JSON_BODY, 429, 503),
    )
    async def login(self, request: Request[Any, Any, Any], data: LoginBody) -> LoginOut:
        svc = services(request)
        signed = await throttle.guarded(
            svc,
            data.login,
            client_ip(request),
            lambda: svc.accounts.sign_in(svc, data.login, data.password),
        )
        token = await start_session(
            request, signed.user.id, "bearer", signed.refresh_token, signed.password_hash
        )
        return LoginOut(token=token, user=AccountOut.of(signed.user))

    @post("/logout", status_code=204, responses=refusals(400, 401, 403))
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        session = await current_session(request)
        if session is None:
            await require_user(request)
            return
        svc = services(request)
        await svc.accounts.sign_out(svc, session)
        await sessions.end_by_id(svc.db, session.id)


class MeApi(Controller):
    path = "/api/v1/me"
    tags = ["users"]

    @get("/", responses=refusals(READ))
    async def me(self, request: Request[Any, Any, Any]) -> MeOut:
        user = await require_user(request)
        used, quota = await usage.standing(services(request).db, user.id)
        return MeOut(user=AccountOut.of(user), usage=UsageOut.of(used), quota_bytes=quota)


class PhotosApi(Controller):
    path = "/api/v1/photos"
    tags = ["photos"]

    @get("/", responses=refusals(READ))
    async def list_photos(
        self, request: Request[Any, Any, Any], cursor: str | None = Cursor, limit: int = Limit
    ) -> PhotoPage:
        viewer = await require_reader(request)
        items, next_cursor = await photos.page(
            services(request), viewer, cursor=cursor, limit=limit, with_comments=False
        )
        return PhotoPage.of(items, next_cursor)

    @post(
        "/",
        request_max_body_size=None,
        operation_class=UploadOperation,
        responses={
            200: ResponseSpec(
                data_container=UploadOut, description="Every file was already in the archive."
            ),
            **refusals(401, 403),
            # Refused before the files are read: ErrorOut; every file refused: UploadOut,
            # each file's reason in `results`, the first one's in `detail` and `status`.
            **{
                code: ResponseSpec(
                    data_container=UploadOut | ErrorOut,  # type: ignore[arg-type]
                    description=UPLOAD_REFUSALS.get(code, REFUSALS.get(code, "")),
                    generate_examples=False,
                )
                for code in (400, 413, 415, 422, 503, 507)
            },
        },
    )
    async def upload(self, request: Request[Any, Any, Any]) -> Response[UploadOut]:
        user = await require_user(request)
        result = await receive_photos(request, user)
        batch_of = await batches.of_photos(services(request).db, [p.id for p, _ in result.items])
        body = UploadOut(
            items=[
                UploadedPhotoOut.of_upload(p, dup, batch_of.get(p.id)) for p, dup in result.items
            ],
            errors=[UploadError(**error) for error in result.errors],
            # One entry for every file sent, in order: kept, duplicate or refused, and why.
            results=[FileResult.of(outcome) for outcome in result.files],
        )
        if not result.items:
            body.detail = result.errors[0]["detail"]
            body.status = result.status
        return Response(body, status_code=result.status, headers=result.headers)

    @get("/{photo_id:int}", responses=refusals(OBJECT_READ))
    async def get_photo(self, request: Request[Any, Any, Any], photo_id: RowId) -> PhotoOut:
        viewer = await require_reader(request)
        return PhotoOut.of(await photos.get(services(request), photo_id, viewer))

    @patch(
        "/{photo_id:int}", responses={**refusals(WRITE, JSON_BODY), **photo_edits.STORE_REFUSALS}
    )
    async def edit_photo(
        self, request: Request[Any, Any, Any], photo_id: RowId, data: PhotoEditBody
    ) -> PhotoOut:
        user = await require_user(request)
        return PhotoOut.of(await photo_edits.apply(services(request), user, photo_id, data))

    @delete("/{photo_id:int}", status_code=204, responses=refusals(WRITE))
    async def delete_photo(self, request: Request[Any, Any, Any], photo_id: RowId) -> None:
        user = await require_user(request)
        await trash.move(services(request), user, photo_id)  # for good when trash_days is 0

    @get("/{photo_id:int}/comments", responses=refusals(OBJECT_READ))
    async def list_comments(self, request: Request[Any, Any, Any], photo_id: RowId) -> CommentList:
        viewer = await require_reader(request)
        svc = services(request)
        photo = await photos.get(svc, photo_id, viewer, all_comments=True)
        return CommentList(items=[CommentOut.of(c) for c in photo.comments])

    @post("/{photo_id:int}/comments", status_code=201, responses=refusals(WRITE, JSON_BODY, 429))
    async def add_comment(
        self, request: Request[Any, Any, Any], photo_id: RowId, data: CommentBody
    ) -> CommentOut:
        user = await require_user(request)
        comment = await comments.add(services(request), user, photo_id, data.text)
        return CommentOut.of(comment)

    @put("/{photo_id:int}/like", responses=refusals(WRITE))
    async def like(self, request: Request[Any, Any, Any], photo_id: RowId) -> LikeState:
        user = await require_user(request)
        photo = await likes.set_like(services(request), user, photo_id, True)
        return LikeState(liked=True, like_count=photo.like_count)

    @delete("/{photo_id:int}/like", status_code=200, responses=refusals(WRITE))
    async def unlike(self, request: Request[Any, Any, Any], photo_id: RowId) -> LikeState:
        user = await require_user(request)
        photo = await likes.set_like(services(request), user, photo_id, False)
        return LikeState(liked=False, like_count=photo.like_count)


class CommentsApi(Controller):
    path = "/api/v1/comments"
    tags = ["comments"]

    @delete("/{comment_id:int}", status_code=204, responses=refusals(WRITE))
    async def delete_comment(self, request: Request[Any, Any, Any], comment_id: RowId) -> None:
        user = await require_user(request)
        await comments.delete(services(request), user, comment_id)


class UsersApi(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/{username:str}", responses=refusals(OBJECT_READ))
    async def profile(self, request: Request[Any, Any, Any], username: str) -> ProfileOut:
        viewer = await require_reader(request)
        svc = services(request)
        user = await users.by_username(svc.db, username)
        counts = await visibility.profile_counts(
            svc, user.id, access.Viewer(viewer, svc.settings.public_view)
        )
        return ProfileOut(user=UserOut.of(user), counts=ProfileCounts(**counts))

    @get("/{username:str}/photos", responses=refusals(OBJECT_READ))
    async def photos_of(
        self,
        request: Request[Any, Any, Any],
        username: str,
        cursor: str | None = Cursor,
        limit: int = Limit,
    ) -> PhotoPage:
        viewer = await require_reader(request)
        svc = services(request)
        user = await users.by_username(svc.db, username)
        items, next_cursor = await photos.page(
            svc, viewer, cursor=cursor, limit=limit, owner_id=user.id, with_comments=False
        )
        return PhotoPage.of(items, next_cursor)


NotificationLimit = Parameter(default=notifications.PAGE_DEFAULT, ge=1, le=notifications.PAGE_MAX)


class NotificationsApi(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]

    @get("/", responses=refusals(READ))
    async def list_notifications(
        self,
        request: Request[Any, Any, Any],
        cursor: str | None = Cursor,
        limit: int = NotificationLimit,
    ) -> NotificationPage:
        user = await require_user(request)
        svc = services(request)
        items, next_cursor, _ = await notifications.page(svc, user, cursor=cursor, limit=limit)
        return NotificationPage(
            items=[NotificationOut.of(item) for item in items],
            unread=await notifications.unread_count(svc, user),
            next_cursor=next_cursor,
        )

    @post("/read", status_code=200, responses=refusals(400, 401, 403, 413, 415))
    async def mark_read(self, request: Request[Any, Any, Any], data: ReadBody) -> UnreadOut:
        user = await require_user(request)
        unread = await notifications.mark_read(services(request), user, data.ids)
        return UnreadOut(unread=unread)


API_HANDLERS = [AuthApi, MeApi, PhotosApi, CommentsApi, UsersApi, NotificationsApi]
