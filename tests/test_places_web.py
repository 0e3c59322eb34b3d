"""Places over HTTP: the photo's `place` and who sees it, the settings checkbox, the places list
and the map (pages and API, as the OpenAPI document promises), the tiles setting, the
backfill command, and that no answer gives another member's coordinates or unshared place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
    uploaded,
)
from tests.test_openapi_contract import check, document  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

AREZZO = PHOTOS / "gps" / "DSCN0010.jpg"
PLACE = {"city": "Arezzo", "region": "Tuscany", "country": "Italy", "country_code": "IT"}
# The photo's coordinates as any answer would write them (43.467448, 11.885127).
COORDINATES = ("43.46", "11.88")


def _people(server: LiveServer) -> tuple[httpx.Client, httpx.Client, httpx.Client, int]:
    """Alice (a browser) with a photo taken in Arezzo; Bob (a browser) and his API client."""
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    return alice, bob, api_login(server, "bob"), uploaded(alice, AREZZO)


def _share(client: httpx.Client, on: bool) -> httpx.Response:
    return form_post(client, "/settings/places", {"place_sharing": "on"} if on else {})


def test_the_owner_sees_the_place_others_only_once_it_is_shared(server: LiveServer) -> None:
    alice, bob, bob_api, photo_id = _people(server)
    mine = alice.get(f"/api/v1/photos/{photo_id}").json()
    assert mine["place"] == PLACE and mine["location"]["lat"] == pytest.approx(43.467448)
    theirs = bob_api.get(f"/api/v1/photos/{photo_id}").json()
    assert theirs["place"] is None and "location" not in theirs
    assert "Arezzo" not in parse(bob.get(f"/photos/{photo_id}").text).text
    assert "Arezzo, Italy" in parse(alice.get(f"/photos/{photo_id}").text).text

    assert _share(alice, True).status_code == 303
    theirs = bob_api.get(f"/api/v1/photos/{photo_id}").json()
    assert theirs["place"] == PLACE and "location" not in theirs
    assert "Arezzo, Italy" in parse(bob.get(f"/photos/{photo_id}").text).text
    assert bob_api.get("/api/v1/photos").json()["items"][0]["place"] == PLACE

    assert _share(alice, False).status_code == 303
    assert bob_api.get(f"/api/v1/photos/{photo_id}").json()["place"] is None


def test_the_settings_checkbox_is_off_by_default_and_remembers(server: LiveServer) -> None:
    alice = sign_up(server, "alice")

    def box() -> dict[str, str | None]:
        [found] = parse(alice.get("/settings").text).find_all("input", name="place_sharing")
        return found

    assert "checked" not in box()
    response = _share(alice, True)
    assert response.headers["location"] == "/settings?saved=places-on"
    assert "checked" in box()
    assert "Others now see the town" in parse(alice.get("/settings?saved=places-on").text).text
    _share(alice, False)
    assert "checked" not in box()


def test_places_list_and_page(server: LiveServer, document: dict[str, Any]) -> None:  # noqa: F811
    alice, bob, bob_api, _ = _people(server)
    upload(alice, PHOTOS / "gps" / "DSCN0012.jpg")
    upload(alice, PHOTOS / "cameras" / "Canon_40D.jpg")  # no location: no place
    answer = alice.get("/api/v1/places")
    check(document, "get", "/api/v1/places", answer)
    expected = {
        "country": "Italy",
        "country_code": "IT",
        "count": 2,
        "cities": [{"city": "Arezzo", "count": 2}],
    }
    assert answer.json() == {"items": [expected]}
    assert bob_api.get("/api/v1/places").json() == {"items": []}
    page = parse(alice.get("/places").text)
    links = {a["href"] for a in page.find_all("a")}
    assert {
        "/search?q=place%3A%22Italy%22",
        "/search?q=place%3A%22Arezzo%22%20place%3A%22Italy%22",
    } <= links
    assert "Arezzo" not in parse(bob.get("/places").text).text
    _share(alice, True)
    assert bob_api.get("/api/v1/places").json() == {"items": [expected]}
    assert "Arezzo" in parse(bob.get("/places").text).text


def test_the_map_holds_the_callers_own_photos(server: LiveServer, document: dict[str, Any]) -> None:  # noqa: F811
    alice, _, bob_api, photo_id = _people(server)
    _share(alice, True)
    answer = alice.get("/api/v1/map")
    check(document, "get", "/api/v1/map", answer)
    [pin] = answer.json()["items"]
    assert pin["id"] == photo_id and pin["lat"] == pytest.approx(43.467448)
    assert pin["thumbnail"].startswith(f"/media/{photo_id}/thumbnail?v=")
    assert bob_api.get("/api/v1/map").json() == {"items": []}
    page = alice.get("/map")
    assert page.status_code == 200
    [box] = parse(page.text).find_all("div", id="map")
    assert box["data-tiles"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in (box["data-credit"] or "")
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy
    assert "script-src 'self';" in policy  # the page's script is a file: no inline script
    home = alice.get("/")
    assert {"/places", "/map"} <= {a["href"] for a in parse(home.text).find_all("a")}
    assert "openstreetmap" not in home.headers["content-security-policy"]  # the map page's only


def test_a_turned_photo_is_pinned_with_its_new_thumbnail(server: LiveServer) -> None:
    """Thumbnails are cached as immutable under their address: the map must name the one of
    the photo as it is turned now (as every other list does), or a map seen before a turn
    keeps showing the photo on its side."""
    alice, _, _, photo_id = _people(server)
    alice_api = api_login(server, "alice")
    [before] = alice.get("/api/v1/map").json()["items"]
    turned = alice_api.patch(f"/api/v1/photos/{photo_id}", json={"rotation": 90})
    assert turned.status_code == 200, turned.text
    [after] = alice.get("/api/v1/map").json()["items"]
    assert after["thumbnail"] == turned.json()["urls"]["thumbnail"]
    assert after["thumbnail"] != before["thumbnail"]


def test_no_answer_gives_another_members_coordinates_or_unshared_place(server: LiveServer) -> None:
    alice, bob, bob_api, photo_id = _people(server)
    answers = [
        bob_api.get(f"/api/v1/photos/{photo_id}"),
        bob_api.get("/api/v1/photos"),
        bob_api.get("/api/v1/users/alice/photos"),
        bob_api.get("/api/v1/places"),
        bob_api.get("/api/v1/map"),
        bob.get(f"/photos/{photo_id}"),
        bob.get("/"),
        bob.get("/u/alice"),
        bob.get("/places"),
        bob.get("/map"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.request.url
        assert "Arezzo" not in answer.text and "Tuscany" not in answer.text, answer.request.url
        assert not any(c in answer.text for c in COORDINATES), answer.request.url
    _share(alice, True)  # a town shown; the spot stays hers
    for answer in [
        bob_api.get(f"/api/v1/photos/{photo_id}"),
        bob_api.get("/api/v1/places"),
        bob_api.get("/api/v1/map"),
        bob.get(f"/photos/{photo_id}"),
        bob.get("/map"),
    ]:
        assert not any(c in answer.text for c in COORDINATES), answer.request.url


def test_guests_see_only_shared_places_and_no_map(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path / "data", public_view=True)) as server:
        alice, _, _, photo_id = _people(server)
        guest = server.client()
        assert guest.get(f"/api/v1/photos/{photo_id}").json()["place"] is None
        assert guest.get("/api/v1/places").json() == {"items": []}
        _share(alice, True)
        assert guest.get(f"/api/v1/photos/{photo_id}").json()["place"] == PLACE
        assert guest.get("/api/v1/places").json()["items"][0]["country_code"] == "IT"
        assert guest.get("/api/v1/map").status_code == 401


def test_strip_location_keeps_no_place(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path / "data", strip_location=True)) as server:
        alice, _, _, photo_id = _people(server)
        _share(alice, True)
        assert alice.get(f"/api/v1/photos/{photo_id}").json()["place"] is None
        assert alice.get("/api/v1/places").json() == {"items": []}
        assert server.count("photo_places") == 0


def test_map_off_hides_the_page_and_its_links(tmp_path: Path) -> None:
    with live_server(make_settings(tmp_path / "data", map_tiles="off")) as server:
        alice = sign_up(server, "alice")
        page = alice.get("/")
        assert "/map" not in {a["href"] for a in parse(page.text).find_all("a")}
        gone = alice.get("/map")
        assert gone.status_code == 404
        assert "tile.openstreetmap.org" not in gone.headers["content-security-policy"]
        assert "/map" not in {a["href"] for a in parse(alice.get("/places").text).find_all("a")}


def test_the_backfill_command_fills_in_older_photos(server: LiveServer) -> None:
    alice, _, _, photo_id = _people(server)
    with server.db() as db:  # as if uploaded before places existed
        db.execute("DELETE FROM photo_places")
    env = {
        **os.environ,
        "PHOTOARCHIVE_DATA_DIR": str(server.settings.data_dir),
        "PHOTOARCHIVE_DATABASE_URL": server.settings.database_url,
    }
    command = [sys.executable, "-m", "photoarchive", "places", "--backfill"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Looked up the places of 1 photos" in done.stdout
    assert alice.get(f"/api/v1/photos/{photo_id}").json()["place"] == PLACE
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert "of 0 photos" in again.stdout
    refused = subprocess.run(command[:-1], env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--backfill" in refused.stderr
    assert json.loads(alice.get("/api/v1/places").text)["items"][0]["count"] == 1
