"""Private photos over HTTP: once the owner makes a photo private, every route answers 404 to
anyone else (another member, an administrator, a guest of a public archive), lists and counts
leave it out, and its owner still sees all of it. Setting it: PATCH, the upload field, the
person's default on /settings, and `photoarchive import --visibility`."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoarchive.library import access
from photoarchive.web import events
from tests.support import (
    PHOTOS,
    LiveServer,
    api_login,
    archive_of,
    browser,
    csrf,
    form_post,
    parse,
    upload,
    uploaded,
)
from tests.test_import import env as env
from tests.test_import import rows, run_import

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("admin", "owner", "other"), public_view=True) as server:
        yield server


def ids_in(html: str, prefix: str) -> set[int]:
    found = set()
    for tag in ("article", "li"):
        for element in parse(html).find_all(tag):
            value = element.get("id") or ""
            if value.startswith(prefix) and value[len(prefix) :].isdigit():
                found.add(int(value[len(prefix) :]))
    return found


def test_a_private_photo_is_not_there_for_anyone_but_its_owner(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    other_api = api_login(archive, "other")
    older, middle, newer = (uploaded(owner, path) for path in CAMERAS[:3])
    assert other_api.put(f"/api/v1/photos/{middle}/like").status_code == 200
    made = owner.patch(f"/api/v1/photos/{middle}", json={"visibility": "private"})
    assert made.status_code == 200 and made.json()["visibility"] == "private"

    guest = archive.client()
    readers = {
        "other": (other_api, browser(archive, "other")),
        "admin": (api_login(archive, "admin"), browser(archive, "admin")),
        "guest": (guest, guest),
    }
    for who, (api, page) in readers.items():
        for url in (
            f"/photos/{middle}",
            f"/photos/{middle}/comments",
            f"/api/v1/photos/{middle}",
            f"/api/v1/photos/{middle}/comments",
            f"/media/{middle}/thumbnail",
            f"/media/{middle}/preview",
            f"/media/{middle}/original",
        ):
            client = api if url.startswith("/api/") else page
            assert client.get(url).status_code == 404, (who, url)
        if who != "guest":
            assert api.patch(f"/api/v1/photos/{middle}", json={"caption": "x"}).status_code == 404
            assert api.put(f"/api/v1/photos/{middle}/like").status_code == 404
            assert (
                api.post(f"/api/v1/photos/{middle}/comments", json={"text": "hi"}).status_code
                == 404
            )
            assert api.delete(f"/api/v1/photos/{middle}").status_code == 404
            posted = form_post(page, f"/photos/{middle}/comments", {"text": "hi"})
            assert posted.status_code == 404, who
        # Lists and counts leave it out; previous/next step over it.
        assert middle not in ids_in(page.get("/").text, "photo-"), who
        listed = [p["id"] for p in api.get("/api/v1/photos").json()["items"]]
        assert listed == [newer, older], who
        assert api.get("/api/v1/users/owner").json()["counts"]["photos"] == 2, who
        profile = page.get("/u/owner").text
        assert ids_in(profile, "grid-") == {older, newer}, who
        assert parse(profile).find_all("strong", **{"data-count": "photos"})
        for from_list in ("feed", "user:owner"):
            shown = page.get(f"/photos/{newer}?from={from_list}").text
            (step,) = parse(shown).find_all("a", rel="next")
            assert step["href"] == f"/photos/{older}?from={from_list}", (who, from_list)

    # The owner sees all of it, marked private, on their profile (the feed is the family's).
    mine = browser(archive, "owner")
    page = mine.get(f"/photos/{middle}")
    assert page.status_code == 200
    assert parse(page.text).find_all("span", role="img", **{"aria-label": "Private"})
    assert ids_in(mine.get("/u/owner").text, "grid-") == {older, middle, newer}
    assert middle not in ids_in(mine.get("/").text, "photo-")
    assert owner.get("/api/v1/users/owner").json()["counts"] == {
        "photos": 3,
        "likes": 1,
        "comments": 0,
    }
    assert mine.get(f"/media/{middle}/original").status_code == 200
    # The like that came while it was family still tells its owner.
    notices = owner.get("/api/v1/notifications").json()
    assert [n["photo_id"] for n in notices["items"]] == [middle]

    # Family again: everyone sees it from the next request on (nothing cached the refusal).
    switched = form_post(mine, f"/photos/{middle}/visibility", {"visibility": "family"})
    assert switched.status_code == 303
    assert other_api.get(f"/api/v1/photos/{middle}").json()["visibility"] == "family"
    assert guest.get(f"/media/{middle}/thumbnail").status_code == 200


def saved_notice(text: str, photo_id: int) -> str | None:
    """What the photo page says beside its visibility form, if anything."""
    found = re.search(rf'id="visibility-saved-{photo_id}">([^<]*)<', text)
    return None if found is None else html.unescape(found[1])


def test_choosing_who_sees_a_photo_lands_on_its_form_saying_it_is_saved(
    archive: LiveServer,
) -> None:
    owner = api_login(archive, "owner")
    older, newer = (upload(owner, path).json()["items"][0]["id"] for path in CAMERAS[:2])
    page = browser(archive, "owner")
    # Posted from the photo opened from the owner's profile: back there, its list kept.
    opened = f"{archive.url}/photos/{newer}?from=user:owner"
    made = form_post(
        page, f"/photos/{newer}/visibility", {"visibility": "private"}, headers={"Referer": opened}
    )
    assert made.status_code == 303
    assert made.headers["location"] == (
        f"/photos/{newer}?from=user:owner&saved=visibility#visibility-{newer}"
    )
    shown = page.get(made.headers["location"]).text
    assert parse(shown).find_all("form", id=f"visibility-{newer}")
    assert saved_notice(shown, newer) == "Saved: it is private."
    (step,) = parse(shown).find_all("a", rel="next")
    assert step["href"] == f"/photos/{older}?from=user:owner"
    # From anywhere else (no Referer, another page): the photo's own page.
    back = form_post(page, f"/photos/{newer}/visibility", {"visibility": "family"})
    assert back.headers["location"] == f"/photos/{newer}?saved=visibility#visibility-{newer}"
    shown = page.get(back.headers["location"]).text
    assert saved_notice(shown, newer) == "Saved: the family sees it."
    # Said once: the page without `saved`, and anyone else's view of the photo, say nothing.
    assert saved_notice(page.get(f"/photos/{newer}").text, newer) is None
    seen = browser(archive, "other").get(f"/photos/{newer}?saved=visibility")
    assert seen.status_code == 200 and "visibility-saved" not in seen.text


def test_patch_takes_caption_and_visibility_from_the_owner_only(archive: LiveServer) -> None:
    owner, other = api_login(archive, "owner"), api_login(archive, "other")
    photo = upload(owner, CAMERAS[0]).json()["items"][0]
    assert photo["visibility"] == "family"
    url = f"/api/v1/photos/{photo['id']}"
    assert owner.patch(url, json={"visibility": "secret"}).status_code == 422
    assert owner.patch(url, json={}).status_code == 422
    both = owner.patch(url, json={"visibility": "private", "caption": "mine"}).json()
    assert (both["visibility"], both["caption"]) == ("private", "mine")
    assert other.patch(url, json={"visibility": "family"}).status_code == 404
    assert owner.patch(url, json={"caption": "still mine"}).json()["visibility"] == "private"
    made_family = owner.patch(url, json={"visibility": "family"}).json()
    assert made_family["visibility"] == "family"
    assert other.patch(url, json={"visibility": "private"}).status_code == 403


def test_uploads_follow_the_field_else_the_persons_setting(archive: LiveServer) -> None:
    page = browser(archive, "owner")
    settings = parse(page.get("/settings").text)
    (chosen,) = [i for i in settings.find_all("input", name="visibility") if "checked" in i]
    assert chosen["value"] == "family"
    assert form_post(page, "/settings/visibility", {"visibility": "private"}).status_code == 303
    form = parse(page.get("/upload").text)
    (chosen,) = [i for i in form.find_all("input", name="visibility") if "checked" in i]
    assert chosen["value"] == "private"
    assert form_post(page, "/settings/visibility", {"visibility": "x"}).status_code == 422

    owner = api_login(archive, "owner")
    by_default = upload(owner, CAMERAS[0]).json()["items"][0]
    assert by_default["visibility"] == "private"
    sent = owner.post(
        "/api/v1/photos",
        files=[("file", (CAMERAS[1].name, CAMERAS[1].read_bytes()))],
        data={"visibility": "family"},
    )
    assert sent.json()["items"][0]["visibility"] == "family"
    refused = owner.post(
        "/api/v1/photos",
        files=[("file", (CAMERAS[2].name, CAMERAS[2].read_bytes()))],
        data={"visibility": "everyone"},
    )
    assert refused.status_code == 422 and refused.json()["field"] == "visibility"
    # The page's form (no script) sends its choice the same way.
    form_page = page.post(
        "/upload",
        files=[("file", (CAMERAS[3].name, CAMERAS[3].read_bytes()))],
        data={"visibility": "family", "_csrf_token": csrf(page)},
    )
    assert form_page.status_code == 201
    with archive.db() as conn:
        private = conn.execute("SELECT COUNT(*) FROM private_photos").fetchone()[0]
    assert private == 1


def test_the_upload_page_offers_again_what_was_sent(archive: LiveServer) -> None:
    page = browser(archive, "owner")

    def sent(files: list[tuple[str, bytes]], caption: str) -> tuple[str, str]:
        answer = page.post(
            "/upload",
            files=[("file", (name, data)) for name, data in files],
            data={"visibility": "private", "caption": caption, "_csrf_token": csrf(page)},
        )
        form = parse(answer.text)
        (chosen,) = [i for i in form.find_all("input", name="visibility") if "checked" in i]
        assert "<day>" not in answer.text  # written back escaped
        (caption,) = re.findall(r'<textarea id="caption"[^>]*>([^<]*)</textarea>', answer.text)
        return str(chosen["value"]), html.unescape(caption)

    # Every file refused: the choice and the caption are there to send again.
    assert sent([("notes.jpg", b"not a photo")], "Beach <day>") == ("private", "Beach <day>")
    # A file kept: the visibility stays for the next batch; the caption went with the photo.
    assert sent([(CAMERAS[0].name, CAMERAS[0].read_bytes())], "Beach") == ("private", "")


def test_a_private_batch_has_no_page_for_others(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    files = [("file", (p.name, p.read_bytes())) for p in CAMERAS[:2]]
    assert owner.post("/api/v1/photos", files=files, data={"visibility": "private"}).is_success
    with archive.db() as conn:
        batch = conn.execute("SELECT MAX(id) FROM photo_batches").fetchone()[0]
    assert browser(archive, "other").get(f"/batches/{batch}").status_code == 404
    assert browser(archive, "admin").get(f"/batches/{batch}").status_code == 404
    assert browser(archive, "owner").get(f"/batches/{batch}").status_code == 200
    assert batch not in ids_in(browser(archive, "other").get("/").text, "batch-")


def test_live_events_about_a_private_photo_reach_only_those_who_may_see_it() -> None:
    from photoarchive.accounts.users import User

    def user(user_id: int, admin: bool = False) -> User:
        return User(user_id, f"u{user_id}", "", "", admin, False, "")

    private = access.Audience(7, owner_id=1, private=True, album_members=frozenset({3}))
    family = access.Audience(8, owner_id=1, private=False, album_members=frozenset())
    data = {"id": 7, "like_count": 1}
    for viewer, public_view, sees_private, sees_family in (
        (user(1), False, True, True),  # the owner
        (user(2), False, False, True),  # another member
        (user(3), False, True, True),  # a member of an album holding it
        (user(4, admin=True), False, False, True),
        (None, True, False, True),  # a guest of a public archive
        (None, False, False, False),
    ):
        assert events.may_see(viewer, public_view, "like", data, private) is sees_private
        assert events.may_see(viewer, public_view, "like", data, family) is sees_family
        # An event about a photo whose audience is unknown goes to nobody.
        assert not events.may_see(viewer, public_view, "like", data, None)


def test_import_is_private_unless_told_otherwise(tmp_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "roll"
    folder.mkdir()
    for path in CAMERAS[:2]:
        (folder / path.name).write_bytes(path.read_bytes())
    assert run_import(env, folder / CAMERAS[0].name, "--user", "alice").returncode == 0
    assert rows(env, "SELECT COUNT(*) FROM private_photos") == [(1,)]
    told = run_import(env, folder / CAMERAS[1].name, "--user", "alice", "--visibility", "family")
    assert told.returncode == 0, told.stderr
    assert rows(env, "SELECT COUNT(*) FROM photos") == [(2,)]
    assert rows(env, "SELECT COUNT(*) FROM private_photos") == [(1,)]


def test_the_openapi_document_promises_the_visibility_of_every_photo(archive: LiveServer) -> None:
    doc = archive.client().get("/schema/openapi.json").json()
    photo = doc["components"]["schemas"]["PhotoOut"]
    assert "visibility" in photo["required"]
    assert photo["properties"]["visibility"]["enum"] == ["family", "private"]
    patch = doc["paths"]["/api/v1/photos/{photo_id}"]["patch"]["requestBody"]["content"]
    body = patch["application/json"]["schema"]
    while "$ref" in body:
        body = doc["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert {"caption", "visibility"} <= set(body["properties"])


def test_a_comment_on_a_photo_one_may_not_see_is_not_there_either(archive: LiveServer) -> None:
    """Deleting it answers exactly as for a comment that never was: the answer must not tell
    that the hidden photo exists, or that someone wrote on it."""
    owner, other = api_login(archive, "owner"), api_login(archive, "other")
    photo = uploaded(owner, CAMERAS[0])
    hidden = owner.post(f"/api/v1/photos/{photo}/comments", json={"text": "only mine"}).json()
    assert owner.patch(f"/api/v1/photos/{photo}", json={"visibility": "private"}).is_success
    never = other.delete(f"/api/v1/comments/{hidden['id'] + 1000}")
    answer = other.delete(f"/api/v1/comments/{hidden['id']}")
    assert answer.status_code == never.status_code == 404
    assert answer.json() == never.json()
    page = browser(archive, "other")
    refused = form_post(page, f"/comments/{hidden['id']}/delete")
    unknown = form_post(page, f"/comments/{hidden['id'] + 1000}/delete")
    assert refused.status_code == unknown.status_code == 404
    assert parse(refused.text).text == parse(unknown.text).text
    assert owner.get(f"/api/v1/photos/{photo}/comments").json()["items"][0]["id"] == hidden["id"]
