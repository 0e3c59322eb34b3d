"""Who may do what with an album, the administrator looking after it included: every album
route against a guest, a signed-in person who is no member, the album's viewer and
contributor, an administrator while the album's owner is enabled, and the same administrator
once the owner is disabled (the caretaker).

The table below is the specification, read from the rules (access.decide_album,
album_members.py, album_photos.py, the handlers and the README), not from the answers. Every
album route of the app's route table needs a row: a new one without fails
`test_every_album_route_has_a_row`. An album is 404 to anyone it is not there for (never
403, which would tell them it exists); a member who may not do something gets 403. The
caretaker manages the album as its owner would (rename it, choose its cover, change its
members' roles or remove them, hand it to one of them, take out the photos they see, delete
it) but is no member: they add nobody, themselves included (403), add no photos (403), and
see none of its private photos.

The administrator's column is an album of an enabled owner's; every other column is an album
of a disabled owner's (what disabling the owner gives anyone else: nothing). Both albums hold
the owner's family photo, the owner's private photo (their chosen cover), a contributor's
private photo, and members "viewer", "contributor" and "cousin" (the member acted on). Pages
are driven like a browser (session cookie and CSRF token), /api with a Bearer token. An album
an allowed request changed is not used again: the next request gets a new one. A refused
request, and every GET, must leave the database rows, the blobs and the temp dir exactly as
they were. The archive lets guests look (public view on): even so an album is not theirs.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.state import State, snapshot
from tests.support import (
    PASSWORD,
    LiveServer,
    api_login,
    csrf,
    live_server,
    make_settings,
    parse,
)
from tests.test_authz_matrix import app_routes, fill, jpeg

ROLES = ("guest", "other", "viewer", "contributor", "admin", "caretaker")
KEEPER, ABSENT = "keeper", "absent"  # the album owners: enabled, and disabled
COUSIN, STRANGER = "cousin", "stranger"  # a member acted on; someone in no album
MEMBERS = (("viewer", "viewer"), ("contributor", "contributor"), (COUSIN, "viewer"))
SIGNED_IN = ("other", "viewer", "contributor", COUSIN, STRANGER, KEEPER, ABSENT)
TITLE = "Grandpa's garden"

MEMBER = "/api/v1/albums/{album_id:int}/members/{username:str}"
OWNER = "/api/v1/albums/{album_id:int}/owner"
PAGE_MEMBERS = "/albums/{album_id:int}/members"

# Columns: guest, other, viewer, contributor, admin (owner enabled), caretaker (owner
# disabled). A guest's page GET is the redirect to /login (303), a guest's POST 401. Where a
# row acts on a member, it is "cousin"; where it adds a photo, the actor's own; where it takes
# one out, the album owner's family photo (which a contributor did not add: 2xx, nothing out).
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    ("GET", "/albums"): (303, 200, 200, 200, 200, 200),
    ("POST", "/albums"): (401, 303, 303, 303, 303, 303),
    ("GET", "/albums/{album_id:int}"): (303, 404, 200, 200, 404, 200),
    ("POST", "/albums/{album_id:int}/edit"): (401, 404, 403, 403, 404, 303),
    ("GET", "/albums/{album_id:int}/cover"): (303, 404, 403, 403, 404, 200),
    ("POST", "/albums/{album_id:int}/delete"): (401, 404, 403, 403, 404, 303),
    # adding someone new ("stranger"): a newcomer would see the members' private photos
    ("POST", PAGE_MEMBERS): (401, 404, 403, 403, 404, 403),
    ("POST", PAGE_MEMBERS + "/{username:str}/remove"): (401, 404, 403, 403, 404, 303),
    ("POST", "/albums/{album_id:int}/photos/remove"): (401, 404, 403, 303, 404, 303),
    # putting one's own photo in the album: a member's act, which the caretaker is not
    ("POST", "/photos/{photo_id:int}/albums"): (401, 404, 403, 303, 404, 403),
    ("POST", "/api/v1/albums"): (401, 201, 201, 201, 201, 201),
    ("GET", "/api/v1/albums"): (401, 200, 200, 200, 200, 200),
    ("GET", "/api/v1/albums/{album_id:int}"): (401, 404, 200, 200, 404, 200),
    ("PATCH", "/api/v1/albums/{album_id:int}"): (401, 404, 403, 403, 404, 200),
    ("DELETE", "/api/v1/albums/{album_id:int}"): (401, 404, 403, 403, 404, 204),
    ("GET", "/api/v1/albums/{album_id:int}/photos"): (401, 404, 200, 200, 404, 200),
    ("POST", "/api/v1/albums/{album_id:int}/photos"): (401, 404, 403, 200, 404, 403),
    ("POST", "/api/v1/albums/{album_id:int}/photos/remove"): (401, 404, 403, 200, 404, 200),
    ("PUT", MEMBER): (401, 404, 403, 403, 404, 200),  # cousin becomes a contributor
    ("DELETE", MEMBER): (401, 404, 403, 403, 404, 204),
    ("PUT", OWNER): (401, 404, 403, 403, 404, 204),  # handed to cousin
    ("GET", "/api/v1/albums/{album_id:int}/download"): (401, 404, 200, 200, 404, 200),
}


@dataclass(frozen=True)
class Variant:
    """A row's route asked with another target or body, where the caretaker's rule turns on
    it. `username` "self" is the actor; `form` overrides the row's body."""

    method: str
    path: str
    expected: tuple[int, int, int, int, int, int]
    username: str | None = None
    form: dict[str, Any] = field(default_factory=dict)


