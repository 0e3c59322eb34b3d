"""HTML pages. Each HTMX request gets the same partial the full page includes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.plugins.htmx import ClientRedirect, HTMXTemplate
from litestar.response import Redirect, Template

from photoarchive.accounts import invites, sessions, throttle, users
from photoarchive.accounts.users import User
from photoarchive.errors import AppError, NotAuthenticated, NotFound, TooManyRequests
from photoarchive.library import comments, photos
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.pagecache import CACHED
from photoarchive.web.params import RowId
from photoarchive.web.uploads import receive_photos
from photoarchive.web.viewer import (
    clear_session_cookie,
    client_ip,
    current_session,
    require_admin,
    require_reader,
    require_user,
    services,
    session_cookie,
    viewer,
)

Req = Request[Any, Any, Any]


def is_htmx(request: Req) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Req, template: str, *, user: User | None, status: int = 200, **context: Any
) -> Template:
    settings = services(request).settings
    context.update(
        viewer=user,
        public_view=settings.public_view,
        registration=settings.registration,
        max_upload_bytes=settings.max_upload_bytes,
        email_codes=services(request).accounts.uses_email_codes,
    )
    if is_htmx(request):
        return HTMXTemplate(template_name=template, context=context, status_code=status)
    return Template(template_name=template, context=context, status_code=status)


# Pages that would send a signed-in person straight back to sign-in: never a destination.
_NOT_AFTER_SIGN_IN = ("/login", "/signup", "/logout")


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in, and never back to the sign-in pages
    (a signed-in visit to /login?next=/login would redirect to itself for ever)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.split("?", 1)[0].rstrip("/") in _NOT_AFTER_SIGN_IN:
        return "/"
    return target


def back_to(request: Req, fallback: str) -> Redirect:
    return Redirect(fallback, status_code=303)


async def form_fields(request: Req) -> dict[str, str]:
    """The text fields of a posted form (files, which only the upload reads, are left out)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


# --- health -------------------------------------------------------------------------------


