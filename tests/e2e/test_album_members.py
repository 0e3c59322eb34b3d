"""Removing a member from an album, and leaving one, in a real browser on a laptop and a
phone: each asks first, saying that the person's photos leave the album with them (only they
can put them back); answering No changes nothing, Yes does it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, sign_in
from tests.e2e.test_quality import violations
from tests.test_bulk_api import jpeg

# Albums read and written through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")


class Answers:
    """Records each question the page asks (window.confirm) and answers it as told."""

    def __init__(self, page: Any) -> None:
        self.asked: list[str] = []
        self.yes = False
        page.on("dialog", self._answer)

    def _answer(self, dialog: Any) -> None:
        self.asked.append(dialog.message)
        if self.yes:
            dialog.accept()
        else:
            dialog.dismiss()


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_removing_a_member_and_leaving_ask_first(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    alice = server.api("alice")
    album_id = alice.post("/api/v1/albums", json={"title": "Cousins"}).json()["id"]
    album_url = f"{server.url}/albums/{album_id}"
    theirs = {}
    for name in ("bob", "carol"):
        person = server.api(name)
        joined = alice.put(
            f"/api/v1/albums/{album_id}/members/{name}", json={"role": "contributor"}
        )
        assert joined.status_code == 200, joined.text
        made = person.post("/api/v1/photos", files=[("file", (f"{name}.jpg", jpeg()))])
        theirs[name] = made.json()["items"][0]["id"]
        added = person.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [theirs[name]]})
        assert added.json()["added"] == [theirs[name]]

    def in_album() -> list[int]:
        items = alice.get(f"/api/v1/albums/{album_id}/photos").json()["items"]
        return sorted(p["id"] for p in items)

    page = new_context(VIEWPORTS[viewport]).new_page()
    answers = Answers(page)
    sign_in(page, server.url, "alice")
    page.goto(album_url)
    assert violations(page, axe_source) == []
    remove = page.locator("#members").get_by_role("button", name="Remove bob")
    remove.click()
    assert answers.asked == [
        "Remove bob from this album? Their photos leave it with them, and only they can put"
        " them back."
    ]
    assert page.url == album_url
    assert in_album() == sorted(theirs.values())
    answers.yes = True
    remove.click()
    page.wait_for_url(f"{album_url}#members")
    members = page.locator("#members").inner_text()
    assert "bob" not in members and "carol" in members
    assert in_album() == [theirs["carol"]]
    assert violations(page, axe_source) == []

    carols = new_context(VIEWPORTS[viewport]).new_page()
    answers = Answers(carols)
    sign_in(carols, server.url, "carol")
    carols.goto(album_url)
    leave = carols.locator("#members").get_by_role("button", name="Leave album")
    leave.click()
    assert answers.asked == [
        "Leave this album? Your photos leave it with you, and only you can put them back."
    ]
    assert carols.url == album_url and in_album() == [theirs["carol"]]
    answers.yes = True
    leave.click()
    carols.wait_for_url(f"{server.url}/albums")
    assert in_album() == []
    assert violations(carols, axe_source) == []