VARIANTS = {
    "add a newcomer": Variant(
        "PUT", MEMBER, (401, 404, 403, 403, 404, 403), STRANGER, {"role": "viewer"}
    ),
    # no place for oneself: for a member, changing their own role is the owner's to do
    "add oneself": Variant(
        "PUT", MEMBER, (401, 404, 403, 403, 404, 403), "self", {"role": "viewer"}
    ),
    "change a role on the page": Variant(
        "POST", PAGE_MEMBERS, (401, 404, 403, 403, 404, 303), form={"username": COUSIN}
    ),
    "hand over on the page": Variant(
        "POST",
        PAGE_MEMBERS,
        (401, 404, 403, 403, 404, 303),
        form={"username": COUSIN, "role": "owner"},
    ),
    "hand to a newcomer": Variant("PUT", OWNER, (401, 404, 403, 403, 404, 403), STRANGER),
    "hand to oneself": Variant("PUT", OWNER, (401, 404, 403, 403, 404, 403), "self"),
    # the owner stays (they could only leave, and an owner deletes instead)
    "remove the owner": Variant("DELETE", MEMBER, (401, 404, 403, 403, 404, 422), "owner"),
    # a private photo of the album is no cover the caretaker may show everyone: it is not
    # there for them ("The cover must be a photo in this album")
    "a private cover": Variant(
        "PATCH",
        "/api/v1/albums/{album_id:int}",
        (401, 404, 403, 403, 404, 422),
        form={"cover_photo_id": "private"},
    ),
    "a private cover on the page": Variant(
        "POST",
        "/albums/{album_id:int}/edit",
        (401, 404, 403, 403, 404, 422),
        form={"cover_photo_id": "private"},
    ),
}


def is_album_route(path: str) -> bool:
    return path.startswith(("/albums", "/api/v1/albums")) or path.endswith("/albums")


@dataclass
class Album:
    id: int
    owner: str
    family: int  # the owner's
    private: int  # the owner's, its chosen cover
    member_private: int  # the contributor's


