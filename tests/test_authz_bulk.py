"""Who may do what with POST /api/v1/photos/bulk: every action against every kind of viewer, on
a family photo and on a private one of the owner's.

tests/test_authz_matrix.py holds the route's row (it answers 200 to anyone signed in); here is
what each photo in it gets. Columns: another member, the photo's owner, an administrator; 200
means done, another status is the photo's entry in `failed`, which must be what the request
about that photo alone answers (the same status and words) and must change nothing. Guests,
with public view off or on, and share links' holders get 401 for the whole request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.state import snapshot
from tests.support import PASSWORD, live_server, make_settings
from tests.test_authz_matrix import World

ROLES = ("other", "owner", "admin")
BULK = "/api/v1/photos/bulk"

# action -> (family photo, private photo), each per role in ROLES
BULK_MATRIX: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "favorite": ((200, 200, 200), (404, 200, 404)),
    "unfavorite": ((200, 200, 200), (404, 200, 404)),
    "archive": ((403, 200, 403), (404, 200, 404)),
    "unarchive": ((403, 200, 403), (404, 200, 404)),
    "set_visibility": ((403, 200, 403), (404, 200, 404)),
    "add_to_album": ((403, 200, 403), (404, 200, 404)),
}


def single(world: World, role: str, action: str, photo_id: int) -> dict[str, Any]:
    """The answer to the request about this photo alone. Adding to an album has no JSON route
    of one photo: its page's form asks first whether the photo is there (GET's answer)."""
    client = world.client(role, api=True)
    url = f"/api/v1/photos/{photo_id}"
    if action in ("favorite", "unfavorite"):
        answer = client.request("PUT" if action == "favorite" else "DELETE", url + "/favorite")
    elif action in ("archive", "unarchive"):
        answer = client.patch(url, json={"archived": action == "archive"})
    elif action == "set_visibility":
        answer = client.patch(url, json=world.visibility())
    else:
        answer = client.get(url)
    return {"status": answer.status_code, "detail": answer.json().get("detail")}


def body(world: World, role: str, action: str, photo_id: int) -> dict[str, Any]:
    sent: dict[str, Any] = {"photo_ids": [photo_id], "action": action}
    if action == "set_visibility":
        sent.update(world.visibility())  # as it is: an allowed request changes nothing either
    if action == "add_to_album":
        mine = world.client(role, api=True).post("/api/v1/albums", json={"title": role})
        assert mine.status_code == 201, mine.text
        sent["album_id"] = mine.json()["id"]
    return sent


@pytest.fixture(scope="module", params=[False, True], ids=["private", "public"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    module_database: Callable[[], str],
) -> Iterator[World]:
    data_dir: Path = tmp_path_factory.mktemp("bulk-matrix") / "data"
    settings = make_settings(
        data_dir, public_view=request.param, registration="open", database_url=module_database()
    )
    with live_server(settings) as server:
        for name in ("admin", "owner", "other"):  # the first account becomes the admin
            response = server.client().post(
                "/api/v1/auth/signup",
                json={"username": name, "email": f"{name}@example.org", "password": PASSWORD},
            )
            assert response.status_code == 201, response.text
        live = World(server, request.param)
        live.family_photo_id = live.new_photo()
        live.private = True
        live.private_photo_id = live.new_photo()
        live.private = False
        yield live


@pytest.mark.parametrize("action", list(BULK_MATRIX))
@pytest.mark.parametrize("private", [False, True], ids=["family", "private"])
def test_bulk_matrix(world: World, action: str, private: bool) -> None:
    world.private = private
    try:
        expected = dict(zip(ROLES, BULK_MATRIX[action][private], strict=True))
        actual = {}
        for role in ROLES:
            sent = body(world, role, action, world.photo_id)
            client = world.client(role, api=True)  # signed in before the snapshot, not in it
            before = snapshot(world.server)
            answer = client.post(BULK, json=sent)
            assert answer.status_code == 200, answer.text
            outcome = answer.json()
            if outcome["done"]:
                assert outcome == {"done": [world.photo_id], "failed": []}
                actual[role] = 200
                continue
            (failure,) = outcome["failed"]
            actual[role] = failure["status"]
            assert not before.diff(snapshot(world.server)), (role, action)
            alone = single(world, role, action, world.photo_id)
            if alone["status"] == failure["status"]:  # add_to_album's 403 is bulk's own
                assert alone["detail"] == failure["detail"], (role, action)
            else:
                assert (action, failure["status"]) == ("add_to_album", 403), (role, alone)
        assert actual == expected
        guest = world.client("guest", api=True)
        sent = {"photo_ids": [world.photo_id], "action": action}
        assert guest.post(BULK, json=sent).status_code == 401
    finally:
        world.private = False