@get("/healthz", include_in_schema=False, cache=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


# --- feed and photos ----------------------------------------------------------------------


@get("/", name="feed", opt=CACHED)
async def feed(request: Req, cursor: str | None = None) -> Template:
    user = await require_reader(request)
    items, next_cursor = await photos.page(services(request), user, cursor=cursor)
    if is_htmx(request) and cursor:
        return render(request, "_feed_page.html", user=user, photos=items, next_cursor=next_cursor)
    return render(request, "feed.html", user=user, photos=items, next_cursor=next_cursor)


@get("/photos/{photo_id:int}", name="photo", opt=CACHED)
async def photo_page(request: Req, photo_id: RowId) -> Template:
    user = await require_reader(request)
    photo = await photos.get(services(request), photo_id, user, all_comments=True)
    if is_htmx(request) and request.headers.get("hx-target") == "modal":
        return render(request, "_photo_modal.html", user=user, photo=photo)
    return render(request, "photo.html", user=user, photo=photo)


@post("/photos/{photo_id:int}/like", status_code=200)
async def like(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    form = await form_fields(request)
    photo = await photos.set_like(services(request), user, photo_id, form.get("liked") == "1")
    if is_htmx(request):
        return render(request, "_like_button.html", user=user, photo=photo)
    return back_to(request, f"/photos/{photo_id}")


async def _comments_fragment(
    request: Req, user: User | None, photo_id: int, full: bool
) -> Template:
    svc = services(request)
    photo = await photos.get(svc, photo_id, user, all_comments=full)
    return render(request, "_comments.html", user=user, photo=photo, full=full)


@get("/photos/{photo_id:int}/comments", name="comments", opt=CACHED)
async def comments_fragment(request: Req, photo_id: RowId, view: str = "card") -> Template:
    """A photo's comments alone: live updates refresh them in place when someone comments."""
    user = await require_reader(request)
    return await _comments_fragment(request, user, photo_id, view == "full")


@post("/photos/{photo_id:int}/comments", status_code=200)
async def add_comment(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    form = await form_fields(request)
    await comments.add(services(request), user, photo_id, form.get("text", ""))
    if is_htmx(request):
        return await _comments_fragment(request, user, photo_id, form.get("view") == "full")
    return back_to(request, f"/photos/{photo_id}")


@post("/comments/{comment_id:int}/delete", status_code=200)
async def delete_comment(request: Req, comment_id: RowId) -> Response[Any]:
    user = await require_user(request)
    form = await form_fields(request)
    photo_id = await comments.delete(services(request), user, comment_id)
    if is_htmx(request):
        return await _comments_fragment(request, user, photo_id, form.get("view") == "full")
    return back_to(request, f"/photos/{photo_id}")


@post("/photos/{photo_id:int}/caption", status_code=200)
async def edit_caption(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    form = await form_fields(request)
    photo = await photos.set_caption(services(request), user, photo_id, form.get("caption", ""))
    if is_htmx(request):
        return render(request, "_caption.html", user=user, photo=photo)
    return back_to(request, f"/photos/{photo_id}")


@post("/photos/{photo_id:int}/delete", status_code=200)
async def delete_photo(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    await photos.delete(services(request), user, photo_id)
    target = f"/u/{user.username}"
    if is_htmx(request):
        return ClientRedirect(target)
    return Redirect(target, status_code=303)


@get("/u/{username:str}", name="profile", opt=CACHED)
async def profile(request: Req, username: str, cursor: str | None = None) -> Template:
    user = await require_reader(request)
    svc = services(request)
    owner = await users.by_username(svc.db, username)
    items, next_cursor = await photos.page(
        svc, user, cursor=cursor, owner_id=owner.id, with_comments=False
    )
    if is_htmx(request) and cursor:
        return render(
            request,
            "_grid_page.html",
            user=user,
            owner=owner,
            photos=items,
            next_cursor=next_cursor,
        )
    counts = await users.profile_counts(svc.db, owner.id)
    return render(
        request,
        "profile.html",
        user=user,
        owner=owner,
        photos=items,
        next_cursor=next_cursor,
        counts=counts,
    )


# --- upload -------------------------------------------------------------------------------


@get("/upload")
async def upload_form(request: Req) -> Template:
    user = await require_user(request)
    return render(request, "upload.html", user=user, result=None)


@post("/upload", request_max_body_size=None, status_code=200)
async def upload(request: Req) -> Template:
    user = await require_user(request)
    result = await receive_photos(request, user)
    return render(request, "upload.html", user=user, result=result, status=result.status)


# --- accounts -----------------------------------------------------------------------------


# Fixed texts a redirect to the sign-in page may ask for (never text from the address).
LOGIN_NOTICES = {
    "confirmed": "Your email address is confirmed. Sign in to start.",
    "reset": "Your password has been changed. Sign in with the new one.",
}


@get("/login")
async def login_form(
    request: Req, next: str | None = None, notice: str | None = None
) -> Response[Any]:
    try:
        user = await viewer(request)
    except NotAuthenticated:  # a stale Bearer token: the sign-in form is the way out
        user = None
    if user is not None:
        return Redirect(safe_next(next), status_code=303)
    return render(
        request,
        "login.html",
        user=None,
        next=safe_next(next),
        error=None,
        login="",
        notice=LOGIN_NOTICES.get(notice or ""),
    )


async def _start_session(
    request: Req, user: User, target: str, refresh_token: str | None = None
) -> Response[Any]:
    svc = services(request)
    old = request.cookies.get(sessions.COOKIE_NAME)
    if old:
        await sessions.end(svc.db, old)
    token = await sessions.create(
        svc.db,
        user.id,
        "cookie",
        user_agent=request.headers.get("user-agent", ""),
        client_ip=client_ip(request),
        refresh_token=refresh_token,
    )
    response: Response[Any] = (
        ClientRedirect(target) if is_htmx(request) else Redirect(target, status_code=303)
    )
    response.set_cookie(session_cookie(request, token))
    return response


@post("/login", status_code=200, opt=GUEST_BODY)
async def login(request: Req) -> Response[Any]:
    svc = services(request)
    form = await form_fields(request)
    target = safe_next(form.get("next"))
    login, password = form.get("login", ""), form.get("password", "")
    try:
        signed = await throttle.guarded(
            svc, login, client_ip(request), lambda: svc.accounts.sign_in(svc, login, password)
        )
    except AppError as exc:
        page = render(
            request,
            # An account still waiting for its emailed code is shown where to enter it.
            "confirm.html" if exc.field == "confirm" else "login.html",
            user=None,
            next=target,
            error=exc.message,
            login=login[:320],
            status=exc.status,
        )
        if isinstance(exc, TooManyRequests):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    return await _start_session(request, signed.user, target, signed.refresh_token)


@get("/signup")
async def signup_form(request: Req, invite: str | None = None) -> Template:
    return render(
        request,
        "signup.html",
        user=await viewer(request),
        error=None,
        field=None,
        values={"invite": invite or ""},
    )


@post("/signup", status_code=200, opt=GUEST_BODY)
async def signup(request: Req) -> Response[Any]:
    svc = services(request)
    form = await form_fields(request)
    try:
        signed = await throttle.signing_up(
            svc,
            client_ip(request),
            lambda: svc.accounts.sign_up(
                svc,
                username=form.get("username", ""),
                email=form.get("email", ""),
                password=form.get("password", ""),
                invite=form.get("invite") or None,
            ),
        )
    except AppError as exc:
        values = {k: form.get(k, "")[:320] for k in ("username", "email", "invite")}
        page = render(
            request,
            "signup.html",
            user=None,
            error=exc.message,
            field=exc.field,
            values=values,
            status=exc.status,
        )
        if isinstance(exc, TooManyRequests):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if signed.confirmation_required:
        target = "/confirm?" + urlencode({"username": signed.user.username})
        return ClientRedirect(target) if is_htmx(request) else Redirect(target, status_code=303)
    return await _start_session(request, signed.user, "/", signed.refresh_token)


@post("/logout", status_code=200, opt=GUEST_BODY)
async def logout(request: Req) -> Response[Any]:
    session = await current_session(request)
    if session is not None:
        svc = services(request)
        await svc.accounts.sign_out(svc, session)
        await sessions.end_by_id(svc.db, session.id)
    response: Response[Any] = Redirect("/login", status_code=303)
    clear_session_cookie(response)
    return response


# --- admin --------------------------------------------------------------------------------


async def _admin_page(request: Req, user: User, invite_url: str | None = None) -> Template:
    svc = services(request)
    return render(
        request,
        "admin.html",
        user=user,
        users=await users.list_all(svc.db),
        invites=await invites.pending(svc.db),
        invite_url=invite_url,
    )


@get("/admin")
async def admin(request: Req) -> Template:
    return await _admin_page(request, await require_admin(request))


@post("/admin/invites", status_code=200)
async def create_invite(request: Req) -> Template:
    user = await require_admin(request)
    svc = services(request)
    token, _expires = await invites.create(svc.db, user.id)
    url = f"{svc.settings.public_url}/signup?invite={token}"
    return await _admin_page(request, user, invite_url=url)


@post("/admin/users/{username:str}/{action:str}", status_code=200)
async def set_user_state(request: Req, username: str, action: str) -> Response[Any]:
    user = await require_admin(request)
    if action not in ("disable", "enable"):
        raise NotFound("There is no such account action.")
    await users.set_disabled(services(request).db, user, username, action == "disable")
    return Redirect("/admin", status_code=303)


PAGE_HANDLERS = [
    healthz,
    feed,
    photo_page,
    like,
    comments_fragment,
    add_comment,
    delete_comment,
    edit_caption,
    delete_photo,
    profile,
    upload_form,
    upload,
    login_form,
    login,
    signup_form,
    signup,
    logout,
    admin,
    create_invite,
    set_user_state,
]
