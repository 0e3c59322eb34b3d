"""What a share link's holder gets, once library/shares.py has opened the link: its photos
page by page (decided by library/access.py on the link's grant), its zip, the password check
behind the sign-in throttle, the unlock cookie's value, and the count of views. No HTTP here."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

from photoarchive.accounts import throttle
from photoarchive.db import placeholders
from photoarchive.errors import BadRequest, Gone, NotAuthenticated, NotFound
from photoarchive.library import access, photos, shares, zips
from photoarchive.library.photos import Photo
from photoarchive.library.shares import (
    NOT_SHARED,
    PAGE_DEFAULT,
    PAGE_MAX,
    PASSWORD_MAX,
    Link,
    Share,
)
from photoarchive.services import Services


def unlock_value(secret: str, share: Share) -> str:
    """The unlock cookie's value: bound to this link and to its password as it is now."""
    message = f"share-unlock\0{share.id}\0{share.password_hash or ''}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def is_unlocked(secret: str, link: Link, cookie: str | None) -> bool:
    if not link.share.has_password:
        return True
    return bool(cookie) and hmac.compare_digest(
        (cookie or "").encode(), unlock_value(secret, link.share).encode()
    )


async def try_password(svc: Services, link: Link, password: Any, client_ip: str) -> None:
    """Check a holder's password under the throttle (a budget per link and client):
    NotAuthenticated when wrong, TooManyRequests when guessing too often."""
    if not isinstance(password, str) or len(password) > PASSWORD_MAX:
        password = ""

    async def check() -> None:
        matches, _ = await svc.passwords.verify(link.share.password_hash, password)
        if not matches:
            raise NotAuthenticated("That is not this link's password.", field="password")

    await throttle.guarding_link(svc, link.share.id, client_ip, check)


# Passwords a script sent in X-Share-Password and found right, by a digest of the link, its
# password as it is now and the password sent, until when (monotonic): each of a gallery's
# media requests would otherwise be an argon2 check, an attempt on the link's throttle (a
# dozen fetched at once were refused as guesses) and a wait for the decode slots sign-ins
# use too. The link itself is opened again by every request; a new password ends the entry.
_HEADER_CHECKED: OrderedDict[str, float] = OrderedDict()
HEADER_CHECKED_SECONDS = 600.0
HEADER_CHECKED_MAX = 1000


