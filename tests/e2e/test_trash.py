"""The trash in a real browser, on a laptop and a phone: a photo deleted from its page (after
the browser's confirm) leaves the profile and waits on /trash with when it goes for good;
the page it lands on says so, with an Undo that puts it back;
Restore brings it back to the profile; Delete forever (confirmed) takes it for good. Axe finds
nothing on the trash page, full or empty."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in
from tests.e2e.test_quality import violations

# The trash, read and written through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_delete_restore_and_delete_forever(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    path = photo_files("cameras/Canon_40D.jpg")[0]
    answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
    photo_id = answer.json()["items"][0]["id"]
    api.close()
    page = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(page, server.url, "alice")

    page.goto(f"{server.url}/photos/{photo_id}")
    questions: list[str] = []

    def accept(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name="Delete photo").click()
    page.wait_for_url(f"{server.url}/u/alice?trashed={photo_id}")
    assert "trash" in questions[-1] and "30 days" in questions[-1]
    assert page.locator(f"#grid-{photo_id}").count() == 0
    # The profile says where it went, with Undo and the way to the trash.
    notice = page.get_by_role("status").filter(has_text="Moved to the trash.")
    assert notice.get_by_role("link", name="Open the trash").get_attribute("href") == "/trash"
    assert violations(page, axe_source) == []

    page.goto(f"{server.url}/trash")
    item = page.locator(f"#trash-{photo_id}")
    assert item.count() == 1
    assert "Goes for good" in item.inner_text()
    # The owner sees the thumbnail of a photo in their trash (a lazy image: once fetched).
    thumbnail = item.locator("img").first
    thumbnail.evaluate("el => el.decode()")
    assert thumbnail.evaluate("el => el.naturalWidth") > 0
    assert violations(page, axe_source) == []
    item.get_by_role("button", name="Restore").click()
    page.get_by_role("status").filter(has_text="Restored.").wait_for()
    assert page.locator(f"#trash-{photo_id}").count() == 0
    assert violations(page, axe_source) == []
    page.goto(f"{server.url}/u/alice")
    assert page.locator(f"#grid-{photo_id}").count() == 1

    page.goto(f"{server.url}/photos/{photo_id}")
    page.get_by_role("button", name="Delete photo").click()
    page.wait_for_url(f"{server.url}/u/alice?trashed={photo_id}")
    # Undo puts it back at once, and shows it.
    page.get_by_role("status").get_by_role("button", name="Undo").click()
    page.wait_for_url(f"{server.url}/photos/{photo_id}")
    page.get_by_role("button", name="Delete photo").click()
    page.wait_for_url(f"{server.url}/u/alice?trashed={photo_id}")
    page.goto(f"{server.url}/trash")
    page.locator(f"#trash-{photo_id}").get_by_role("button", name="Delete forever").click()
    page.get_by_role("status").filter(has_text="Deleted for good.").wait_for()
    assert "for good" in questions[-1]
    assert "The trash is empty." in page.inner_text("main")
    assert page.goto(f"{server.url}/photos/{photo_id}").status == 404


def test_restore_a_selection_from_the_trash(
    server: Server, new_context: Any, axe_source: str
) -> None:
    api = server.api("alice")
    ids = []
    for name in (
        "cameras/Canon_40D.jpg",
        "cameras/Nikon_D70.jpg",
        "cameras/Fujifilm_FinePix_E500.jpg",
    ):
        path = photo_files(name)[0]
        sent = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
        ids.append(sent.json()["items"][0]["id"])
        assert api.delete(f"/api/v1/photos/{ids[-1]}").status_code == 204
    api.close()
    page = new_context(VIEWPORTS["desktop"]).new_page()
    sign_in(page, server.url, "alice")
    page.goto(f"{server.url}/trash")
    page.get_by_role("button", name="Select").click()
    page.click(f"#trash-{ids[0]} .trash-look")
    page.click(f"#trash-{ids[2]} .trash-look")
    page.get_by_text("2 selected").wait_for()
    assert violations(page, axe_source) == []
    page.locator("[data-select-bar]").get_by_role("button", name="Restore").click()
    page.get_by_text("2 restored").wait_for()
    assert page.locator(f"#trash-{ids[0]}").count() == 0
    assert page.locator(f"#trash-{ids[1]}").count() == 1
    page.goto(f"{server.url}/u/alice")
    for photo_id, back in ((ids[0], 1), (ids[1], 0), (ids[2], 1)):
        assert page.locator(f"#grid-{photo_id}").count() == back