@dataclass
class Care:
    """The archive the matrix runs on: who is in it, their own photos, and the two albums in
    use (replaced once an allowed request has changed one)."""

    server: LiveServer
    own_photo: dict[str, int] = field(default_factory=dict)  # each person's family photo
    owner_photos: dict[str, tuple[int, int]] = field(default_factory=dict)  # family, private
    member_private: int = 0
    originals: dict[int, bytes] = field(default_factory=dict)
    albums: dict[str, Album] = field(default_factory=dict)
    clients: dict[tuple[str, bool], httpx.Client] = field(default_factory=dict)
    # The state after the last request checked, while nothing else has written since: the
    # next request's state before (one snapshot a request rather than two).
    state: State | None = None

    def client(self, name: str, *, api: bool) -> httpx.Client:
        """A signed-in client (None: a guest's, with only the CSRF cookie)."""
        if (name, api) not in self.clients:
            if api:
                made = self.server.client() if name == "guest" else api_login(self.server, name)
            else:
                made = self.server.client()
                if name != "guest":
                    signed = made.post(
                        "/login",
                        data={"login": name, "password": PASSWORD, "_csrf_token": csrf(made)},
                    )
                    assert signed.status_code == 303, signed.text
                csrf(made)
            self.clients[(name, api)] = made
            self.state = None  # signing in wrote a session
        return self.clients[(name, api)]

    def set_disabled(self, name: str, disabled: bool) -> None:
        self.state = None
        url = f"/api/v1/admin/users/{name}"
        done = self.client("admin", api=True).patch(url, json={"disabled": disabled})
        assert done.status_code == 200, done.text

    def upload(self, name: str, visibility: str = "family") -> int:
        self.state = None
        data = jpeg()
        made = self.client(name, api=True).post(
            "/api/v1/photos", files=[("file", ("p.jpg", data))], data={"visibility": visibility}
        )
        assert made.status_code == 201, made.text
        photo_id: int = made.json()["items"][0]["id"]
        self.originals[photo_id] = data
        return photo_id

    def new_album(self, owner: str) -> Album:
        """A new album of `owner`'s with the members and photos the module docstring names;
        an album of ABSENT's is made while they are enabled, and left with them disabled."""
        self.state = None
        if owner == ABSENT:
            self.set_disabled(ABSENT, False)
        api = api_login(self.server, owner)  # disabling ended the last session
        family, private = self.owner_photos[owner]
        made = api.post("/api/v1/albums", json={"title": TITLE})
        assert made.status_code == 201, made.text
        album_id: int = made.json()["id"]
        for name, role in MEMBERS:
            put = api.put(f"/api/v1/albums/{album_id}/members/{name}", json={"role": role})
            assert put.status_code == 200, put.text
        url = f"/api/v1/albums/{album_id}/photos"
        added = api.post(url, json={"photo_ids": [family, private]})
        assert added.json()["added"] == [family, private], added.text
        theirs = self.client("contributor", api=True).post(
            url, json={"photo_ids": [self.member_private]}
        )
        assert theirs.json()["added"] == [self.member_private], theirs.text
        cover = api.patch(f"/api/v1/albums/{album_id}", json={"cover_photo_id": private})
        assert cover.status_code == 200, cover.text
        api.close()
        if owner == ABSENT:
            self.set_disabled(ABSENT, True)
        return Album(album_id, owner, family, private, self.member_private)

    def album(self, owner: str) -> Album:
        if owner not in self.albums:
            self.albums[owner] = self.new_album(owner)
        return self.albums[owner]


def acting(role: str) -> tuple[str, str]:
    """(the account acting, the owner of the album it acts on) for a column."""
    name = {"caretaker": "admin"}.get(role, role)
    return name, KEEPER if role == "admin" else ABSENT


