"""A photo's comments: the list alone (for live updates), adding one, deleting one."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Template

from photoarchive.accounts.users import User
from photoarchive.library import comments, photos
from photoarchive.web.params import RowId
from photoarchive.web.render import Req, back_to, form_fields, is_htmx, render
from photoarchive.web.viewer import require_reader, require_user, services


async def _comments_fragment(
    request: Req, user: User | None, photo_id: int, full: bool, modal: bool = False
) -> Template:
    """`modal`: for the photo's window over a list, whose field has an id of its own (the
    card behind it has the same photo's)."""
    svc = services(request)
    photo = await photos.get(svc, photo_id, user, all_comments=full)
    return render(request, "_comments.html", user=user, photo=photo, full=full, modal=modal)


@get("/photos/{photo_id:int}/comments", name="comments")
async def comments_fragment(
    request: Req, photo_id: RowId, view: str = "card", modal: str = ""
) -> Template:
    """A photo's comments alone: live updates refresh them in place when someone comments."""
    user = await require_reader(request)
    return await _comments_fragment(request, user, photo_id, view == "full", modal == "1")


@post("/photos/{photo_id:int}/comments", status_code=200)
async def add_comment(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    form = await form_fields(request)
    await comments.add(services(request), user, photo_id, form.get("text", ""))
    if is_htmx(request):
        return await _comments_fragment(
            request, user, photo_id, form.get("view") == "full", form.get("modal") == "1"
        )
    return back_to(request, f"/photos/{photo_id}", f"comments-{photo_id}")


@post("/comments/{comment_id:int}/delete", status_code=200)
async def delete_comment(request: Req, comment_id: RowId) -> Response[Any]:
    user = await require_user(request)
    form = await form_fields(request)
    photo_id = await comments.delete(services(request), user, comment_id)
    if is_htmx(request):
        return await _comments_fragment(
            request, user, photo_id, form.get("view") == "full", form.get("modal") == "1"
        )
    return back_to(request, f"/photos/{photo_id}", f"comments-{photo_id}")


HANDLERS = [comments_fragment, add_comment, delete_comment]
