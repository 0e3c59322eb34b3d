"""An album's forms over HTTP, as a browser sends them with and without htmx: a role control per
member, a name that cannot be added answered beside the field, the cover picked from any photo
of the album, and an album made from a photo's page that ends on that photo in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import LiveServer, api_login, archive_of, browser, form_post, parse
from tests.test_bulk_api import jpeg

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

HTMX = {"HX-Request": "true", "HX-Target": "members"}
PAGE = 30  # the photos an album's page (and the cover picker's) shows at once


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("admin", "alice", "bob", "carol")) as server:
        yield server


def members(api: httpx.Client, album_id: int) -> dict[str, str]:
    got = api.get(f"/api/v1/albums/{album_id}").json()
    return {m["username"]: m["role"] for m in got["members"]}


def an_album(archive: LiveServer) -> tuple[httpx.Client, int]:
    api = api_login(archive, "alice")
    album_id = api.post("/api/v1/albums", json={"title": "Cousins"}).json()["id"]
    assert api.put(f"/api/v1/albums/{album_id}/members/bob", json={"role": "viewer"}).is_success
    return api, album_id


def test_the_owner_changes_a_member_s_role_in_place(archive: LiveServer) -> None:
    api, album_id = an_album(archive)
    alice = browser(archive, "alice")
    page = parse(alice.get(f"/albums/{album_id}").text)
    # One control per member but the owner, each a form posting that member's name.
    controls = page.find_all("select", id="member-role-2")
    assert controls and controls[0]["name"] == "role"
    names = [e["value"] for e in page.find_all("input", name="username", type="hidden")]
    assert names.count("bob") == 2 and "alice" not in names  # "Change role", "Make owner"
    url = f"/albums/{album_id}/members"

    # Without scripts: back to the members list, changed.
    changed = form_post(alice, url, {"username": "bob", "role": "contributor"})
    assert changed.status_code == 303 and changed.headers["location"].endswith("#members")
    assert members(api, album_id)["bob"] == "contributor"
    # With htmx: the members list alone, showing the new role.
    again = form_post(alice, url, {"username": "bob", "role": "viewer"}, headers=HTMX)
    assert again.status_code == 200, again.text
    part = parse(again.text)
    assert part.find_all("section", id="members") and not part.find_all("header")
    bob = [e for e in part.find_all("option", value="viewer") if "selected" in e]
    assert len(bob) == 1
    assert members(api, album_id)["bob"] == "viewer"

    # Only the owner: a member's own attempt is refused and changes nothing; so is no token.
    bobs = browser(archive, "bob")
    assert form_post(bobs, url, {"username": "bob", "role": "contributor"}).status_code == 403
    no_token = alice.post(url, data={"username": "bob", "role": "contributor"})
    assert no_token.status_code == 403
    assert members(api, album_id)["bob"] == "viewer"
    assert not parse(bobs.get(f"/albums/{album_id}").text).find_all("select", id="member-role-2")


@pytest.mark.parametrize("htmx", [False, True], ids=["no-script", "htmx"])
def test_an_unknown_name_is_answered_beside_the_field(archive: LiveServer, htmx: bool) -> None:
    api, album_id = an_album(archive)
    alice = browser(archive, "alice")
    before = members(api, album_id)
    typed = "nobody_<b>here</b>"
    answer = form_post(
        alice,
        f"/albums/{album_id}/members",
        {"username": typed, "role": "contributor"},
        headers=HTMX if htmx else {},
    )
    assert answer.status_code == 422, answer.text
    page = parse(answer.text)
    assert bool(page.find_all("header")) is not htmx  # the whole page only without htmx
    error = page.find_all("p", id="member-error")
    assert error and error[0]["role"] == "alert"
    assert f"There is no user called '{typed}'." in page.text
    assert "<b>here</b>" not in answer.text  # what was typed is escaped
    field = page.find_all("input", id="member-username")[0]
    assert field["value"] == typed and field["aria-invalid"] == "true"
    assert field["aria-describedby"] == "member-error"
    chosen = [e for e in page.find_all("option", value="contributor") if "selected" in e]
    assert chosen  # the role chosen is kept
    assert members(api, album_id) == before
    empty = form_post(alice, f"/albums/{album_id}/members", {"username": " ", "role": "viewer"})
    assert empty.status_code == 422 and "Whom should the album be shared with?" in empty.text


def test_the_cover_is_picked_from_any_photo_of_the_album(archive: LiveServer) -> None:
    api = api_login(archive, "alice")
    album_id = api.post("/api/v1/albums", json={"title": "Every summer"}).json()["id"]
    ids = [
        api.post("/api/v1/photos", files=[("file", ("s.jpg", jpeg()))]).json()["items"][0]["id"]
        for _ in range(PAGE + 2)
    ]
    api.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": ids})
    api.patch(f"/api/v1/albums/{album_id}", json={"sort": "added_desc"})
    alice = browser(archive, "alice")
    album = parse(alice.get(f"/albums/{album_id}").text)
    assert album.find_all("a", href=f"/albums/{album_id}/cover")

    first = parse(alice.get(f"/albums/{album_id}/cover").text)
    offered = [e["value"] for e in first.find_all("input", name="cover_photo_id")]
    assert offered[0] == ""  # "Automatic"
    assert len(offered) == PAGE + 1 and str(ids[0]) not in offered
    more = first.find_all("a", class_="more")[0]["href"]
    assert more and more.startswith(f"/albums/{album_id}/cover?cursor=")
    # The next page: alone for htmx, the whole page without; the first photo added is there.
    rest = alice.get(more, headers={"HX-Request": "true"})
    assert rest.status_code == 200 and not parse(rest.text).find_all("header")
    offered_later = [e["value"] for e in parse(rest.text).find_all("input", name="cover_photo_id")]
    assert offered_later == [str(i) for i in ids[:2]][::-1]
    assert str(ids[0]) in alice.get(more).text

    chosen = form_post(alice, f"/albums/{album_id}/edit", {"cover_photo_id": str(ids[0])})
    assert chosen.status_code == 303, chosen.text
    album_now = api.get(f"/api/v1/albums/{album_id}").json()
    assert album_now["cover"].startswith(f"/media/{ids[0]}/")
    assert album_now["title"] == "Every summer" and album_now["sort"] == "added_desc"
    # Choosing the cover it has (marked "the cover now") is no error, on the page or the API.
    again = form_post(alice, f"/albums/{album_id}/edit", {"cover_photo_id": str(ids[0])})
    assert again.status_code == 303, again.text
    same = api.patch(f"/api/v1/albums/{album_id}", json={"cover_photo_id": ids[0]})
    assert same.status_code == 200, same.text
    assert same.json()["cover"] == album_now["cover"]
    automatic = form_post(alice, f"/albums/{album_id}/edit", {"cover_photo_id": ""})
    assert automatic.status_code == 303, automatic.text
    still = form_post(alice, f"/albums/{album_id}/edit", {"cover_photo_id": ""})
    assert still.status_code == 303, still.text
    nothing = api.patch(f"/api/v1/albums/{album_id}", json={})
    assert nothing.status_code == 422 and "Send at least one of" in nothing.text

    # The picker is the owner's: a member gets 403, anyone else 404.
    api.put(f"/api/v1/albums/{album_id}/members/bob", json={"role": "contributor"})
    assert browser(archive, "bob").get(f"/albums/{album_id}/cover").status_code == 403
    assert browser(archive, "carol").get(f"/albums/{album_id}/cover").status_code == 404


def test_an_album_made_from_a_photo_ends_on_the_photo_in_it(archive: LiveServer) -> None:
    api = api_login(archive, "alice")
    photo_id = api.post("/api/v1/photos", files=[("file", ("a.jpg", jpeg()))]).json()["items"][0][
        "id"
    ]
    alice = browser(archive, "alice")
    page = parse(alice.get(f"/photos/{photo_id}").text)
    carried = page.find_all("input", name="photo_id", type="hidden")
    assert [e["value"] for e in carried] == [str(photo_id)]

    made = form_post(alice, "/albums", {"title": "Picnic", "photo_id": str(photo_id)})
    assert made.status_code == 303, made.text
    where = made.headers["location"]
    album_id = int(where.split("/albums/")[1].split("?")[0])
    assert where == f"/albums/{album_id}?saved=album"  # the top, where the notice is
    assert "The album is made." in alice.get(where).text
    held = api.get(f"/api/v1/albums/{album_id}/photos").json()["items"]
    assert [p["id"] for p in held] == [photo_id]
    landed = parse(alice.get(where).text)
    assert landed.find_all("li", id=f"grid-{photo_id}")

    # Someone else's photo, or a bad title: refused, and no album is left behind.
    count = len(api.get("/api/v1/albums").json()["items"])
    bobs = browser(archive, "bob")
    theirs = form_post(bobs, "/albums", {"title": "Mine now", "photo_id": str(photo_id)})
    assert theirs.status_code == 422, theirs.text
    untitled = form_post(alice, "/albums", {"title": " ", "photo_id": str(photo_id)})
    assert untitled.status_code == 422
    bob_albums = api_login(archive, "bob").get("/api/v1/albums").json()["items"]
    assert bob_albums == [] and len(api.get("/api/v1/albums").json()["items"]) == count


def test_add_to_album_says_what_it_did_and_which_albums_hold_the_photo(
    archive: LiveServer,
) -> None:
    api = api_login(archive, "alice")
    photo_id = api.post("/api/v1/photos", files=[("file", ("a.jpg", jpeg()))]).json()["items"][0][
        "id"
    ]
    album_ids = [
        api.post("/api/v1/albums", json={"title": title}).json()["id"] for title in ("Beach", "Zoo")
    ]
    alice = browser(archive, "alice")

    def choices() -> str:
        """The options of the photo's "Add to album" list, as markup."""
        page = alice.get(f"/photos/{photo_id}").text
        return page.split(f'id="add-to-album-{photo_id}"')[1].split("</select>")[0]

    assert "(already in it)" not in choices()
    for expected in ("added", "already"):
        answer = form_post(alice, f"/photos/{photo_id}/albums", {"album_id": str(album_ids[0])})
        assert answer.status_code == 303, answer.text
        where = answer.headers["location"]
        assert where == f"/albums/{album_ids[0]}?saved={expected}"
        notice = {"added": "The photo is in the album now.", "already": "in this album already"}
        assert notice[expected] in alice.get(where).text
    listed = choices()
    assert f'<option value="{album_ids[0]}">Beach (already in it)</option>' in listed
    assert f'<option value="{album_ids[1]}">Zoo</option>' in listed


