"""A share page's absolute URLs (`og:url`, `og:image`: what a chat shows for a pasted link) come
from PHOTOARCHIVE_PUBLIC_URL, never from the Host header a request brings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import PHOTOS, api_login, archive_of, parse, uploaded

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PHOTO = sorted((PHOTOS / "cameras").glob("*.jpg"))[0]
FORGED = "attacker.example"


@pytest.mark.parametrize("public_url", [None, "http://photos.example.org/family"])
def test_a_forged_host_names_nothing_in_the_preview(tmp_path: Path, public_url: str | None) -> None:
    overrides = {} if public_url is None else {"public_url": public_url}
    with archive_of(tmp_path / "data", ("owner",), **overrides) as archive:
        owner = api_login(archive, "owner")
        photo_id = uploaded(owner, PHOTO)
        made = owner.post("/api/v1/shares", json={"photo_ids": [photo_id]}).json()
        token = made["token"]
        guest = archive.client()
        for host in (FORGED, f"{FORGED}:8000", "127.0.0.1"):
            page = guest.get(f"/s/{token}", headers={"host": host})
            assert page.status_code == 200
            metas = {
                tag["property"]: str(tag["content"])
                for tag in parse(page.text).find_all("meta")
                if tag.get("property")
            }
            # The link as its owner was given it, and its first photo under that same address.
            assert metas["og:url"] == made["url"] == f"{archive.settings.public_url}/s/{token}"
            assert metas["og:image"] == f"{made['url']}/media/{photo_id}/thumbnail"
            assert FORGED not in page.text
