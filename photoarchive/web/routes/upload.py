"""/upload: the form, and the photos posted to it (streamed by `web.uploads`)."""

from __future__ import annotations

from litestar import get, post
from litestar.response import Template

from photoarchive.library import visibility
from photoarchive.web.render import Req, render
from photoarchive.web.uploads import receive_photos
from photoarchive.web.viewer import require_user, services


@get("/upload")
async def upload_form(request: Req) -> Template:
    user = await require_user(request)
    chosen = await visibility.default_of(services(request).db, user)
    return render(request, "upload.html", user=user, result=None, chosen=chosen)


@post("/upload", request_max_body_size=None, status_code=200)
async def upload(request: Req) -> Template:
    user = await require_user(request)
    result = await receive_photos(request, user)
    # The next batch goes where this one was sent; a caption is offered again unless every
    # file to be sent again took it (the kept ones have it already).
    again = not result.items or any(outcome.retryable for outcome in result.files)
    page = render(
        request,
        "upload.html",
        user=user,
        result=result,
        status=result.status,
        chosen=result.visibility,
        caption=result.caption if again else "",
    )
    page.headers.update(result.headers)
    return page


HANDLERS = [upload_form, upload]