def test_handing_the_album_over_from_its_form_asks_on_a_page_without_script(
    archive: LiveServer,
) -> None:
    """The form asks (`ask=1`): the answer is a page with the question, whose form sends the
    same fields again, and nothing else, with `ask=0`; that one hands the album over."""
    api, album_id = an_album(archive)
    alice = browser(archive, "alice")
    url = f"/albums/{album_id}/members"
    fields = {"username": "bob", "role": "owner", "ask": "1", "extra": "<b>x</b>"}
    page = form_post(alice, url, fields)
    assert page.status_code == 200, page.text
    shown = parse(page.text)
    assert "Hand this album to bob?" in shown.text
    assert "and you become a contributor." in shown.text
    assert len([f for f in shown.find_all("form") if f.get("action") == url]) == 1
    sent = {i["name"]: i["value"] for i in shown.find_all("input", type="hidden") if i["name"]}
    assert {k: v for k, v in sent.items() if k != "_csrf_token"} == {
        "username": "bob",
        "role": "owner",
        "ask": "0",
    }
    assert members(api, album_id)["alice"] == "owner"  # asked, not done

    done = form_post(alice, url, {**sent, "ask": "0"})
    assert done.status_code == 303, done.text
    assert members(api, album_id)["bob"] == "owner"


def test_an_act_is_asked_only_of_someone_who_may_do_it(archive: LiveServer) -> None:
    """Without script, the question page came before the rights were checked: anyone was
    asked "Delete this album?" of any album id, "Remove bob?" of one they do not own, and
    "Delete this photo for good?" of another person's photo. Now they get the refusal."""
    api, album_id = an_album(archive)
    photo = api.post("/api/v1/photos", files=[("file", ("a.jpg", jpeg()))]).json()
    photo_id = photo["items"][0]["id"]
    assert api.delete(f"/api/v1/photos/{photo_id}").status_code == 204  # in alice's trash
    kept = api.post("/api/v1/photos", files=[("file", ("b.jpg", jpeg()))]).json()
    kept_id = kept["items"][0]["id"]
    bob, carol = browser(archive, "bob"), browser(archive, "carol")
    cases = [
        (bob, f"/albums/{album_id}/delete", 403),  # a member, not its owner
        (carol, f"/albums/{album_id}/delete", 404),  # not shared with her
        (carol, f"/albums/{album_id + 99}/delete", 404),
        (bob, f"/albums/{album_id}/members/alice/remove", 403),
        (carol, f"/albums/{album_id}/members/bob/remove", 404),
        (bob, f"/photos/{kept_id}/delete", 403),  # alice's photo: he sees it, not his
        (bob, f"/trash/{photo_id}/delete", 404),  # in alice's trash, not bob's
    ]
    for client, url, status in cases:
        answer = form_post(client, url, {"ask": "1"})
        assert answer.status_code == status, (url, answer.status_code)
        assert "?</h1>" not in answer.text, url
    # And the one who may is asked, with nothing done yet.
    alice = browser(archive, "alice")
    asked = form_post(alice, f"/albums/{album_id}/members/bob/remove", {"ask": "1"})
    assert asked.status_code == 200 and "Remove bob from this album?" in asked.text
    assert "bob" in members(api, album_id)
    left = form_post(browser(archive, "bob"), f"/albums/{album_id}/members/bob/remove", {})
    assert left.status_code == 303 and "bob" not in members(api, album_id)
