"""Who may do what with an album: every album route against every kind of viewer.

tests/test_authz_matrix.py holds the route table's rows (guest, another user, the owner, an
admin); here the same routes meet the album's own roles too. Columns: guest with public view
off, guest with public view on, a non-member, a viewer, a contributor, the owner, an admin.
An album is 404 to anyone who is not a member (an admin included); a member who may not do
something gets 403. The photo in `/photos/{id}/albums` is the owner's, so a contributor may
not add it (422: only a photo's owner puts it in an album).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import PASSWORD, live_server, make_settings
from tests.test_authz_matrix import MATRIX, World, jpeg, perform

ROLES = ("guest", "other", "viewer", "contributor", "owner", "admin")

ALBUM_MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int, int, int]] = {
    ("GET", "/albums"): (303, 303, 200, 200, 200, 200, 200),
    ("POST", "/albums"): (401, 401, 303, 303, 303, 303, 303),
    ("GET", "/albums/{album_id:int}"): (303, 303, 404, 200, 200, 200, 404),
    ("POST", "/albums/{album_id:int}/edit"): (401, 401, 404, 403, 403, 303, 404),
    ("GET", "/albums/{album_id:int}/cover"): (303, 303, 404, 403, 403, 200, 404),
    ("POST", "/albums/{album_id:int}/delete"): (401, 401, 404, 403, 403, 303, 404),
    ("POST", "/albums/{album_id:int}/members"): (401, 401, 404, 403, 403, 303, 404),
    ("POST", "/albums/{album_id:int}/members/{username:str}/remove"): (
        401,
        401,
        404,
        403,
        403,
        303,
        404,
    ),
    ("POST", "/albums/{album_id:int}/photos/remove"): (401, 401, 404, 403, 303, 303, 404),
    ("POST", "/photos/{photo_id:int}/albums"): (401, 401, 404, 403, 422, 303, 404),
    ("POST", "/api/v1/albums"): (401, 401, 201, 201, 201, 201, 201),
    ("GET", "/api/v1/albums"): (401, 401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/albums/{album_id:int}"): (401, 401, 404, 200, 200, 200, 404),
    ("PATCH", "/api/v1/albums/{album_id:int}"): (401, 401, 404, 403, 403, 200, 404),
    ("DELETE", "/api/v1/albums/{album_id:int}"): (401, 401, 404, 403, 403, 204, 404),
    ("GET", "/api/v1/albums/{album_id:int}/photos"): (401, 401, 404, 200, 200, 200, 404),
    ("POST", "/api/v1/albums/{album_id:int}/photos"): (401, 401, 404, 403, 200, 200, 404),
    ("POST", "/api/v1/albums/{album_id:int}/photos/remove"): (401, 401, 404, 403, 200, 200, 404),
    ("PUT", "/api/v1/albums/{album_id:int}/members/{username:str}"): (
        401,
        401,
        404,
        403,
        403,
        200,
        404,
    ),
    ("DELETE", "/api/v1/albums/{album_id:int}/members/{username:str}"): (
        401,
        401,
        404,
        403,
        403,
        204,
        404,
    ),
    ("GET", "/api/v1/albums/{album_id:int}/download"): (401, 401, 404, 200, 200, 200, 404),
    ("PUT", "/api/v1/albums/{album_id:int}/owner"): (401, 401, 404, 403, 403, 204, 404),
}


@pytest.fixture(scope="module", params=[False, True], ids=["private", "public"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    module_database: Callable[[], str],
) -> Iterator[World]:
    data_dir: Path = tmp_path_factory.mktemp("albums-matrix") / "data"
    settings = make_settings(
        data_dir, public_view=request.param, registration="open", database_url=module_database()
    )
    with live_server(settings) as server:
        for name in ("admin", "owner", "other", "viewer", "contributor"):
            response = server.client().post(
                "/api/v1/auth/signup",
                json={"username": name, "email": f"{name}@example.org", "password": PASSWORD},
            )
            assert response.status_code == 201, response.text
        live = World(server, request.param)
        live.album_members = (("viewer", "viewer"), ("contributor", "contributor"))
        live.family_photo_id = live.new_photo()
        live.album_id = live.new_album()
        yield live


def test_every_album_route_has_a_row() -> None:
    album_routes = {
        (method, path)
        for method, path in MATRIX
        if path.startswith(("/albums", "/api/v1/albums")) or path.endswith("/albums")
    }
    assert album_routes == set(ALBUM_MATRIX)


@pytest.mark.parametrize(
    ("method", "path"), list(ALBUM_MATRIX), ids=[f"{m} {p}" for m, p in ALBUM_MATRIX]
)
def test_album_matrix(world: World, method: str, path: str) -> None:
    guest_private, guest_public, *signed_in = ALBUM_MATRIX[(method, path)]
    expected = {
        "guest": guest_public if world.public_view else guest_private,
        **dict(zip(ROLES[1:], signed_in, strict=True)),
    }
    actual = {role: perform(world, role, method, path) for role in ROLES}
    assert actual == expected


@pytest.mark.parametrize("person", ["other", "viewer", "contributor"])
def test_a_photo_s_owner_may_take_it_out_whatever_their_role(world: World, person: str) -> None:
    """The table's photo is the album owner's; here the photo is the caller's own. Its owner
    takes it out of an album holding it as a viewer, a contributor, or no member at all (a
    photo left behind by someone who is no longer in the album), and nothing else of it."""
    album_id = world.new_album()
    client = world.client(person, api=True)
    made = client.post("/api/v1/photos", files=[("file", ("p.jpg", jpeg()))])
    assert made.status_code == 201, made.text
    theirs = made.json()["items"][0]["id"]
    with world.server.db() as conn:
        for photo_id, by in ((theirs, person), (world.family_photo_id, "owner")):
            conn.execute(
                "INSERT INTO album_photos (album_id, photo_id, added_by, added_at)"
                " SELECT ?, ?, u.id, '2026-01-01T00:00:00Z' FROM users u WHERE u.username = ?",
                (album_id, photo_id, by),
            )
    url = f"/api/v1/albums/{album_id}/photos/remove"
    both = {"photo_ids": [world.family_photo_id, theirs]}
    out = client.post(url, json=both)
    assert out.status_code == 200 and out.json() == {"removed": [theirs]}, out.text
    again = client.post(url, json=both)  # nothing of theirs left in it
    assert again.status_code == {"other": 404, "viewer": 403, "contributor": 200}[person]
    left = world.owner().get(f"/api/v1/albums/{album_id}/photos").json()["items"]
    assert [p["id"] for p in left] == [world.family_photo_id]
