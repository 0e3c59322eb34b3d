"""The zip of the photos chosen in the browser (the selection bar's Download button)."""

from __future__ import annotations

from litestar import post
from litestar.response import Stream

from photoarchive.library.downloads import FIELD
from photoarchive.web.admission import GUEST_BODY
from photoarchive.web.downloads_api import zip_answer
from photoarchive.web.forms import row_id_field
from photoarchive.web.render import Req
from photoarchive.web.viewer import require_reader

# A form of 50,000 ids (the most the setting allows), each `photo_ids=...&` of up to 19 digits.
FORM_MAX = 2 * 1024 * 1024


@post("/downloads", status_code=200, opt=GUEST_BODY, request_max_body_size=FORM_MAX)
async def download_chosen(request: Req) -> Stream:
    """The form's contract: `POST /downloads`, `application/x-www-form-urlencoded` (a plain
    `<form method="post">`; multipart works for small selections), with

    - `photo_ids`: one field per chosen photo, its id (`<input type="hidden" name="photo_ids"
      value="17">`); an id repeated counts once;
    - `_csrf_token`: the form token every form of the app carries (`csrf_input`).

    The answer is the zip, `Content-Disposition: attachment; filename="photoarchive-YYYY-MM-DD.zip"`,
    so the browser saves it and stays on the page. Photos the person may not see are left
    out and counted in `NOT INCLUDED.txt`. Refusals are a page (an htmx fragment for htmx):
    none chosen or more than PHOTOARCHIVE_MAX_DOWNLOAD_ITEMS, or an id that is not a photo
    id, 422; signed out, 401 (guests may when the archive is public); no token, 403.
    """
    viewer = await require_reader(request)
    values = (await request.form()).getall(FIELD, [])
    ids = [
        row_id_field(FIELD, value, "Each chosen photo must be given by its id.") for value in values
    ]
    return zip_answer(request, viewer, ids)


HANDLERS = [download_chosen]
