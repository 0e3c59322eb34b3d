"""Taking photos out of an album in a real browser, on a laptop and a phone: the album's owner
selects two photos and chooses "Remove from album" (a form the script fills with the chosen
ids); a contributor, without scripts, takes their own photo out from its page. Each comes back
to the album told how many left it, and every photo is still in the archive."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, sign_in
from tests.e2e.test_quality import violations
from tests.test_bulk_api import jpeg

# Albums read and written through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

BAR = "#album-items-bar"


def shown(page: Any) -> list[int]:
    return [
        int(n)
        for n in page.eval_on_selector_all(
            "#album-items .grid-item", "items => items.map(i => i.dataset.photoId)"
        )
    ]


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_photos_leave_an_album_from_its_selection_and_from_a_photo_page(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    alice, bob = server.api("alice"), server.api("bob")
    album_id = alice.post("/api/v1/albums", json={"title": "Picnic"}).json()["id"]
    joined = alice.put(f"/api/v1/albums/{album_id}/members/bob", json={"role": "contributor"})
    assert joined.status_code == 200, joined.text
    hers = [
        alice.post("/api/v1/photos", files=[("file", ("a.jpg", jpeg()))]).json()["items"][0]["id"]
        for _ in range(3)
    ]
    his = bob.post("/api/v1/photos", files=[("file", ("b.jpg", jpeg()))]).json()["items"][0]["id"]
    alice.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": hers})
    bob.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [his]})
    album_url = f"{server.url}/albums/{album_id}"

    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")
    page.goto(album_url)
    assert sorted(shown(page)) == sorted([*hers, his])
    page.click("#album-items-select")
    page.wait_for_selector(BAR, state="visible")
    remove = page.locator(BAR).get_by_role("button", name="Remove from album")
    assert remove.is_disabled()
    page.click(f"#grid-{hers[0]} a")
    page.click(f"#grid-{hers[1]} a")
    assert remove.is_enabled()
    assert violations(page, axe_source) == []
    remove.click()
    page.wait_for_url(f"**/albums/{album_id}?removed=2&kept=0")
    notice = page.get_by_role("status").filter(has_text="removed from the album")
    assert notice.inner_text() == "2 photos removed from the album."
    assert sorted(shown(page)) == sorted([hers[2], his])
    assert violations(page, axe_source) == []

    # Without scripts: Bob, a contributor, takes his own photo out from its page.
    plain = new_context(VIEWPORTS[viewport], java_script_enabled=False).new_page()
    sign_in(plain, server.url, "bob")
    plain.goto(f"{album_url}")
    assert plain.locator(BAR).is_hidden()  # the bar is the script's
    plain.goto(f"{server.url}/photos/{his}?from=album:{album_id}")
    plain.get_by_role("button", name="Remove from “Picnic”").click()
    plain.wait_for_url(f"**/albums/{album_id}?removed=1&kept=0")
    assert plain.locator("#album-notice").inner_text() == "1 photo removed from the album."
    assert shown(plain) == [hers[2]]
    # Not on a photo of someone else's.
    plain.goto(f"{server.url}/photos/{hers[2]}?from=album:{album_id}")
    assert plain.get_by_role("button", name="Remove from “Picnic”").count() == 0

    # Out of the album, never out of the archive.
    for client, photo_id in ((alice, hers[0]), (alice, hers[1]), (bob, his)):
        assert client.get(f"/api/v1/photos/{photo_id}").status_code == 200
    assert [p["id"] for p in alice.get(f"/api/v1/albums/{album_id}/photos").json()["items"]] == [
        hers[2]
    ]
    alice.close()
    bob.close()
