"""Acts that cannot be undone, asked once more. Their forms carry `ask=1`: a browser with
script asks in a dialog first (app.js, or htmx's hx-confirm) and sends `ask=0`; without
script the act answers a page that asks, whose button sends it again with `ask=0`. A
request without the field (a script of the person's own) is taken as meant."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from litestar.response import Template

from photoarchive.accounts.users import User
from photoarchive.web.render import Req, form_fields, referring_page, render

# What a page's address says about the list it walks (a photo's `from`, a page's `cursor`).
_WALKED = ("from", "cursor")
# The posted fields the asking page sends again (besides the form token): where to go after.
_KEPT = ("next", "username", "role")


@dataclass(frozen=True)
class Question:
    title: str  # the question itself: "Delete this photo for good?"
    detail: str  # what follows from it
    button: str  # the act, on its button: "Delete forever"
    back: str  # where "Cancel" leads (with the list the asking page walked: see _back)


def _back(came_from: str | None, back: str) -> str:
    """`back`, with the list the page that asked was walking when that page is `back`'s own
    (a photo opened from an album keeps its way through the album). Any other page the
    browser names may not be one to go back to (a form's answer to a POST, say), and a
    notice in its address would be said again."""
    path, hash_, fragment = back.partition("#")
    if came_from is None or came_from.split("?")[0] != path:
        return back
    kept = [(k, v) for k, v in parse_qsl(urlsplit(came_from).query) if k in _WALKED]
    return path + (f"?{urlencode(kept, safe=':')}" if kept else "") + hash_ + fragment


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
