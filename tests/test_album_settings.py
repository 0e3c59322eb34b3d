"""The album's settings form on its page, over HTTP, sent back as a browser sends it: saving
a new title keeps the cover its owner chose, also when that photo is not among those the page
shows (the form lists the photos of the page it is on) or is in its owner's trash for now."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer, api_login, archive_of, browser, form_post
from tests.test_bulk_api import jpeg

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PAGE = 30  # the photos an album's page shows at first (photos.PAGE_DEFAULT)


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("owner",)) as server:
        yield server


class _Form(HTMLParser):
    """What a browser sends for the form posting to `action`: each field's value as shown
    (a select's selected option, else its first)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside = action, False
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = found.get("action") == self.action
        elif not self.inside:
            return
        elif tag == "input" and "name" in found:
            self.fields[found["name"]] = found.get("value", "")
        elif tag == "textarea":
            self.textarea = found["name"]
            self.fields[self.textarea] = ""
        elif tag == "select":
            self.select = found["name"]
        elif (
            tag == "option"
            and self.select is not None
            and (self.select not in self.fields or "selected" in found)
        ):
            self.fields[self.select] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.inside and self.textarea is not None:
            self.fields[self.textarea] += data


def settings_form(client: httpx.Client, album_id: int) -> dict[str, str]:
    page = client.get(f"/albums/{album_id}")
    assert page.status_code == 200, page.text
    form = _Form(f"/albums/{album_id}/edit")
    form.feed(page.text)
    assert form.fields, "the owner's page has no settings form"
    return form.fields


def cover_of(api: httpx.Client, album_id: int) -> str | None:
    cover: str | None = api.get(f"/api/v1/albums/{album_id}").json()["cover"]
    return cover


def test_renaming_keeps_a_cover_the_page_does_not_list(archive: LiveServer) -> None:
    api = api_login(archive, "owner")
    album_id = api.post("/api/v1/albums", json={"title": "Every summer"}).json()["id"]
    ids = [
        api.post("/api/v1/photos", files=[("file", ("s.jpg", jpeg()))]).json()["items"][0]["id"]
        for _ in range(PAGE + 1)
    ]
    api.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": ids})
    # Last added first: the photo added first is the last, off the page shown.
    chosen = api.patch(
        f"/api/v1/albums/{album_id}", json={"sort": "added_desc", "cover_photo_id": ids[0]}
    )
    assert chosen.status_code == 200, chosen.text
    cover = cover_of(api, album_id)
    assert cover is not None and cover.startswith(f"/media/{ids[0]}/")
    owner = browser(archive, "owner")

    fields = settings_form(owner, album_id)
    saved = form_post(owner, f"/albums/{album_id}/edit", {**fields, "title": "Summers"})
    assert saved.status_code == 303, saved.text
    album = api.get(f"/api/v1/albums/{album_id}").json()
    assert album["title"] == "Summers" and album["sort"] == "added_desc"
    assert album["cover"] == cover

    # In its owner's trash for now: the automatic cover shows, and saving keeps the choice.
    assert api.delete(f"/api/v1/photos/{ids[0]}").status_code == 204
    assert cover_of(api, album_id) != cover
    fields = settings_form(owner, album_id)
    form_post(owner, f"/albums/{album_id}/edit", {**fields, "description": "by the sea"})
    restored = api.post("/api/v1/trash/restore", json={"photo_ids": [ids[0]]})
    assert restored.status_code == 200, restored.text
    assert cover_of(api, album_id) == cover

    # Choosing "Automatic" still goes back to the automatic cover.
    fields = settings_form(owner, album_id)
    form_post(owner, f"/albums/{album_id}/edit", {**fields, "cover_photo_id": ""})
    assert cover_of(api, album_id) != cover