def body(
    care: Care, method: str, path: str, role: str, album: Album, variant: Variant | None
) -> dict[str, Any]:
    """The request's form or JSON: a valid one, so that only permission decides."""
    name, _ = acting(role)
    own = care.own_photo.get(name, album.family)
    forms: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/albums"): {"title": "an album"},
        ("POST", "/api/v1/albums"): {"title": "an album"},
        ("POST", "/albums/{album_id:int}/edit"): {"title": "Roses", "sort": "taken_asc"},
        ("PATCH", "/api/v1/albums/{album_id:int}"): {"title": "Roses"},
        ("POST", PAGE_MEMBERS): {"username": STRANGER, "role": "viewer"},
        ("POST", "/albums/{album_id:int}/photos/remove"): {"photo_ids": str(album.family)},
        ("POST", "/api/v1/albums/{album_id:int}/photos/remove"): {"photo_ids": [album.family]},
        ("POST", "/photos/{photo_id:int}/albums"): {"album_id": str(album.id)},
        ("POST", "/api/v1/albums/{album_id:int}/photos"): {"photo_ids": [own]},
        ("PUT", MEMBER): {"role": "contributor"},
        ("PUT", OWNER): {"username": COUSIN},
    }
    form = dict(forms.get((method, path), {}))
    if variant is not None:
        form.update(variant.form)
        if form.get("cover_photo_id") == "private":
            private = album.private
            form["cover_photo_id"] = private if path.startswith("/api/") else str(private)
        if path == PAGE_MEMBERS and "role" not in variant.form:
            form["role"] = "contributor"
        if path == OWNER and variant.username is not None:
            form["username"] = target(variant.username, name, album)
    return form


def target(username: str, name: str, album: Album) -> str:
    return {"self": name if name != "guest" else STRANGER, "owner": album.owner}.get(
        username, username
    )


def perform(care: Care, role: str, method: str, path: str, variant: Variant | None = None) -> int:
    """One request of the matrix, by `role`; its status, after checking that a refusal (and
    any GET) changed nothing."""
    name, owner = acting(role)
    album = care.album(owner)
    username = COUSIN
    if variant is not None and variant.username is not None and path == MEMBER:
        username = target(variant.username, name, album)
    values = {
        "album_id": str(album.id),
        "photo_id": str(care.own_photo.get(name, album.family)),
        "username": username,
    }
    url = fill(path, values)
    is_api = path.startswith("/api/")
    client = care.client(name, api=is_api)
    form = body(care, method, path, role, album, variant)
    kwargs: dict[str, Any] = {}
    if is_api and form:
        kwargs["json"] = form
    elif not is_api and method != "GET":
        kwargs["data"] = {**form, "_csrf_token": csrf(client)}
    before = care.state or snapshot(care.server)
    status = client.request(method, url, **kwargs).status_code
    care.state = None
    if method == "GET" or status >= 400:
        after = snapshot(care.server)
        changes = before.diff(after)
        assert not changes, (role, method, url, status, changes)
        care.state = after
    elif "{album_id" in path or path == "/photos/{photo_id:int}/albums":
        del care.albums[owner]  # changed: the next request gets a new one
    return status


@pytest.fixture(scope="module")
def care(
    tmp_path_factory: pytest.TempPathFactory, module_database: Callable[[], str]
) -> Iterator[Care]:
    data_dir: Path = tmp_path_factory.mktemp("care-matrix") / "data"
    settings = make_settings(
        data_dir, public_view=True, registration="open", database_url=module_database()
    )
    with live_server(settings) as server:
        for name in ("admin", *SIGNED_IN):  # the first account becomes the administrator
            made = server.client().post(
                "/api/v1/auth/signup",
                json={"username": name, "email": f"{name}@example.org", "password": PASSWORD},
            )
            assert made.status_code == 201, made.text
        live = Care(server)
        for name in ("admin", "other", "viewer", "contributor"):
            live.own_photo[name] = live.upload(name)
        live.member_private = live.upload("contributor", "private")
        for owner in (KEEPER, ABSENT):
            live.owner_photos[owner] = (live.upload(owner), live.upload(owner, "private"))
        del live.clients[(ABSENT, True)]  # disabling the owner ends this session
        live.set_disabled(ABSENT, True)
        yield live


def test_every_album_route_has_a_row(tmp_path: Path) -> None:
    routes = {route for route in app_routes(make_settings(tmp_path)) if is_album_route(route[1])}
    missing = sorted(routes - set(MATRIX), key=lambda r: (r[1], r[0]))
    stale = sorted(set(MATRIX) - routes, key=lambda r: (r[1], r[0]))
    assert not missing, f"album routes without a row: {missing}"
    assert not stale, f"rows for routes that do not exist: {stale}"
    assert {(v.method, v.path) for v in VARIANTS.values()} <= set(MATRIX)


