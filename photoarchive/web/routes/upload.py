"""/upload: the form, and the photos posted to it (streamed by `web.uploads`)."""

from __future__ import annotations

from litestar import get, post
from litestar.response import Template

from photoarchive.web.render import Req, render
from photoarchive.web.uploads import receive_photos
from photoarchive.web.viewer import require_user


@get("/upload")
async def upload_form(request: Req) -> Template:
    user = await require_user(request)
    return render(request, "upload.html", user=user, result=None)


@post("/upload", request_max_body_size=None, status_code=200)
async def upload(request: Req) -> Template:
    user = await require_user(request)
    result = await receive_photos(request, user)
    return render(request, "upload.html", user=user, result=result, status=result.status)


HANDLERS = [upload_form, upload]
