"""Setting a photo right from its page: its owner turns it, or says when it was taken.

Forms beside the photo's other owner forms (who sees it, archive): without scripts the photo's
page comes back with the change, opened from the same list; with them, on the photo's page,
htmx follows the same redirect and swaps the photo in from it (templates/_photo_fixes.html)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Response, post

from photoarchive.errors import Invalid
from photoarchive.library import rotations, taken_dates
from photoarchive.web.params import RowId
from photoarchive.web.render import Req, back_to, form_fields
from photoarchive.web.viewer import require_user, services

# The `from` of a photo page (see routes/photos.py), handed back as it came.
FROM_MAX = 64


def _photo_page(photo_id: int, form: dict[str, str]) -> str:
    within = form.get("from", "")
    query = f"?from={quote(within, safe=':')}" if within and len(within) <= FROM_MAX else ""
    return f"/photos/{photo_id}{query}"


# The page's buttons turn the photo from where it stands when the turn is made.
TURNS = {"left": -1, "right": 1}


@post("/photos/{photo_id:int}/rotation", status_code=200)
async def rotate(request: Req, photo_id: RowId) -> Response[Any]:
    """The owner turns the photo: `turn` (left or right) a quarter from where it stands, or
    `rotation`, where it ends up (degrees clockwise), as pages drawn before `turn` ask."""
    user = await require_user(request)
    form = await form_fields(request)
    svc = services(request)
    if "turn" in form:
        quarters = TURNS.get(form["turn"])
        if quarters is None:
            raise Invalid("A photo turns left or right.", field="turn")
        await rotations.turn(svc, user, photo_id, quarters)
    else:
        value = form.get("rotation", "")
        # Digits of a turn only (int() of thousands of digits raises); rotations says what
        # is not.
        wanted = int(value) if value.isascii() and value.isdigit() and len(value) <= 3 else value
        await rotations.set_rotation(svc, user, photo_id, wanted)
    return back_to(request, _photo_page(photo_id, form))


@post("/photos/{photo_id:int}/taken", status_code=200)
async def edit_taken(request: Req, photo_id: RowId) -> Response[Any]:
    """The owner says when the photo was taken: a date-and-time field (empty: not known), and
    the offset the photo's date had, kept so that the same instant is not moved by a zone."""
    user = await require_user(request)
    form = await form_fields(request)
    value = form.get("taken_at", "").strip()
    stamp = value + form.get("offset", "") if value else None
    await taken_dates.set_taken_at(services(request), user, photo_id, stamp)
    return back_to(request, _photo_page(photo_id, form))


HANDLERS = [rotate, edit_taken]
