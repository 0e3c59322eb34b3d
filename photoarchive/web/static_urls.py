"""Addresses of the site's own files (CSS, scripts, icons under /static) that change with
their content: `/static/css/app.css?v=<digest>`.

A browser may then keep such a file for good (`immutable`), and a new release, whose files
have new digests, is never shown with the scripts or styles of the one before: the page
(never kept, see web/security.py) names the new addresses. An address without the digest
(an old bookmark, a hand-typed one) is answered too, revalidated at each use (`no-cache`)."""

from __future__ import annotations

import hashlib
from pathlib import Path

PREFIX = "/static/"
VERSION_PARAM = b"v="
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class StaticUrls:
    """`static_url("css/app.css")` for the templates: the digest of each file is read once
    (the files change only with a release, as the templates do)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._urls: dict[str, str] = {}

    def __call__(self, name: str) -> str:
        url = self._urls.get(name)
        if url is None:
            digest = hashlib.sha256((self.root / name).read_bytes()).hexdigest()[:16]
            url = self._urls[name] = f"{PREFIX}{name}?v={digest}"
        return url


def cache_control(query_string: bytes) -> str:
    """How a browser may keep a site file asked for with this query string."""
    versioned = any(part.startswith(VERSION_PARAM) for part in query_string.split(b"&"))
    return IMMUTABLE if versioned else REVALIDATE
