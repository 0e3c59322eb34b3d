"""The trash page: the viewer's deleted photos, restored or deleted for good one by one, or
all at once (plain forms: no script needed). See library/trash.py."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect, Template

from photoarchive.db import row_id
from photoarchive.library import trash
from photoarchive.web import selection
from photoarchive.web.confirming import Question, asked
from photoarchive.web.params import RowId
from photoarchive.web.render import Req, form_fields, is_htmx, render, safe_next
from photoarchive.web.viewer import require_user, services


@get("/trash", name="trash")
async def trash_page(
    request: Req,
    cursor: str | None = None,
    notice: str | None = None,
    photo: str | None = None,
) -> Template:
    user = await require_user(request)
    items, next_cursor = await trash.page(services(request), user, cursor=cursor)
    shown: dict[str, Any] = {
        "items": items,
        "next_cursor": next_cursor,
        "selection": selection.TRASH,
    }
    if is_htmx(request) and cursor:  # the next page of the grid, scrolled into view
        return render(request, "_trash_page.html", user=user, **shown)
    notes = {"restored": "Restored.", "deleted": "Deleted for good.", "emptied": "Trash emptied."}
    # A photo restored from here is back where it was: the notice links to it (its page
    # decides, as always, whether this viewer may see it). Anything but an id: no link.
    restored = row_id(photo) if notice == "restored" else None
    return render(
        request,
        "trash.html",
        user=user,
        notice=notes.get(notice or ""),
        restored=restored,
        **shown,
    )


def _back(notice: str, photo_id: int | None = None) -> Response[Any]:
    photo = "" if photo_id is None else f"&photo={photo_id}"
    return Redirect(f"/trash?notice={notice}{photo}", status_code=303)


@post("/trash/{photo_id:int}/restore", status_code=303)
async def restore(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    wanted = (await form_fields(request)).get("next")
    await trash.restore_one(services(request), user, photo_id)
    # Undo, from the notice a delete leaves (_trashed_notice.html): back to the photo.
    return Redirect(safe_next(wanted), status_code=303) if wanted else _back("restored", photo_id)


@post("/trash/{photo_id:int}/delete", status_code=303)
async def purge(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    question = Question(
        "Delete this photo for good?",
        "Its original, its comments and its likes go from the archive. This cannot be undone.",
        "Delete forever",
        "/trash",
    )
    await trash.in_trash(services(request), user, photo_id)  # before asking: is it there?
    if ask := await asked(request, user, question):
        return ask
    await trash.purge(services(request), user, photo_id)
    return _back("deleted")


@post("/trash/empty", status_code=303)
async def empty(request: Req) -> Response[Any]:
    user = await require_user(request)
    question = Question(
        "Empty the trash?",
        "Every photo in your trash is deleted for good, with its comments and likes."
        " This cannot be undone.",
        "Empty trash",
        "/trash",
    )
    if ask := await asked(request, user, question):
        return ask
    await trash.empty(services(request), user)
    return _back("emptied")


HANDLERS = [trash_page, restore, purge, empty]
