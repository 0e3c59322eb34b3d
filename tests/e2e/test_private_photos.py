"""A photo uploaded as private, in a real browser on a laptop and a phone: another member's
feed does not show it and its address is a 404, until its owner makes it the family's on its
page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_up, wait_until
from tests.e2e.test_quality import violations
from tests.e2e.test_share_journey import IN_VIEW

# Who may see a private photo, decided over either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_private_upload_is_hidden_until_its_owner_shares_it_with_the_family(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    owner = new_context(VIEWPORTS[viewport]).new_page()
    sign_up(owner, server.url, "alice")
    other = new_context(VIEWPORTS[viewport]).new_page()
    sign_up(other, server.url, "bob")

    owner.goto(f"{server.url}/upload")
    assert violations(owner, axe_source) == []
    owner.check('#upload-visibility input[value="private"]')
    owner.set_input_files("#file", [str(p) for p in photo_files("cameras/Canon_40D.jpg")])
    owner.click("#upload-submit")
    wait_until(owner, "document.getElementById('upload-form').dataset.finished === 'true'")
    (photo_id,) = server.api("alice").get("/api/v1/users/alice/photos").json()["items"]
    photo_url = f"{server.url}/photos/{photo_id['id']}"
    assert photo_id["visibility"] == "private"
    # The feed never shows a private photo: the way to see them leads where they are.
    done = owner.locator("#upload-done")
    assert done.get_attribute("href") == "/u/alice"
    assert done.inner_text() == "See them on your profile"
    done.click()
    owner.wait_for_url(f"{server.url}/u/alice")
    assert owner.locator(f"#grid-items a[href^='/photos/{photo_id['id']}?']").count() == 1

    other.goto(server.url)
    assert other.locator("#feed-items article.card").count() == 0
    assert other.goto(photo_url).status == 404

    owner.goto(photo_url)
    assert owner.get_by_role("img", name="Private").count() == 1
    assert violations(owner, axe_source) == []
    owner.check('.visibility-form input[value="family"]')
    owner.click(".visibility-form button[type=submit]")
    # Back on the photo, at its form, which says what was saved: in view on both sizes.
    owner.wait_for_url(f"{photo_url}?saved=visibility#visibility-{photo_id['id']}")
    assert owner.get_by_role("img", name="Private").count() == 0
    notice = owner.get_by_role("status").filter(has_text="Saved: the family sees it.")
    assert notice.count() == 1
    assert owner.evaluate(IN_VIEW, notice.element_handle()), viewport

    assert other.goto(photo_url).status == 200
    other.goto(server.url)
    assert other.locator("#feed-items article.card").count() == 1
