"""Photo files: the same access rules as the photo, ETags, immutable renditions, Range for originals."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import AsyncIterator
from typing import Any, Literal
from urllib.parse import quote

from litestar import Request, Response, get
from litestar.exceptions import HTTPException
from litestar.response import Redirect, Stream

from photoarchive.accounts.users import User
from photoarchive.errors import NotFound, Unavailable
from photoarchive.library import access, media_lookup, originals, photos
from photoarchive.library.media_lookup import Rendition
from photoarchive.media.images import RENDITION_CONTENT_TYPE
from photoarchive.storage import BlobNotFound, BlobUnreadable, SignedURL, StorageError
from photoarchive.web.mediacache import RenditionBodies
from photoarchive.web.methods import is_head
from photoarchive.web.params import RowId
from photoarchive.web.viewer import credentials, require_reader, services

log = logging.getLogger("photoarchive")

# Up to 19 digits each (past any file's size; int() of thousands raises): a longer one is an
# odd range, answered with the whole file.
RANGE_RE = re.compile(r"^bytes=([0-9]{0,19})-([0-9]{0,19})$")
IMMUTABLE = "private, max-age=31536000, immutable"
UNREADABLE = (
    "This photo's file could not be read from the archive's storage. Tell the archive's"
    " administrator."
)
# An original's bytes depend on who asks (its location blanked for all but its owner): a
# browser shared by two accounts keeps it, but asks each time (its ETag is the viewer's).
REVALIDATE = "private, no-cache"


def attachment_header(filename: str) -> str:
    """RFC 6266 `attachment` with an ASCII fallback and the exact name in `filename*`."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()+-]", "_", ascii_name).strip() or "photo"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _byte_range(header: str | None, size: int) -> tuple[int, int] | Literal[False] | None:
    """(start, end_exclusive) for a single satisfiable range; None to send everything;
    False when the range cannot be satisfied."""
    if not header:
        return None
    match = RANGE_RE.match(header.strip())
    if not match:
        return None  # multiple or odd ranges: answer with the whole file, as RFC 9110 allows
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0:
            return False
        return max(0, size - length), size
    start = int(first)
    end = size if last == "" else min(int(last) + 1, size)
    if start >= size or start >= end:
        return False
    return start, end


def _redirect_to(signed: SignedURL, *, keep: bool) -> Response[Any]:
    """With `keep`, the browser may reuse the redirect while the URL it points to is valid;
    an original's is not kept (it leads to the unblanked file: only its owner is sent)."""
    seconds = max(0, int(signed.expires_at - time.time()) - 60)
    cache = f"private, max-age={seconds}" if keep else "no-store"
    return Redirect(signed.url, status_code=302, headers={"Cache-Control": cache})


def rendition_cache(photo: photos.Photo | Rendition, asked: str | None) -> str:
    """A rendition's Cache-Control: kept for good when its address names what is sent (its
    `?v=`, photos.version), else asked again each time. An address from before a turn (a page
    drawn earlier, a tile not yet scrolled to) gets the photo as it is now; kept for a year
    there, a turn undone, which brings that address back, showed the photo turned."""
    return IMMUTABLE if asked == photos.version(photo.tag, photo.rotation) else REVALIDATE


def grants(viewer: User | None, public_view: bool, photo: access.Seen) -> bool:
    """Whether `viewer` may have the files of `photo`: its access decision, where its owner
    also gets the files of the photos in their trash (for the trash page)."""
    allowed = access.decide(access.Viewer(viewer, public_view), photo)
    return allowed.view or allowed.trash


def file_headers(
    photo: photos.Photo | Rendition,
    name: str,
    *,
    cache_control: str,
    digest_etag: bool,
    patched: bool,
    camera: bool = True,
) -> dict[str, str]:
    """The headers of the file `name` of `photo` (`patched`: its location blanked on the way,
    and its camera's details unless `camera`), whoever sends it: this route, or the
    renditions' front door (web/media_door.py)."""
    is_original = name == "original"
    # The digest names only bytes the viewer gets whole; see Photo.tag (and photos.version: a
    # rendition turned another way is other bytes).
    etag = (
        f'"{photo.sha256}"'
        if is_original and digest_etag
        else f'"{photos.version(photo.tag, photo.rotation)}-{name}"'
    )
    if patched:
        etag = f'"{photo.tag}-nolocation"' if camera else f'"{photo.tag}-nocamera"'
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
    }
    if is_original:
        assert isinstance(photo, photos.Photo), "an original is sent with its whole photo"
        headers["Content-Disposition"] = attachment_header(
            originals.download_name(photo, camera=camera)
        )
        headers["Content-Security-Policy"] = "sandbox"
    return headers


