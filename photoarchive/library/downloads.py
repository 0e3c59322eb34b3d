"""A zip of photos someone chose (the selection bar, or a script naming ids): which ids are
asked for, and each photo as the viewer may have it.

Every photo is read through `photos.find`, the same decision (access.py) as its page and its
media. One the viewer may not see, or that is not there, is left out and only counted in the
zip's note: its name, or a reason, would tell that it exists. The zip itself is the albums'
and share links' (zips.py): streamed, stored, ZIP64, names made unique, location blanked in
anyone else's photos.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

from photoarchive.accounts.users import User
from photoarchive.errors import Invalid, NotFound
from photoarchive.library import photos, zips
from photoarchive.library.photos import Photo
from photoarchive.services import Services

FIELD = "photo_ids"


def chosen(photo_ids: Iterable[int], limit: int) -> list[int]:
    """The ids asked for, each once, in the order first asked; Invalid when there are none or
    more than `limit` (PHOTOARCHIVE_MAX_DOWNLOAD_ITEMS) different ones."""
    ids = list(dict.fromkeys(photo_ids))
    if not ids:
        raise Invalid("Choose at least one photo to download.", field=FIELD)
    if len(ids) > limit:
        raise Invalid(
            f"At most {limit} photos go in one download; {len(ids)} were chosen. "
            "Download them in parts.",
            field=FIELD,
        )
    return ids


async def readable(
    svc: Services,
    ids: list[int],
    viewer: User | None,
    again: Callable[[], Awaitable[User | None]] | None = None,
) -> AsyncIterator[Photo | None]:
    """Each photo of `ids` as `viewer` may have it now, read when a zip comes to it (one
    trashed, made private or taken away while a long zip is sent is left out); None for one
    not there or not theirs. `again`: the viewer as they are now, asked before each photo
    (it raises `zips.Withdrawn` once their session has ended: the zip stops there)."""
    for photo_id in ids:
        if again is not None:
            viewer = await again()
        try:
            yield await photos.find(svc, photo_id, viewer)
        except NotFound:
            yield None  # not there, or not this viewer's to see: the same to them


def zip_of(
    svc: Services,
    ids: list[int],
    viewer: User | None,
    again: Callable[[], Awaitable[User | None]] | None = None,
) -> AsyncIterator[bytes]:
    """The zip of the photos `ids` (from `chosen`) that `viewer` may have, read as it is sent.
    The caller has checked that the viewer may read the archive at all (a guest only under
    public view: then family photos only)."""
    return zips.stream(zips.originals_of(svc, readable(svc, ids, viewer, again), viewer))
