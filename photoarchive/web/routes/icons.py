"""/favicon.ico: the archive's mark, for browsers and bookmarks that ask for it by that name.

Pages name `/static/img/favicon.svg` in a `<link rel="icon">`; a browser asks for
`/favicon.ico` anyway for a bookmark, a history entry or a JSON answer opened in a tab, and a
404 there put an error in the console of every such page."""

from __future__ import annotations

from litestar import get
from litestar.response import File

from photoarchive.paths import static_dir

# Not `immutable`: the mark may change with a release, and its name would not.
CACHE = "public, max-age=86400"


@get("/favicon.ico", include_in_schema=False, cache=False)
async def favicon() -> File:
    return File(
        static_dir() / "img" / "favicon.svg",
        media_type="image/svg+xml",
        content_disposition_type="inline",
        headers={"Cache-Control": CACHE},
    )


HANDLERS = [favicon]
