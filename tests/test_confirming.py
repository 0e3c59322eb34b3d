"""Where Cancel leads on a page that asks before an act (web/confirming.py), directly: fast."""

from __future__ import annotations

import pytest

from photoarchive.web.confirming import _back


@pytest.mark.parametrize(
    ("came_from", "back", "cancel"),
    [
        (None, "/trash", "/trash"),
        # The page that asked is the one to go back to: the list it walked goes along...
        ("/photos/5?from=feed", "/photos/5", "/photos/5?from=feed"),
        ("/photos/5?from=album:7&trashed=3", "/photos/5", "/photos/5?from=album:7"),
        ("/trash?cursor=40", "/trash", "/trash?cursor=40"),
        # ... but not a notice it said once ("Deleted for good."), which is no longer so.
        ("/trash?notice=deleted", "/trash", "/trash"),
        ("/trash?notice=restored&photo=9", "/trash", "/trash"),
        # Another page (a form's answer to a POST, which has no GET) is not gone back to.
        ("/albums/5/members", "/albums/5#members", "/albums/5#members"),
        ("/albums/5?x=1", "/albums/5#members", "/albums/5#members"),
        ("/", "/photos/5", "/photos/5"),
    ],
)
def test_cancel_leads_back_to_the_page_that_asked_with_its_list_only(
    came_from: str | None, back: str, cancel: str
) -> None:
    assert _back(came_from, back) == cancel
