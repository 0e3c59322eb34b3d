"""Acts that cannot be undone, asked once more. Their forms carry `ask=1`: a browser with
script asks in a dialog first (app.js, or htmx's hx-confirm) and sends `ask=0`; without
script the act answers a page that asks, whose button sends it again with `ask=0`. A
request without the field (a script of the person's own) is taken as meant."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.response import Template

from photoarchive.accounts.users import User
from photoarchive.web.render import Req, form_fields, referring_page, render

# The posted fields the asking page sends again (besides the form token): where to go after.
_KEPT = ("next", "username", "role")


@dataclass(frozen=True)
class Question:
    title: str  # the question itself: "Delete this photo for good?"
    detail: str  # what follows from it
    button: str  # the act, on its button: "Delete forever"
    back: str  # where "Cancel" leads when the browser does not say which page asked


def _back(came_from: str | None, back: str) -> str:
    """The page the act was asked from (a photo opened from an album keeps its way through
    the album), with `back`'s fragment when it is the same page; else `back`."""
    if came_from is None:
        return back
    path, hash_, fragment = back.partition("#")
    return came_from + hash_ + fragment if came_from.split("?")[0] == path else came_from


async def asked(request: Req, user: User, question: Question) -> Template | None:
    """The page asking `question` when the form wants it asked and it was not yet, else None."""
    fields = await form_fields(request)
    if fields.get("ask") != "1":
        return None
    kept = [(name, fields[name]) for name in _KEPT if name in fields]
    return render(
        request,
        "confirm_act.html",
        user=user,
        question=question,
        back=_back(referring_page(request), question.back),
        action=request.url.path,
        kept=kept,
    )
