"""An album's members form in a real browser (htmx): the owner changes a member's role with
the control beside them, and a name nobody has is answered beside the field, in place, with
what was typed kept; the page itself stays where it is."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import DESKTOP, Server, sign_in
from tests.e2e.test_quality import violations

# Albums and their members, read and written through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")


def test_roles_change_in_place_and_an_unknown_name_is_said_beside_the_field(
    server: Server, new_context: Any, axe_source: str
) -> None:
    alice = server.api("alice")
    server.api("bob")
    album_id = alice.post("/api/v1/albums", json={"title": "Cousins"}).json()["id"]
    alice.put(f"/api/v1/albums/{album_id}/members/bob", json={"role": "viewer"})
    album_url = f"{server.url}/albums/{album_id}"

    # htmx logs the 422 that carries the form back (swapped in on purpose, see base.html).
    new_context.watch.expected.append("Response Status Error Code 422 from /albums/")
    page = new_context(DESKTOP).new_page()
    sign_in(page, server.url, "alice")
    page.goto(album_url)
    page.select_option("#member-role-2", "contributor")
    page.get_by_role("button", name="Change role of bob").click()
    page.locator(".member-list li", has_text="bob").locator(
        ".badge", has_text="contributor"
    ).wait_for()
    assert page.url == album_url
    roles = {
        m["username"]: m["role"] for m in alice.get(f"/api/v1/albums/{album_id}").json()["members"]
    }
    assert roles["bob"] == "contributor"

    page.fill("#member-username", "nobody_here")
    page.click(".member-add button[type=submit]")
    error = page.locator("#members #member-error")
    error.wait_for()
    assert error.inner_text() == "There is no user called 'nobody_here'."
    assert page.input_value("#member-username") == "nobody_here"
    assert page.get_attribute("#member-username", "aria-invalid") == "true"
    assert page.locator("#messages").inner_text().strip() == ""
    assert page.url == album_url
    assert violations(page, axe_source) == []
