"""Error pages as a person meets them without htmx: the header they see elsewhere (signed in
stays signed in), a way back to where they were, and messages in the page's words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    browser,
    form_post,
    parse,
    uploaded,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERA = sorted((PHOTOS / "cameras").glob("*.jpg"))[0]


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("admin", "owner", "other")) as server:
        yield server


def header_links(html: str) -> set[str]:
    return {str(a.get("href")) for a in parse(html).find_all("a", class_="nav-link")}


def test_a_signed_in_person_keeps_their_header_on_error_pages(archive: LiveServer) -> None:
    page = browser(archive, "other")
    owner = api_login(archive, "owner")
    photo = uploaded(owner, CAMERA)
    assert owner.patch(f"/api/v1/photos/{photo}", json={"visibility": "private"}).is_success
    answers = [
        (404, page.get("/no/such/page")),
        (404, page.get(f"/photos/{photo}")),  # the owner's private photo
        (403, page.get("/admin")),
        (422, form_post(page, "/albums", {"title": ""})),
    ]
    for status, answer in answers:
        assert answer.status_code == status
        links = header_links(answer.text)
        assert "/u/other" in links and "/upload" in links, status
        assert "/login" not in links, status
    signed_out = archive.client().get("/no/such/page")
    assert signed_out.status_code == 404 and "/login" in header_links(signed_out.text)
    # A lookup that fails (a bad Bearer token is refused by it) leaves the page as it was.
    refused = archive.client().get("/no/such/page", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 404 and "/login" in header_links(refused.text)


def test_an_error_page_offers_the_way_back(archive: LiveServer) -> None:
    page = browser(archive, "owner")
    came = f"{archive.url}/albums"
    refused = form_post(page, "/albums", {"title": ""}, headers={"Referer": came})
    backs = [a for a in parse(refused.text).find_all("a") if "data-go-back" in a]
    assert [a["href"] for a in backs] == ["/albums"]
    assert "/" in {a.get("href") for a in parse(refused.text).find_all("a", class_="button")}
    # Another site's page is not linked to, nor the address that failed.
    elsewhere = form_post(page, "/albums", {"title": ""}, headers={"Referer": "https://x.test/a"})
    assert not [a for a in parse(elsewhere.text).find_all("a") if "data-go-back" in a]
    missing = page.get("/no/such/page", headers={"Referer": f"{archive.url}/no/such/page"})
    assert not [a for a in parse(missing.text).find_all("a") if "data-go-back" in a]


def test_a_page_form_names_its_fields_as_the_page_does(archive: LiveServer) -> None:
    owner = browser(archive, "owner")
    photo = uploaded(api_login(archive, "owner"), CAMERA)
    past = form_post(owner, "/shares", {"photo_ids": str(photo), "expires_at": "2000-01-01"})
    assert past.status_code == 422
    assert "The expiry date must be in the future." in parse(past.text).text
    assert "expires_at" not in parse(past.text).text
    # The API keeps naming its field.
    api = api_login(archive, "owner").post(
        "/api/v1/shares", json={"photo_ids": [photo], "expires_at": "2000-01-01T00:00:00Z"}
    )
    assert api.status_code == 422 and api.json()["field"] == "expires_at"
