"""The renditions' front door: a thumbnail or preview that a browser asks for with its session
cookie (thirty of them a feed page) answered in plain ASGI, before the framework's routing,
parameter parsing and response objects, which cost more than the answer itself.

It decides nothing of its own and keeps nothing: the session and the photo come from one
query (library/media_lookup: the session read as the `media` route reads it, and of the photo
only what a rendition is decided and named by, in the same SQL), the answer from the route's
rule (`media.grants`, that is, access.decide) and its headers (`media.file_headers`), every
time.
It answers only the plain case, a GET that may have the file. Anything else passes on to the
framework, which decides afresh and answers as it always does: a refusal of any kind, a
Bearer token, a Range or If-None-Match header, a store that sends browsers elsewhere (signed
URLs), a missing file, an error."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from litestar._parsers import parse_cookie_string  # what Request.cookies reads them with
from litestar.types import Message, Scope, Send

from photoarchive.accounts.sessions import COOKIE_NAME
from photoarchive.errors import AppError
from photoarchive.library import access, media_lookup
from photoarchive.library.blobs import RENDITIONS
from photoarchive.media.images import RENDITION_CONTENT_TYPE
from photoarchive.services import Services
from photoarchive.storage import StorageError, rendition_key
from photoarchive.web.media import file_headers, grants, rendition_cache
from photoarchive.web.mediacache import RenditionBodies
from photoarchive.web.viewer import vouched

log = logging.getLogger(__name__)

# The media route's addresses of renditions; ids below 10**18 fit the route's RowId.
PATH = re.compile(r"/media/([1-9][0-9]{0,17})/(" + "|".join(RENDITIONS) + r")")
# Request headers that ask for more than the plain case.
PASSED_ON = frozenset({b"authorization", b"range", b"if-none-match"})


class MediaDoor:
    def __init__(
        self,
        svc: Services,
        bodies: RenditionBodies,
        add_headers: Callable[[Message, Scope], Any],
    ) -> None:
        self.svc = svc
        self.bodies = bodies
        self.add_headers = add_headers  # the app's before-send hook (web/security.py)
        self.answered = 0  # requests answered here rather than by the framework
        # A store that signs URLs has the framework send browsers to it: nothing here to do.
        self.passes_all = svc.store.signs_urls

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Answers the request if it is the plain case; False leaves it to the framework,
        which has sent nothing yet."""
        if self.passes_all or scope["type"] != "http" or scope.get("method") != "GET":
            return False
        match = PATH.fullmatch(scope["path"])
        if match is None:
            return False
        cookie = None
        for name, value in scope["headers"]:
            if name in PASSED_ON or (name == b"cookie" and cookie is not None):
                return False  # (two Cookie headers: which one counts is the framework's call)
            if name == b"cookie":
                cookie = value
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [])
        try:
            data, headers = await self._file(
                int(match[1]),
                match[2],
                (cookie or b"").decode("latin-1"),
                asked[0] if len(asked) == 1 else None,
            )
        except (StorageError, AppError):
            # The framework's answer says what went wrong: an error raised here would reach
            # the server itself, which knows only a bare 500 (not the outage's 503 and wait).
            return False
        if data is None:
            return False
        headers.update({"Content-Type": RENDITION_CONTENT_TYPE, "Content-Length": str(len(data))})
        start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
            ],
        }
        await self.add_headers(start, scope)
        await send(start)
        await send({"type": "http.response.body", "body": data, "more_body": False})
        self.answered += 1
        return True

    async def _file(
        self, photo_id: int, name: str, cookie: str, asked: str | None
    ) -> tuple[bytes | None, dict[str, str]]:
        svc = self.svc
        token = parse_cookie_string(cookie).get(COOKIE_NAME, "") if cookie else ""
        session, photo = await media_lookup.find_rendition_with_session(
            svc, photo_id, token, "cookie"
        )
        if token:
            session = await vouched(svc, session, token)
        viewer = None if session is None else session.user
        public_view = svc.settings.public_view
        if (
            photo is None
            or not access.may_read_archive(access.Viewer(viewer, public_view))
            or not grants(viewer, public_view, photo)
        ):
            return None, {}
        key = rendition_key(photo.sha256, name, photo.rotation)  # a name of RENDITIONS
        data = self.bodies.get(key)
        if data is None:
            try:
                data = await svc.store.get_bytes(key)
            except StorageError:
                return None, {}
            self.bodies.put(key, data)
        cache = rendition_cache(photo, asked)
        headers = file_headers(photo, name, cache_control=cache, digest_etag=True, patched=False)
        return data, headers
