"""The site's own files are named by pages with a digest of their content (`?v=`), so a
browser keeps them for good and a new release never runs with the last one's scripts or
styles; an address without it is revalidated at each use. Over HTTP against the real app, the
digest checked against the bytes served; the naming rule itself directly."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx

from photoarchive.web.static_urls import IMMUTABLE, REVALIDATE, StaticUrls
from tests.support import PHOTOS, LiveServer, api_login, sign_up, upload

# Every address of a site file in a page: src, href, and the viewer's, which app.js reads.
STATIC_ADDRESS = re.compile(r'(?:src|href|data-viewer-src)="(/static/[^"]*)"')


def site_files(client: httpx.Client, path: str) -> set[str]:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return set(STATIC_ADDRESS.findall(page.text))


def test_pages_name_their_files_by_content_and_browsers_keep_them(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    sent = upload(api_login(server, "alice"), PHOTOS / "cameras" / "Canon_40D.jpg")
    photo_id = sent.json()["items"][0]["id"]
    guest = server.client()
    named: set[str] = set()
    for path in ("/", "/upload", "/timeline", f"/photos/{photo_id}", "/settings", "/albums"):
        named |= site_files(alice, path)
    for path in ("/login", "/signup"):
        named |= site_files(guest, path)
    names = {url.split("?")[0] for url in named}
    # The styles, both script libraries, the app's scripts and the viewer app.js loads.
    for expected in ("css/app.css", "vendor/htmx/htmx.min.js", "js/app.js", "js/viewer.js"):
        assert f"/static/{expected}" in names, expected
    assert "/static/js/upload.js" in names and "/static/js/select.js" in names
    for url in named:
        path, _, query = url.partition("?")
        assert query.startswith("v="), f"{url}: no digest of its content"
        answer = guest.get(url)
        assert answer.status_code == 200, url
        assert query == f"v={hashlib.sha256(answer.content).hexdigest()[:16]}", url
        assert answer.headers["cache-control"] == IMMUTABLE, url


def test_an_address_without_the_digest_is_revalidated(server: LiveServer) -> None:
    guest = server.client()
    plain = guest.get("/static/css/app.css")
    assert plain.status_code == 200
    assert plain.headers["cache-control"] == REVALIDATE
    # A file that is not there is never kept, whatever its address says.
    for url in ("/static/css/nothing.css", "/static/css/nothing.css?v=0123456789abcdef"):
        missing = guest.get(url)
        assert missing.status_code == 404
        assert "immutable" not in missing.headers.get("cache-control", "")


def test_the_address_follows_the_content(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    styles = tmp_path / "css" / "a.css"
    styles.write_text("body { color: red }")
    before = StaticUrls(tmp_path)("css/a.css")
    assert before == "/static/css/a.css?v=" + hashlib.sha256(styles.read_bytes()).hexdigest()[:16]
    styles.write_text("body { color: blue }")  # the next release
    after = StaticUrls(tmp_path)("css/a.css")
    assert after != before and after.startswith("/static/css/a.css?v=")