@get("/media/{photo_id:int}/{name:str}", name="media", include_in_schema=False)
async def media(request: Request[Any, Any, Any], photo_id: RowId, name: str) -> Response[Any]:
    svc = services(request)
    session, found = await media_lookup.find_with_session(svc, photo_id, *credentials(request))
    viewer = await require_reader(request, session)
    if found is None:
        raise NotFound(photos.PHOTO_GONE)
    if not grants(viewer, svc.settings.public_view, found):
        # A reader was let in above: a photo they may not see is, for them, not there.
        raise NotFound(photos.PHOTO_GONE)
    asked = request.query_params.get("v")
    cache = REVALIDATE if name == "original" else rendition_cache(found, asked)
    return await send_file(request, found, name, viewer, cache_control=cache, redirect=True)


async def send_file(
    request: Request[Any, Any, Any],
    photo: photos.Photo,
    name: str,
    viewer: User | None,
    *,
    cache_control: str,
    redirect: bool,
    digest_etag: bool = True,
    camera: bool = True,
) -> Response[Any]:
    """The file `name` of `photo`, which the caller has already let the viewer see (the one
    decision is the caller's: access.decide). `viewer` is the account the bytes are for
    (None: nobody's, so the location is blanked); `redirect` lets a store that serves its own
    files have the browser sent there (with a URL valid for a while); without `digest_etag`
    an original's ETag is not its digest (a share link's holder is never told it); without
    `camera` an original's camera details are blanked too (a link that does not show them)."""
    svc = services(request)
    key = originals.key_of(photo, name)
    is_original = name == "original"
    # Anyone but the owner gets the original with its location blanked (same length).
    patches = await originals.location_patches(svc, photo, viewer) if is_original else []
    hide_camera = is_original and not camera
    headers = file_headers(
        photo,
        name,
        cache_control=cache_control,
        digest_etag=digest_etag,
        patched=bool(patches) or hide_camera,
        camera=camera,
    )
    etag = headers["ETag"]
    content_type = photo.content_type if is_original else RENDITION_CONTENT_TYPE
    if etag in (request.headers.get("if-none-match") or ""):
        return Response(b"", status_code=304, headers=headers)
    try:
        # A store that serves its own files gets the browser sent there, unless the bytes
        # must be changed on the way (a location or camera blanked for this viewer), or the
        # stored file's name (the original's digest) is not this viewer's to see.
        if redirect and not patches and not hide_camera:
            signed = await svc.store.signed_url(
                key, content_type=content_type, disposition=headers.get("Content-Disposition")
            )
            if signed is not None and (
                is_original or not await originals.hides_location(svc, photo, viewer)
            ):
                return _redirect_to(signed, keep=cache_control == IMMUTABLE)
        if not is_original and not request.headers.get("range"):
            # Renditions are small (at most 1600 px of WebP): one read, no size asked first.
            # Decided above; only then may bytes read for someone else be sent (see mediacache).
            bodies: RenditionBodies = request.app.state.rendition_bodies
            data = bodies.get(key)
            if data is None:
                data = await svc.store.get_bytes(key)
                bodies.put(key, data)
            return Response(data, media_type=content_type, headers=headers)
        info = await svc.store.stat(key)
    except BlobNotFound:
        info = None
    except StorageError as exc:
        raise _unavailable(exc) from None
    if info is None:
        raise NotFound("This file is missing from the store.")
    wanted = _byte_range(request.headers.get("range"), info.size)
    if wanted is False:
        # An error like any other (our JSON shape, not cacheable), telling the file's size.
        raise HTTPException(
            status_code=416,
            detail=f"The range asked for is outside this file of {info.size} bytes.",
            headers={"Content-Range": f"bytes */{info.size}", "Accept-Ranges": "bytes"},
        )
    if wanted is None:
        start, end, status = 0, info.size, 200
    else:
        start, end = wanted
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{info.size}"
    headers["Content-Length"] = str(end - start)
    if is_head(request.scope):  # the headers above, and no file read for a body left out
        return Stream(iter(()), status_code=status, media_type=content_type, headers=headers)
    if hide_camera:  # worked out from the whole file: only when bytes are to be sent
        patches = await originals.holder_patches(svc, photo, viewer, camera=False)
    chunks = await _opened(svc.store.stream(key, start, end))
    return Stream(
        originals.patched(chunks, start, patches) if patches else chunks,
        status_code=status,
        media_type=content_type,
        headers=headers,
    )


async def _opened(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """`chunks` with its first one read now, before the answer's status goes out: a file the
    store cannot give (a bad sector, a store gone) is a 503 that says so, not an answer cut
    off after its headers."""
    try:
        first = await anext(chunks)
    except StopAsyncIteration:
        first = b""
    except BlobNotFound:
        raise NotFound("This file is missing from the store.") from None
    except StorageError as exc:
        raise _unavailable(exc) from None

    async def rest() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in chunks:
            yield chunk

    return rest()


def _unavailable(exc: StorageError) -> Unavailable:
    """The store's failure as a person is told it. A file that cannot be read is named in the
    log alone: its name is the original's digest, never told to a link's holder (see
    `digest_etag`), and no later try mends a bad sector."""
    if isinstance(exc, BlobUnreadable):
        log.error("%s", exc)
        return Unavailable(UNREADABLE)
    return Unavailable(str(exc))
