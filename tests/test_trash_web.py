"""The trash over HTTP: a deleted photo and its media are gone for everyone but its owner, who
finds it (with its thumbnail) only in their trash; restoring brings back its albums, comments,
likes and favorites; deleting for good removes the files unless another photo uses them;
uploading the same bytes again restores it; `trash_days` 0 deletes at once; the /trash page's
forms; the purge by the server and by `photoarchive purge`."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from photoarchive.settings import Settings
from tests.processes import run_cli
from tests.support import (
    LiveServer,
    api_login,
    browser,
    form_post,
    live_server,
    make_settings,
    parse,
    run_sql,
    sign_up,
    sqlite_only,
    upload,
    uploaded,
)
from tests.test_collections_web import CAMERAS, archive
from tests.test_private_photos import ids_in

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

__all__ = ["archive"]  # the fixture: admin, owner and other signed up on a public archive


def blob_files(settings: Settings) -> set[str]:
    return {
        str(p.relative_to(settings.blob_dir)) for p in settings.blob_dir.rglob("*") if p.is_file()
    }


def trash_ids(client: httpx.Client) -> list[int]:
    answer = client.get("/api/v1/trash")
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def test_a_trashed_photo_is_gone_for_everyone_and_restored_exactly_as_it_was(
    archive: LiveServer,
) -> None:
    owner, other = api_login(archive, "owner"), api_login(archive, "other")
    kept, gone = (uploaded(owner, path) for path in CAMERAS[:2])
    album = owner.post("/api/v1/albums", json={"title": "Trip"}).json()["id"]
    assert owner.post(f"/api/v1/albums/{album}/photos", json={"photo_ids": [gone]}).is_success
    link = owner.post("/api/v1/shares", json={"photo_ids": [kept, gone]})
    assert link.status_code == 201, link.text
    assert other.put(f"/api/v1/photos/{gone}/like").status_code == 200
    assert other.put(f"/api/v1/photos/{gone}/favorite").status_code == 200
    said = other.post(f"/api/v1/photos/{gone}/comments", json={"text": "Lovely"})
    assert said.status_code == 201, said.text
    before = owner.get(f"/api/v1/photos/{gone}").json()
    thumb = before["urls"]["thumbnail"]

    assert other.delete(f"/api/v1/photos/{gone}").status_code == 403
    assert owner.delete(f"/api/v1/photos/{gone}").status_code == 204

    # Nobody sees it anywhere, its owner included, but in the owner's trash.
    guest = archive.client()
    for who, api in {"owner": owner, "other": other, "guest": guest}.items():
        assert api.get(f"/api/v1/photos/{gone}").status_code == 404, who
        assert [p["id"] for p in api.get("/api/v1/photos").json()["items"]] == [kept], who
        assert api.get("/api/v1/users/owner").json()["counts"]["photos"] == 1, who
    for who, page in {
        "owner": browser(archive, "owner"),
        "other": browser(archive, "other"),
    }.items():
        assert ids_in(page.get("/").text, "photo-") == {kept}, who
        assert ids_in(page.get("/u/owner").text, "grid-") == {kept}, who
        assert page.get(f"/photos/{gone}").status_code == 404, who
        assert ids_in(page.get("/favorites").text, "grid-") == set(), who
    assert other.get(thumb).status_code == 404
    assert guest.get(thumb).status_code == 404
    assert owner.get(thumb).status_code == 200  # the trash page shows it
    assert owner.get(f"/api/v1/albums/{album}/photos").json()["items"] == []
    assert owner.get(f"/api/v1/albums/{album}").json()["photo_count"] == 0
    assert other.get("/api/v1/favorites").json()["items"] == []
    assert other.post(f"/api/v1/photos/{gone}/comments", json={"text": "?"}).status_code == 404
    shared = guest.get(httpx.URL(link.json()["url"]).path)
    assert shared.status_code == 200 and f"/media/{gone}/" not in shared.text
    assert f"/media/{kept}/" in shared.text
    assert owner.get("/api/v1/shares").json()["items"][0]["photo_count"] == 1

    listed = owner.get("/api/v1/trash").json()["items"]
    assert [item["id"] for item in listed] == [gone]
    assert listed[0]["purge_at"] > listed[0]["trashed_at"]
    assert trash_ids(other) == [] and trash_ids(api_login(archive, "admin")) == []
    assert guest.get("/api/v1/trash").status_code == 401

    # Somebody else cannot restore it; its owner can, and it is back as it was.
    assert other.post("/api/v1/trash/restore", json={"photo_ids": [gone]}).json() == {
        "restored": []
    }
    back = owner.post("/api/v1/trash/restore", json={"photo_ids": [gone, kept, gone]})
    assert back.status_code == 200 and back.json() == {"restored": [gone]}
    after = owner.get(f"/api/v1/photos/{gone}").json()
    for field in ("like_count", "comment_count", "caption", "urls", "visibility", "sha256"):
        assert after[field] == before[field], field
    assert other.get(f"/api/v1/photos/{gone}").json()["favorite"] is True
    assert [p["id"] for p in owner.get(f"/api/v1/albums/{album}/photos").json()["items"]] == [gone]
    assert other.get(thumb).status_code == 200
    assert trash_ids(owner) == []


def delete_question(client: httpx.Client, photo_id: int) -> str:
    """What the photo's page asks before its Delete button moves it to the trash."""
    page = parse(client.get(f"/photos/{photo_id}").text)
    (form,) = page.find_all("form", action=f"/photos/{photo_id}/delete")
    return str(form["data-confirm"])


