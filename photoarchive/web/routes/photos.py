"""One photo: its page (or modal), and what can be done to it: like, caption, delete."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from photoarchive.library import likes, photos
from photoarchive.web.params import RowId
from photoarchive.web.render import Req, back_to, form_fields, is_htmx, render
from photoarchive.web.viewer import require_reader, require_user, services


@get("/photos/{photo_id:int}", name="photo")
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
    photo = await likes.set_like(services(request), user, photo_id, form.get("liked") == "1")
    if is_htmx(request):
        return render(request, "_like_button.html", user=user, photo=photo)
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


HANDLERS = [photo_page, like, edit_caption, delete_photo]