@pytest.mark.parametrize(("method", "path"), list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_matrix(care: Care, method: str, path: str) -> None:
    care.state = None  # what another test did since is not known
    actual = {role: perform(care, role, method, path) for role in ROLES}
    assert actual == dict(zip(ROLES, MATRIX[(method, path)], strict=True))


@pytest.mark.parametrize("label", list(VARIANTS))
def test_variants(care: Care, label: str) -> None:
    variant = VARIANTS[label]
    care.state = None
    actual = {role: perform(care, role, variant.method, variant.path, variant) for role in ROLES}
    assert actual == dict(zip(ROLES, variant.expected, strict=True))


# --- beyond the statuses ----------------------------------------------------------------------


def mentions(html: str, photo_id: int) -> list[str]:
    """The attributes of a page that name the photo: its id as a form value or data, its
    page, its media."""
    address = re.compile(rf"/(media|photos)/{photo_id}(?![0-9])")
    found = []
    for tag, attrs in parse(html).elements:
        for name, value in attrs.items():
            named = (name == "value" or name.startswith("data-")) and value == str(photo_id)
            if value is not None and (named or address.search(value)):
                found.append(f"<{tag} {name}={value!r}>")
    return found


def zip_bodies(response: httpx.Response) -> list[bytes]:
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return sorted(archive.read(name) for name in archive.namelist())


def test_the_caretaker_sees_no_private_photo_of_the_album(care: Care) -> None:
    """The album's private photos (its disabled owner's, its chosen cover; a member's) reach
    its members and never the caretaker: not as its cover, on its page, in its photos, its
    zip, the cover picker, the list of albums, nor through the media or a photo's page."""
    care.state = None
    album = care.new_album(ABSENT)
    hidden = (album.private, album.member_private)
    url = f"/api/v1/albums/{album.id}"
    # What a member sees: all three, the owner's private photo as the cover.
    member = care.client("viewer", api=True)
    theirs = member.get(url).json()
    assert theirs["photo_count"] == 3 and f"/media/{album.private}/" in theirs["cover"]
    listed = member.get(f"{url}/photos").json()["items"]
    assert sorted(p["id"] for p in listed) == sorted([album.family, *hidden])
    every = sorted(care.originals[i] for i in (album.family, *hidden))
    assert zip_bodies(member.get(f"{url}/download")) == every

    admin, page = care.client("admin", api=True), care.client("admin", api=False)
    seen = admin.get(url).json()
    # The cover is the photo they may see: no cover would tell of a hidden one.
    assert (seen["role"], seen["photo_count"]) == ("caretaker", 1)
    assert f"/media/{album.family}/" in seen["cover"]
    cards = {a["id"]: a for a in admin.get("/api/v1/albums").json()["items"]}
    assert cards[album.id]["cover"] == seen["cover"] and cards[album.id]["photo_count"] == 1
    assert [p["id"] for p in admin.get(f"{url}/photos").json()["items"]] == [album.family]
    assert zip_bodies(admin.get(f"{url}/download")) == [care.originals[album.family]]
    for path in (f"/albums/{album.id}", f"/albums/{album.id}/cover", "/albums"):
        shown = page.get(path)
        assert shown.status_code == 200, shown.text
        for photo_id in hidden:
            assert not mentions(shown.text, photo_id), (path, mentions(shown.text, photo_id))
    tiles = parse(page.get(f"/albums/{album.id}").text).find_all("li", class_="grid-item")
    assert [t["data-photo-id"] for t in tiles] == [str(album.family)]
    for photo_id in hidden:
        for path in (
            f"/media/{photo_id}/thumbnail",
            f"/media/{photo_id}/original",
            f"/photos/{photo_id}?from=album:{album.id}",
        ):
            assert page.get(path).status_code == 404, path
        assert admin.get(f"/api/v1/photos/{photo_id}").status_code == 404


def test_naming_a_private_photo_tells_the_caretaker_nothing(care: Care) -> None:
    """Sent as the album's cover, a private photo of it (the chosen cover or another) is
    answered as a photo that is not in the album at all: the caretaker cannot tell which
    of the ids they try is its hidden cover."""
    care.state = None
    album = care.new_album(ABSENT)
    admin = care.client("admin", api=True)
    url = f"/api/v1/albums/{album.id}"
    answers = {
        photo_id: admin.patch(url, json={"cover_photo_id": photo_id})
        for photo_id in (album.private, album.member_private, care.own_photo["admin"])
    }
    assert {i: r.status_code for i, r in answers.items()} == dict.fromkeys(answers, 422)
    assert len({r.text for r in answers.values()}) == 1, {i: r.text for i, r in answers.items()}
    # Saving the album's settings as the page offers them keeps the cover its owner chose.
    saved = page_post(care, f"/albums/{album.id}/edit", settings_form(care, album.id))
    assert saved.status_code == 303, saved.text
    theirs = care.client("viewer", api=True).get(url).json()
    assert f"/media/{album.private}/" in theirs["cover"]


def settings_form(care: Care, album_id: int) -> dict[str, str]:
    """The album settings form as the caretaker's page fills it in (each select's chosen
    option), with a new title."""
    html = care.client("admin", api=False).get(f"/albums/{album_id}").text
    form: dict[str, str] = {"title": "Roses", "description": ""}
    chosen: dict[str, str] = {}
    select = None
    for tag, attrs in parse(html).elements:
        if tag == "select":
            select = attrs.get("name")
        elif tag == "option" and select in ("sort", "cover_photo_id"):
            value = attrs.get("value") or ""
            if select not in chosen or "selected" in attrs:
                chosen[select] = value
    form.update(chosen)
    return form


def page_post(care: Care, path: str, form: dict[str, str]) -> httpx.Response:
    client = care.client("admin", api=False)
    return client.post(path, data={**form, "_csrf_token": csrf(client)})


def test_the_care_ends_with_the_next_request_once_the_owner_is_enabled(care: Care) -> None:
    care.state = None
    album = care.new_album(ABSENT)
    admin, page = care.client("admin", api=True), care.client("admin", api=False)
    url = f"/api/v1/albums/{album.id}"
    assert admin.get(url).status_code == 200
    assert page.get(f"/albums/{album.id}").status_code == 200
    care.set_disabled(ABSENT, False)
    try:
        before = snapshot(care.server)
        tried = {
            "read": admin.get(url),
            "rename": admin.patch(url, json={"title": "Roses"}),
            "photos": admin.get(f"{url}/photos"),
            "take out": admin.post(f"{url}/photos/remove", json={"photo_ids": [album.family]}),
            "role": admin.put(f"{url}/members/{COUSIN}", json={"role": "contributor"}),
            "remove": admin.delete(f"{url}/members/{COUSIN}"),
            "hand over": admin.put(f"{url}/owner", json={"username": COUSIN}),
            "zip": admin.get(f"{url}/download"),
            "delete": admin.delete(url),
            "page": page.get(f"/albums/{album.id}"),
            "cover page": page.get(f"/albums/{album.id}/cover"),
            "edit": page_post(care, f"/albums/{album.id}/edit", {"title": "Roses"}),
            "delete page": page_post(care, f"/albums/{album.id}/delete", {}),
        }
        assert {k: r.status_code for k, r in tried.items()} == dict.fromkeys(tried, 404)
        assert album.id not in [a["id"] for a in admin.get("/api/v1/albums").json()["items"]]
        assert not before.diff(snapshot(care.server))
        # The owner has it back as it was.
        owner = api_login(care.server, ABSENT)
        mine = owner.get(url).json()
        assert (mine["role"], mine["title"], mine["photo_count"]) == ("owner", TITLE, 3)
        owner.close()
    finally:
        care.set_disabled(ABSENT, True)
    # Disabled again, the album is looked after again.
    assert admin.get(url).json()["role"] == "caretaker"