def test_an_administrator_deletes_into_the_owners_trash(archive: LiveServer) -> None:
    owner, admin = api_login(archive, "owner"), api_login(archive, "admin")
    photo = uploaded(owner, CAMERAS[0])
    # The page asks each of them about the trash the photo goes to: the owner's own.
    days = archive.settings.trash_days
    asked = {name: delete_question(browser(archive, name), photo) for name in ("owner", "admin")}
    assert asked == {
        "owner": f"Move this photo to your trash? It can be restored for {days} days.",
        "admin": f"Move this photo to owner's trash? It can be restored for {days} days.",
    }
    assert admin.delete(f"/api/v1/photos/{photo}").status_code == 204
    assert trash_ids(admin) == [] and trash_ids(owner) == [photo]
    assert admin.delete(f"/api/v1/trash/{photo}").status_code == 404
    assert admin.post("/api/v1/trash/restore", json={"photo_ids": [photo]}).json()["restored"] == []
    assert owner.post("/api/v1/trash/restore", json={"photo_ids": [photo]}).json()["restored"] == [
        photo
    ]


def test_deleting_for_good_frees_storage_unless_another_photo_uses_the_bytes(
    archive: LiveServer,
) -> None:
    owner, other = api_login(archive, "owner"), api_login(archive, "other")
    settings = archive.settings
    empty = blob_files(settings)
    shared_bytes, own_bytes, third = CAMERAS[:3]
    mine = uploaded(owner, shared_bytes)
    theirs = uploaded(other, shared_bytes)
    solo = uploaded(owner, own_bytes)
    last = uploaded(owner, third)
    with_all = blob_files(settings)
    for photo_id in (mine, solo, last):
        assert owner.delete(f"/api/v1/photos/{photo_id}").status_code == 204
    assert blob_files(settings) == with_all  # nothing leaves storage while in the trash

    assert other.delete(f"/api/v1/trash/{solo}").status_code == 404
    assert owner.delete(f"/api/v1/trash/{solo}").status_code == 204
    assert owner.delete(f"/api/v1/trash/{solo}").status_code == 404
    after_solo = blob_files(settings)
    assert after_solo < with_all
    emptied = owner.post("/api/v1/trash/empty")
    assert emptied.status_code == 200 and emptied.json() == {"purged": 2}
    assert trash_ids(owner) == []
    # The bytes another photo still uses stay; the last photo's files are gone.
    left = blob_files(settings)
    assert left < after_solo and left > empty
    assert other.get(f"/api/v1/photos/{theirs}").status_code == 200
    assert other.get(other.get(f"/api/v1/photos/{theirs}").json()["urls"]["original"]).content == (
        shared_bytes.read_bytes()
    )
    assert owner.post("/api/v1/trash/restore", json={"photo_ids": [mine]}).json()["restored"] == []


