"""Security headers on every response, set once in a before-send hook (caching rules too).

A response that already carries its own `Content-Security-Policy` keeps it: originals are
served with `sandbox`, and the API documentation page has a policy of its own.
A response that says nothing of caching is not to be stored (see NO_STORE).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from litestar.types import Message, Scope

from photoarchive import tiles
from photoarchive.accounts import resets
from photoarchive.settings import Settings
from photoarchive.web import static_urls
from photoarchive.web.apidocs import docs_policy

HSTS = "max-age=31536000"
# Pages, fragments, API answers and errors are made for the one who asked, and may show what
# only they may see: no cache keeps them, the browser's included. The site's own files (CSS,
# scripts, icons) are the same for everyone and stay cacheable; photo files say themselves
# how they may be kept (private, and only by the browser).
NO_STORE = "no-store"
STATIC = static_urls.PREFIX
# The API documentation page: a policy of its own, stricter than the pages' (no script at all).
DOCS_PATHS = frozenset({"/schema", "/schema/swagger"})
# Everything under a share link (library/shares.py), errors included: the link's token is in
# the address, so no Referer may carry it away, and no search engine may list it.
SHARE_PREFIXES = ("/s/", "/api/v1/s/")
SHARE_HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}
# Pages whose address holds a secret of their own (a password-reset link, an invitation:
# `/signup?invite=`): their requests for the site's files and their links say only the origin,
# so no Referer carries it into a proxy's log. Not "no-referrer": a form posted from a page
# with it says `Origin: null`, which the CSRF check then cannot place.
TOKEN_PAGES = (f"{resets.PATH}/", "/signup")
TOKEN_HEADERS = {"Referrer-Policy": "strict-origin"}
# The one page that shows map tiles (web/routes/places.py).
MAP_PAGE = "/map"


def _policy(directives: Iterable[tuple[str, Iterable[str]]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives)


def media_origins(settings: Settings) -> list[str]:
    """Where the browser loads photo files from besides this site: the S3 bucket's origin,
    and only when photos are handed out as presigned URLs. Worked out the way the S3
    client builds those URLs (path or virtual-host style)."""
    if settings.storage != "s3" or settings.s3_serve != "presign":
        return []
    bucket = settings.s3_bucket
    virtual = not settings.s3_uses_path_style
    if settings.s3_endpoint:
        parts = urlsplit(settings.s3_endpoint)
        host = f"{bucket}.{parts.netloc}" if virtual else parts.netloc
        return [f"{parts.scheme}://{host}"]
    region = settings.s3_region
    hosts = [f"s3.{region}.amazonaws.com"]
    if region == "us-east-1":  # Amazon's global name, which clients still use for this region
        hosts.append("s3.amazonaws.com")
    return [f"https://{bucket}.{host}" if virtual else f"https://{host}" for host in hosts]


def content_security_policy(settings: Settings, *, map_tiles: bool = False) -> str:
    """The pages' policy; `map_tiles`: the map page's, whose pictures also come from the tile
    server (PHOTOARCHIVE_MAP_TILES), and no other page's."""
    media = media_origins(settings)
    tile_host = tiles.origin(settings.map_tiles) if map_tiles else None
    return _policy(
        [
            ("default-src", ["'self'"]),
            ("script-src", ["'self'"]),
            ("style-src", ["'self'"]),
            # Placeholders are data: URIs shown as background images while a photo loads.
            ("img-src", ["'self'", "data:", *media, *([tile_host] if tile_host else [])]),
            ("media-src", ["'self'", *media]),
            ("connect-src", ["'self'"]),
            ("font-src", ["'self'"]),
            ("object-src", ["'none'"]),
            ("base-uri", ["'none'"]),
            ("frame-ancestors", ["'none'"]),
            ("form-action", ["'self'"]),
        ]
    )


def security_headers(settings: Settings) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        # For browsers that predate frame-ancestors.
        "X-Frame-Options": "DENY",
    }
    if urlsplit(settings.public_url).scheme == "https":
        headers["Strict-Transport-Security"] = HSTS
    return headers


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


def security_headers_hook(settings: Settings) -> Callable[[Message, Scope], Any]:
    """A Litestar `before_send` hook: it sees every response, errors and static files too."""
    headers = _encoded(security_headers(settings))
    docs_headers = _encoded(
        {**security_headers(settings), "Content-Security-Policy": docs_policy()}
    )
    share_headers = _encoded({**security_headers(settings), **SHARE_HEADERS})
    token_headers = _encoded({**security_headers(settings), **TOKEN_HEADERS})
    map_policy = content_security_policy(settings, map_tiles=True)
    map_headers = _encoded({**security_headers(settings), "Content-Security-Policy": map_policy})
    no_store = (b"cache-control", NO_STORE.encode())

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path = scope.get("path", "")
        wanted = docs_headers if path.rstrip("/") in DOCS_PATHS else headers
        if path.startswith(SHARE_PREFIXES):
            wanted = share_headers
        elif path.startswith(TOKEN_PAGES):
            wanted = token_headers
        elif path == MAP_PAGE:
            wanted = map_headers
        # Raw (name, value) pairs, each name lowered once: this runs for every response.
        raw = list(message.get("headers") or ())
        present = {name.lower() for name, _ in raw}
        raw += [pair for pair in wanted if pair[0] not in present]
        if b"cache-control" not in present:
            if not path.startswith(STATIC):
                raw.append(no_store)
            elif message.get("status") == 200:  # a missing file's 404 is never kept
                keep = static_urls.cache_control(scope.get("query_string") or b"")
                raw.append((b"cache-control", keep.encode()))
        message["headers"] = raw

    return add_headers