async def try_header_password(svc: Services, link: Link, password: str, client_ip: str) -> None:
    """`try_password` for a password a script sends with each request (X-Share-Password)."""
    message = f"share-header\0{link.share.id}\0{link.share.password_hash or ''}\0{password}"
    secret = svc.settings.secret_key.encode()
    key = hmac.new(secret, message.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    now = time.monotonic()
    if _HEADER_CHECKED.get(key, 0.0) > now:
        return
    await try_password(svc, link, password, client_ip)
    _HEADER_CHECKED[key] = now + HEADER_CHECKED_SECONDS
    _HEADER_CHECKED.move_to_end(key)
    while len(_HEADER_CHECKED) > HEADER_CHECKED_MAX:
        _HEADER_CHECKED.popitem(last=False)


# What the fetchers of chat apps and social sites put in their User-Agent when they read a
# pasted link for its preview (lower case; a marker anywhere in the header names one). iMessage
# sends facebookexternalhit and Twitterbot, Signal WhatsApp's.
PREVIEW_FETCHERS = (
    "slackbot",
    "slack-imgproxy",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "facebookexternalhit",
    "facebot",
    "twitterbot",
    "linkedinbot",
    "skypeuripreview",
    "mastodon/",
    "pinterestbot",
    "redditbot",
    "viber",
    "embedly",
    "iframely",
)


def is_preview_fetcher(user_agent: str | None) -> bool:
    """Whether a request comes from a chat app making a link's preview, not from a person."""
    agent = (user_agent or "").lower()
    return any(marker in agent for marker in PREVIEW_FETCHERS)


async def count_view(
    svc: Services, link: Link, *, cursor: str | None, user_agent: str, head: bool
) -> None:
    """A visit is one view: the link's first page, opened by a person. Its further pages
    (`cursor`), its media, a chat app fetching its preview, and a HEAD (a link checker's:
    it shows nobody anything) are not views."""
    if cursor or head or is_preview_fetcher(user_agent):
        return
    await svc.db.execute(
        "UPDATE shares SET view_count = view_count + 1 WHERE id = ?", (link.share.id,)
    )


def parse_cursor(cursor: str | None) -> int:
    if cursor in (None, ""):
        return 0
    # isascii: other scripts' digits pass isdigit(), and some of them int() cannot read.
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 9:
        raise BadRequest("The cursor is not valid.", field="cursor")
    return int(cursor)


async def page(
    svc: Services, link: Link, *, cursor: str | None = None, limit: int = PAGE_DEFAULT
) -> tuple[list[Photo], str | None]:
    """One page of the link's photos, in its order, as its holder may see them."""
    if not 1 <= limit <= PAGE_MAX:
        raise BadRequest(f"limit must be between 1 and {PAGE_MAX}.", field="limit")
    start = parse_cursor(cursor)
    ids = link.photo_ids[start : start + limit]
    found = await _read(svc, link, ids)
    more = start + limit < len(link.photo_ids)
    return found, str(start + limit) if more else None


async def photo(svc: Services, link: Link, photo_id: int) -> Photo:
    """A photo of the link (NotFound for any other)."""
    found = await _read(svc, link, [photo_id])
    if not found:
        raise NotFound(NOT_SHARED)
    return found[0]


def zip_of(svc: Services, link: Link) -> AsyncIterator[bytes]:
    """The zip of the link's originals (the caller has checked it allows downloads), read as it
    is sent. The link is read again before each photo: turned off or expired since, or changed
    so that it would refuse this zip now (`_still_lets_out`), the zip ends there; a photo that
    has left it is not sent."""
    members = zips.originals_of(svc, _while_open(svc, link), None, camera=link.share.show_metadata)
    return zips.stream(members)


async def _while_open(svc: Services, link: Link) -> AsyncIterator[Photo]:
    cursor: str | None = None
    while True:
        items, cursor = await page(svc, link, cursor=cursor, limit=PAGE_MAX)
        for item in items:
            try:
                now = await shares.reopen(svc, link, only=item.id)
            except (NotFound, Gone):
                raise zips.Withdrawn from None
            if not _still_lets_out(link.share, now.share):
                raise zips.Withdrawn
            if item.id in now.photo_ids:
                yield item
        if cursor is None:
            return


def _still_lets_out(began: shares.Share, now: shares.Share) -> bool:
    """Whether a zip begun under `began` may go on under the link as it is `now`: downloads
    still on, no password the holder has not given, and the camera's details not hidden now
    if the zip is sending them."""
    return (
        now.allow_download
        and now.password_hash == began.password_hash
        and (now.show_metadata or not began.show_metadata)
    )


async def _read(svc: Services, link: Link, ids: list[int]) -> list[Photo]:
    if not ids:
        return []
    rows = await svc.db.fetchall(
        # A fixed column list, and one "?" per id: every value is bound.
        f"SELECT {photos.PHOTO_COLUMNS} FROM photos p JOIN users u ON u.id = p.owner_id"  # noqa: S608
        f" WHERE p.id IN ({placeholders(len(ids))})",
        [*photos.reading_for(None), *ids],
    )
    viewer = link.viewer
    by_id = {}
    for row in rows:
        seen = photos.from_row(row, None)  # read for nobody: no location, no edit rights
        allowed = access.decide(viewer, seen, places_shared=seen.places_shared)
        if allowed.view:  # the one decision, on the link's grant
            if not allowed.place:  # read as a guest's; a link's holder is told no place
                seen.place = None
            if not link.share.show_metadata:
                _without_camera(seen)
            by_id[seen.id] = seen
    return [by_id[i] for i in ids if i in by_id]


def _without_camera(photo: Photo) -> None:
    """A link that does not show the camera's details (its "Show camera details"): nothing of
    the camera, nor when it took the picture (the camera's clock, shown with the camera), in
    anything made of the photo: its JSON, its page, its zip entry's time."""
    photo.taken_at = None
    photo.camera_make = photo.camera_model = photo.lens = photo.exposure_time = None
    photo.focal_length = photo.aperture = None
    photo.iso = None