def test_uploading_bytes_that_wait_in_the_trash_restores_that_photo(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    first = upload(owner, CAMERAS[0], caption="First").json()["items"][0]
    assert owner.delete(f"/api/v1/photos/{first['id']}").status_code == 204
    again = upload(owner, CAMERAS[0], caption="Another")
    assert again.status_code == 200, again.text
    item = again.json()["items"][0]
    assert item["id"] == first["id"] and item["duplicate"] is True
    assert item["caption"] == "First"
    assert trash_ids(owner) == []
    assert owner.get(f"/api/v1/photos/{first['id']}").status_code == 200


def test_with_no_trash_days_a_delete_is_for_good_at_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", registration="open", trash_days=0)
    with live_server(settings) as server:
        sign_up(server, "owner")
        owner = api_login(server, "owner")
        empty = blob_files(settings)
        photo = uploaded(owner, CAMERAS[0])
        assert owner.delete(f"/api/v1/photos/{photo}").status_code == 204
        assert trash_ids(owner) == []
        assert blob_files(settings) == empty
        page = browser(server, "owner").get("/trash").text
        assert "goes for good" not in page


def test_the_trash_page_restores_deletes_and_empties(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    ids = [uploaded(owner, path) for path in CAMERAS[:3]]
    page = browser(archive, "owner")
    deleted = form_post(page, f"/photos/{ids[0]}/delete", {})
    assert deleted.status_code == 303
    for photo_id in ids[1:]:
        assert owner.delete(f"/api/v1/photos/{photo_id}").status_code == 204
    shown = page.get("/trash")
    assert shown.status_code == 200
    assert ids_in(shown.text, "trash-") == set(ids)
    assert "Goes for good" in shown.text and "Empty trash" in shown.text
    assert ids_in(browser(archive, "other").get("/trash").text, "trash-") == set()
    assert archive.client().get("/trash", follow_redirects=False).status_code == 303

    restored = form_post(page, f"/trash/{ids[0]}/restore", {})
    back = f"/trash?notice=restored&photo={ids[0]}"
    assert restored.status_code == 303 and restored.headers["location"] == back
    told = page.get(back).text
    # The notice links to the photo, back where it was.
    assert "Restored." in told
    (link,) = parse(told).find_all("a", id="restored-photo")
    assert link["href"] == f"/photos/{ids[0]}" and page.get(link["href"]).status_code == 200
    # Only after a restore, and for an id: anything else in the address shows no link.
    assert 'id="restored-photo"' not in page.get(f"/trash?notice=deleted&photo={ids[0]}").text
    for odd in ("0", "abc", "-1", "1e3", "9" * 30):
        shown = page.get(f"/trash?notice=restored&photo={odd}")
        assert shown.status_code == 200 and 'id="restored-photo"' not in shown.text, odd
    assert ids_in(page.get("/u/owner").text, "grid-") == {ids[0]}
    assert form_post(browser(archive, "other"), f"/trash/{ids[1]}/delete", {}).status_code == 404
    assert form_post(page, f"/trash/{ids[1]}/delete", {}).status_code == 303
    assert form_post(page, "/trash/empty", {}).status_code == 303
    assert "The trash is empty." in page.get("/trash").text
    assert trash_ids(owner) == []


def test_expired_trash_is_purged_by_the_command_and_by_the_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = make_settings(data, registration="open", trash_days=1)
    with live_server(settings) as server:
        sign_up(server, "owner")
        owner = api_login(server, "owner")
        old, new = (uploaded(owner, path) for path in CAMERAS[:2])
        for photo_id in (old, new):
            assert owner.delete(f"/api/v1/photos/{photo_id}").status_code == 204
    # One of the two deleted two days ago (written as the server would have).

    run_sql(
        settings,
        "UPDATE trashed_photos SET trashed_at = '2000-01-01T00:00:00.000000Z' WHERE photo_id = ?",
        (old,),
    )
    ran = run_cli(
        data, "purge", PHOTOARCHIVE_TRASH_DAYS="1", PHOTOARCHIVE_DATABASE_URL=settings.database_url
    )
    assert ran.returncode == 0, ran.stderr
    assert "1 photos" in ran.stdout
    left = [row[0] for row in run_sql(settings, "SELECT photo_id FROM trashed_photos")]
    assert left == [new]
    run_sql(settings, "UPDATE trashed_photos SET trashed_at = '2000-01-01T00:00:00.000000Z'")
    # The server purges at start.
    with live_server(settings) as server:
        owner = api_login(server, "owner")
        deadline = time.monotonic() + 60  # the purge runs in the background after start
        while trash_ids(owner) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert trash_ids(owner) == []
        assert owner.post("/api/v1/trash/restore", json={"photo_ids": [new]}).json() == {
            "restored": []
        }


@sqlite_only  # verify and backup work on a SQLite archive only, for now
def test_verify_and_backup_count_the_trash_as_part_of_the_archive(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = make_settings(data, registration="open")
    with live_server(settings) as server:
        sign_up(server, "owner")
        owner = api_login(server, "owner")
        kept, trashed = (uploaded(owner, path) for path in CAMERAS[:2])
        assert owner.delete(f"/api/v1/photos/{trashed}").status_code == 204
        digest = owner.get("/api/v1/trash").json()["items"][0]["sha256"]
    stored = blob_files(settings)
    assert len([key for key in stored if digest in key]) == 3  # original and two renditions
    # A trashed photo's files are not leftovers: verify finds nothing wrong, even repairing.
    for args in (("verify", "--checksums"), ("verify", "--repair", "--grace", "0")):
        checked = run_cli(data, *args)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    assert blob_files(settings) == stored
    # The backup keeps the trash: restored, the photo is still in it, and can come back.
    backup, restored = tmp_path / "backup", tmp_path / "restored"
    made = run_cli(data, "backup", str(backup))
    assert made.returncode == 0, made.stderr
    back = run_cli(restored, "restore", str(backup))
    assert back.returncode == 0, back.stderr
    with live_server(make_settings(restored, registration="open")) as server:
        owner = api_login(server, "owner")
        assert trash_ids(owner) == [trashed]
        assert [p["id"] for p in owner.get("/api/v1/photos").json()["items"]] == [kept]
        assert owner.post("/api/v1/trash/restore", json={"photo_ids": [trashed]}).is_success
        photo = owner.get(f"/api/v1/photos/{trashed}").json()
        assert owner.get(photo["urls"]["original"]).content == CAMERAS[1].read_bytes()


def test_a_private_upload_of_bytes_in_the_trash_brings_the_photo_back_private(
    archive: LiveServer,
) -> None:
    owner, other = api_login(archive, "owner"), api_login(archive, "other")
    photo = uploaded(owner, CAMERAS[0])
    assert owner.delete(f"/api/v1/photos/{photo}").status_code == 204
    again = owner.post(
        "/api/v1/photos",
        files=[("file", (CAMERAS[0].name, CAMERAS[0].read_bytes()))],
        data={"visibility": "private"},
    )
    assert again.status_code == 200, again.text
    item = again.json()["items"][0]
    assert item["id"] == photo and item["duplicate"] is True and item["visibility"] == "private"
    # Back for its owner, and no longer a family photo: nobody else sees it.
    assert owner.get(f"/api/v1/photos/{photo}").json()["visibility"] == "private"
    assert other.get(f"/api/v1/photos/{photo}").status_code == 404
    assert photo not in [p["id"] for p in other.get("/api/v1/photos").json()["items"]]


def test_a_delete_says_so_where_it_lands_with_an_undo_that_needs_no_script(
    archive: LiveServer,
) -> None:
    page = browser(archive, "owner")
    photo = uploaded(api_login(archive, "owner"), CAMERAS[0])

    def notice(html: str) -> tuple[str, list[str]]:
        found = parse(html)
        forms = [str(f["action"]) for f in found.find_all("form") if "restore" in str(f["action"])]
        return ("Moved to the trash." if "Moved to the trash." in found.text else ""), forms

    # A plain form: to one's profile, which says so, with Undo and the trash.
    deleted = form_post(page, f"/photos/{photo}/delete")
    assert deleted.status_code == 303
    assert deleted.headers["location"] == f"/u/owner?trashed={photo}"
    landed = page.get(deleted.headers["location"]).text
    assert notice(landed) == ("Moved to the trash.", [f"/trash/{photo}/restore"])
    assert "/trash" in {a.get("href") for a in parse(landed).find_all("a")}
    # Undo (the notice's form, with its token and `next`) brings it back, to the photo.
    fields = {
        str(i["name"]): str(i["value"])
        for i in parse(landed).find_all("input")
        if i.get("type") == "hidden" and i.get("name") in ("next",)
    }
    undone = form_post(page, f"/trash/{photo}/restore", fields)
    assert undone.status_code == 303 and undone.headers["location"] == f"/photos/{photo}"
    assert page.get(f"/photos/{photo}").status_code == 200
    # From a list with htmx: back to that list, which says so too.
    again = form_post(
        page, f"/photos/{photo}/delete", {"next": "/?cursor=x"}, headers={"HX-Request": "true"}
    )
    assert again.headers["hx-redirect"] == f"/?cursor=x&trashed={photo}"
    assert notice(page.get(f"/?trashed={photo}").text)[0] == "Moved to the trash."
    # Signed out, there is nothing to undo.
    assert notice(archive.client().get(f"/?trashed={photo}").text)[0] == ""


def test_ids_no_photo_can_have_are_refused_by_name_not_a_500(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    for ids in ([2**63], [2**64], [0], [-1]):
        answer = owner.post("/api/v1/trash/restore", json={"photo_ids": ids})
        assert answer.status_code == 422, (ids, answer.text)
        assert answer.json() == {
            "status": 422,
            "detail": "Photo ids are positive whole numbers.",
            "field": "photo_ids",
        }
