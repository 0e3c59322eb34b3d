"""Sign out in a tab opened before the person signed in again in another tab (which renewed
the session, and so the token the first tab's forms hold): they are signed out, as asked. A
page of another origin on the same host posting the same form is refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.e2e.conftest import Server, sign_in, sign_up
from tests.support import free_socket


def sign_out(page: Any) -> None:
    page.click("#nav-menu summary")
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()


def test_sign_out_from_a_stale_tab_signs_out(server: Server, new_context: Any) -> None:
    context = new_context()
    # The stale tab's live stream is ended once its session is (at its next check, 15 s on):
    # on a slow run that comes before the tab is used again, and htmx logs the stream's end.
    new_context.watch.expected.append("[object Event]")
    stale = context.new_page()
    sign_up(stale, server.url, "alice")
    stale.goto(f"{server.url}/settings")

    other = context.new_page()  # another tab: out and in again, a new session
    other.goto(f"{server.url}/")
    sign_out(other)
    other.wait_for_url(f"{server.url}/login?notice=signed-out")
    sign_in(other, server.url, "alice")

    sign_out(stale)
    stale.wait_for_url(f"{server.url}/login?notice=signed-out")
    assert "You are signed out" in stale.locator("main").inner_text()
    other.goto(f"{server.url}/settings")
    assert other.url.startswith(f"{server.url}/login")  # signed out everywhere in this browser


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[str]]]:
    """Another origin on this host (another port): a page whose button posts to `/logout` of
    the URL it is given in its path. Yields its base URL."""
    pages: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = self.path.lstrip("/")
            body = (
                f'<form method="post" action="{target}/logout">'
                '<button type="submit">Win a prize</button></form>'
            ).encode()
            pages.append(self.path)  # before the answer: the test reads it once that has come
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", pages
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_page_of_another_origin_cannot_sign_anyone_out(
    server: Server, new_context: Any, elsewhere: tuple[str, list[str]]
) -> None:
    context = new_context()
    new_context.watch.expected.append("403")  # the refusal's own page
    page = context.new_page()
    sign_up(page, server.url, "alice")

    base, served = elsewhere
    trap = context.new_page()
    trap.goto(f"{base}/{server.url}")
    assert served
    with trap.expect_navigation():
        trap.get_by_role("button", name="Win a prize").click()
    assert "another site" in trap.locator("body").inner_text()

    page.goto(f"{server.url}/settings")
    assert page.url == f"{server.url}/settings"  # still signed in
