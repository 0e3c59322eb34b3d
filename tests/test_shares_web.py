"""Share links over HTTP, through a real server, the holder always a guest with no session:
every URL under a link for a valid, expired (410), revoked and unknown (404) link, media
included; the password flow; downloads; what a photo through a link shows and hides."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import (
    PASSWORD,
    PHOTOS,
    FrozenClock,
    LiveServer,
    api_login,
    archive_of,
    browser,
    csrf,
    form_post,
    parse,
    run_sql,
    uploaded,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

GPS = PHOTOS / "gps" / "DSCN0010.jpg"
CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
SECRET = "a family secret"


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[LiveServer]:
    with archive_of(tmp_path / "data", ("admin", "owner", "other"), login_max_failures=3) as server:
        yield server


def share(client: httpx.Client, **body: object) -> dict[str, object]:
    made = client.post("/api/v1/shares", json=body)
    assert made.status_code == 201, made.text
    return made.json()


def urls_under(token: str, photo_id: int) -> list[str]:
    return [
        f"/s/{token}",
        f"/api/v1/s/{token}",
        f"/s/{token}/media/{photo_id}/thumbnail",
        f"/s/{token}/media/{photo_id}/preview",
        f"/s/{token}/media/{photo_id}/original",
        f"/s/{token}/download",
    ]


def test_a_link_shows_its_photos_to_a_guest_and_dies_when_revoked(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    photo_id = uploaded(owner, GPS, caption="Grandma's garden")
    other_id = uploaded(owner, CAMERAS[0])
    made = share(owner, photo_ids=[photo_id], allow_download=True)
    token = str(made["token"])
    assert len(token) >= 22 and made["url"] == f"http://localhost:8000/s/{token}"
    assert made["kind"] == "photos" and made["photo_count"] == 1 and not made["has_password"]

    guest = archive.client()
    digest = hashlib.sha256(GPS.read_bytes()).hexdigest()
    for url in urls_under(token, photo_id):
        response = guest.get(url)
        assert response.status_code == 200, (url, response.text[:200])
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "noindex" in response.headers["x-robots-tag"]
        if "/media/" in url:
            assert response.headers["cache-control"] == "private, no-cache"
            assert digest not in response.headers["etag"]
    page = guest.get(f"/api/v1/s/{token}").json()
    (item,) = page["items"]
    assert item["urls"]["thumbnail"] == f"/s/{token}/media/{photo_id}/thumbnail"
    for hidden in ("location", "sha256", "owner", "comment_count", "like_count", "exif"):
        assert hidden not in item
    # A photo not in the link is not there, nor is a file name it has no file by.
    assert guest.get(f"/s/{token}/media/{other_id}/thumbnail").status_code == 404
    assert guest.get(f"/s/{token}/media/{photo_id}/secret").status_code == 404
    # The owner's own media URL stays closed to the guest.
    assert guest.get(f"/media/{photo_id}/thumbnail").status_code == 401

    # An ETag answered once: revalidation after revocation is a 404, not a 304.
    etag = guest.get(f"/s/{token}/media/{photo_id}/preview").headers["etag"]
    assert owner.delete(f"/api/v1/shares/{made['id']}").status_code == 204
    for url in urls_under(token, photo_id):
        response = guest.get(url, headers={"if-none-match": etag})
        assert response.status_code == 404, url
        assert response.headers["referrer-policy"] == "no-referrer"
    assert owner.get("/api/v1/shares").json()["items"] == []
    unknown = "A" * 32
    for url in urls_under(unknown, photo_id):
        assert guest.get(url).status_code == 404, url


def test_an_expired_link_is_gone_everywhere(archive: LiveServer, frozen_clock: FrozenClock) -> None:
    owner = api_login(archive, "owner")
    photo_id = uploaded(owner, CAMERAS[0])
    soon = frozen_clock.moment + 3600
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(soon, UTC).isoformat()
    made = share(owner, photo_ids=[photo_id], expires_at=when, allow_download=True)
    guest = archive.client()
    assert guest.get(f"/s/{made['token']}").status_code == 200
    owner_page = browser(archive, "owner")
    listed = parse(owner_page.get("/settings").text)
    assert len(listed.find_all("input", class_="share-url")) == 1
    assert "expired" not in listed.text
    frozen_clock.advance(3601)
    for url in urls_under(str(made["token"]), photo_id):
        assert guest.get(url).status_code == 410, url
    # Its owner sees it as expired, with nothing to copy, and can still turn it off.
    listed = parse(owner_page.get("/settings").text)
    assert not listed.find_all("input", class_="share-url")
    assert "This link has expired: it opens nothing now." in listed.text
    assert listed.find_all("form", action=f"/shares/{made['id']}/revoke")
    past = owner.post("/api/v1/shares", json={"photo_ids": [photo_id], "expires_at": when})
    assert past.status_code == 422 and past.json()["field"] == "expires_at"


def test_the_password_flow(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    photo_id = uploaded(owner, CAMERAS[1])
    made = share(owner, photo_ids=[photo_id], password=SECRET)
    token, path = str(made["token"]), f"/s/{made['token']}"
    assert made["has_password"]
    guest = archive.client()
    form = guest.get(path)
    assert form.status_code == 200
    (action,) = [f["action"] for f in parse(form.text).find_all("form")]
    assert action == f"{path}/unlock" and SECRET not in form.text
    # Nothing of what it shares before the password: not even its title.
    assert "Photos from" not in form.text  # the title of a link to chosen photos
    assert "A protected link" in parse(form.text).text
    for url in urls_under(token, photo_id)[1:]:
        assert guest.get(url).status_code in (401, 403), url  # the original: no downloads
    assert guest.get(f"/api/v1/s/{token}").status_code == 401
    api = guest.get(f"/api/v1/s/{token}", headers={"X-Share-Password": SECRET})
    assert api.status_code == 200 and api.json()["items"][0]["id"] == photo_id

    wrong = guest.post(f"{path}/unlock", data={"password": "not it", "_csrf_token": csrf(guest)})
    assert wrong.status_code == 401 and guest.cookies.get("share_unlock") is None
    right = guest.post(f"{path}/unlock", data={"password": SECRET, "_csrf_token": csrf(guest)})
    assert right.status_code == 303 and right.headers["location"] == path
    cookie = right.headers["set-cookie"]
    assert f"Path={path}" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # the archive's public URL is http here
    assert SECRET not in right.headers["location"]
    opened = guest.get(path)
    assert opened.status_code == 200 and parse(opened.text).find_all("ul", id="share-grid")
    assert guest.get(f"{path}/media/{photo_id}/thumbnail").status_code == 200

    # A new password locks out every cookie of the old one; removing it opens the link.
    assert owner.patch(f"/api/v1/shares/{made['id']}", json={"password": "another one"}).json()[
        "has_password"
    ]
    assert guest.get(f"{path}/media/{photo_id}/thumbnail").status_code == 401
    assert parse(guest.get(path).text).find_all("form", id="unlock-form")
    assert not owner.patch(f"/api/v1/shares/{made['id']}", json={"password": None}).json()[
        "has_password"
    ]
    assert archive.client().get(f"{path}/media/{photo_id}/thumbnail").status_code == 200


def test_wrong_passwords_are_throttled(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    photo_id = uploaded(owner, CAMERAS[1])
    path = f"/s/{share(owner, photo_ids=[photo_id], password=SECRET)['token']}"
    guest = archive.client()
    statuses = [
        guest.post(
            f"{path}/unlock", data={"password": "guess", "_csrf_token": csrf(guest)}
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    late = guest.post(f"{path}/unlock", data={"password": SECRET, "_csrf_token": csrf(guest)})
    assert late.status_code == 429 and int(late.headers["retry-after"]) > 0
    assert "Too many wrong passwords for this link." in parse(late.text).text


def test_a_links_guesses_do_not_lock_out_the_family_or_other_links(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    photo_id = uploaded(owner, CAMERAS[1])
    guessed = f"/s/{share(owner, photo_ids=[photo_id], password=SECRET)['token']}/unlock"
    other = f"/s/{share(owner, photo_ids=[photo_id], password=SECRET)['token']}/unlock"
    outsider = archive.client()  # behind the family's address (127.0.0.1), with only a link
    for _ in range(4):
        form_post(outsider, guessed, {"password": "guess"})
    assert form_post(outsider, guessed, {"password": SECRET}).status_code == 429
    api_login(archive, "other")  # members still sign in ...
    member = archive.client()
    assert form_post(member, "/login", {"login": "admin", "password": PASSWORD}).status_code == 303
    new = {"new_password": "new-password", "new_password_again": "new-password"}
    changed = form_post(member, "/settings/password", {"current_password": PASSWORD, **new})
    assert changed.status_code == 303  # ... and change their password
    assert form_post(archive.client(), other, {"password": SECRET}).status_code == 303


def test_download_zip_blanks_the_location(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    first = uploaded(owner, GPS)
    second = uploaded(owner, CAMERAS[2])
    allowed = share(owner, photo_ids=[first, second], allow_download=True)
    guest = archive.client()
    response = guest.get(f"/s/{allowed['token']}/download")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive_zip:
        assert archive_zip.testzip() is None
        names = archive_zip.namelist()
        # A link hides camera details unless told: the files' names too, which cameras make
        # of the model and the moment (see test_share_camera_details).
        assert names == [f"photo-{first}.jpg", f"photo-{second}.jpg"]
        blanked = archive_zip.read(names[0])
    owners_copy = owner.get(f"/media/{first}/original").content
    assert owners_copy == GPS.read_bytes()
    assert len(blanked) == len(owners_copy) and blanked != owners_copy
    single = guest.get(f"/s/{allowed['token']}/media/{first}/original")
    assert single.status_code == 200 and single.content == blanked

    # An album's link: its zip is named by the album's title, made safe as any name in a
    # zip (a U+202E showed `Holiday<U+202E>exe.zip` as `Holidaypiz.exe`).
    album = owner.post("/api/v1/albums", json={"title": "Holiday\u202eexe"}).json()["id"]
    added = owner.post(f"/api/v1/albums/{album}/photos", json={"photo_ids": [second]})
    assert added.is_success, added.text
    titled = share(owner, album_id=album, allow_download=True)
    named = guest.get(f"/s/{titled['token']}/download")
    assert named.status_code == 200
    disposition = named.headers["content-disposition"]
    assert "Holiday_exe.zip" in disposition and "%E2%80%AE" not in disposition.upper()

    closed = share(owner, photo_ids=[first])
    assert guest.get(f"/s/{closed['token']}/download").status_code == 403
    assert guest.get(f"/s/{closed['token']}/media/{first}/original").status_code == 403
    assert "original" not in guest.get(f"/api/v1/s/{closed['token']}").json()["items"][0]["urls"]


def test_metadata_only_when_the_link_shows_it(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    photo_id = uploaded(owner, CAMERAS[0])
    plain = share(owner, photo_ids=[photo_id])
    shown = share(owner, photo_ids=[photo_id], show_metadata=True)
    guest = archive.client()
    assert "exif" not in guest.get(f"/api/v1/s/{plain['token']}").json()["items"][0]
    exif = guest.get(f"/api/v1/s/{shown['token']}").json()["items"][0]["exif"]
    assert exif["make"] or exif["model"]
    assert not parse(guest.get(f"/s/{plain['token']}").text).find_all("p", class_="share-meta")


def test_photos_leave_the_link_when_deleted_or_taken_out_of_the_album(
    archive: LiveServer,
) -> None:
    owner = api_login(archive, "owner")
    ids = [uploaded(owner, path) for path in CAMERAS[:3]]
    with archive.db() as conn:
        user_id = conn.execute("SELECT id FROM users WHERE username = 'owner'").fetchone()[0]
        album_id = conn.execute(
            "INSERT INTO albums (owner_id, title, description, created_at, updated_at)"
            " VALUES (?, ?, ?, 'now', 'now') RETURNING id",
            (user_id, "<script>alert(1)</script> \"Summer\" & 'co'", "<b>bold</b>"),
        ).fetchone()[0]
        conn.execute("INSERT INTO album_members VALUES (?, ?, 'owner', 'now')", (album_id, user_id))
        for photo_id in ids:
            conn.execute(
                "INSERT INTO album_photos VALUES (?, ?, ?, 'now')", (album_id, photo_id, user_id)
            )
    made = share(owner, album_id=album_id)
    assert made["kind"] == "album" and made["photo_count"] == 3
    # Only the album's owner shares it.
    other = api_login(archive, "other")
    assert other.post("/api/v1/shares", json={"album_id": album_id}).status_code == 404
    assert other.post("/api/v1/shares", json={"photo_ids": [ids[0]]}).status_code == 422

    token = str(made["token"])
    guest = archive.client()
    page = guest.get(f"/s/{token}")
    html = page.text
    assert "<script>alert(1)</script>" not in html and "<b>bold</b>" not in html
    metas = {m["property"]: m["content"] for m in parse(html).find_all("meta") if m.get("property")}
    assert metas["og:title"] == "<script>alert(1)</script> \"Summer\" & 'co'"
    assert metas["og:description"] == "<b>bold</b>"
    assert metas["og:image"].endswith(f"/s/{token}/media/{ids[2]}/thumbnail") or "/s/" in str(
        metas["og:image"]
    )
    assert api_title(guest, token) == "<script>alert(1)</script> \"Summer\" & 'co'"

    assert owner.delete(f"/api/v1/photos/{ids[0]}").status_code == 204
    with archive.db() as conn:
        conn.execute("DELETE FROM album_photos WHERE photo_id = ?", (ids[1],))
    left = [item["id"] for item in guest.get(f"/api/v1/s/{token}").json()["items"]]
    assert left == [ids[2]]
    assert guest.get(f"/s/{token}/media/{ids[1]}/thumbnail").status_code == 404
    assert guest.get(f"/s/{token}/media/{ids[0]}/thumbnail").status_code == 404


def api_title(guest: httpx.Client, token: str) -> str:
    return str(guest.get(f"/api/v1/s/{token}").json()["share"]["title"])


def test_views_are_counted_and_listed_on_settings(archive: LiveServer) -> None:
    owner = api_login(archive, "owner")
    photo_id = uploaded(owner, CAMERAS[0])
    made = share(owner, photo_ids=[photo_id])
    guest = archive.client()
    guest.get(f"/s/{made['token']}")
    guest.get(f"/api/v1/s/{made['token']}")
    guest.get(f"/s/{made['token']}/media/{photo_id}/thumbnail")  # a file is not a view
    (listed,) = owner.get("/api/v1/shares").json()["items"]
    assert listed["view_count"] == 2 and listed["token"] == made["token"]

    browser = archive.client()
    from tests.support import PASSWORD, form_post

    assert form_post(browser, "/login", {"login": "owner", "password": PASSWORD}).status_code == 303
    settings = parse(browser.get("/settings").text)
    (url,) = settings.find_all("input", id=f"shared-link-url-{made['id']}")
    assert url["value"] == made["url"]
    revoked = form_post(browser, f"/shares/{made['id']}/revoke")
    assert revoked.status_code == 303
    assert guest.get(f"/s/{made['token']}").status_code == 404
    # Someone else's link is not theirs to turn off.
    again = share(owner, photo_ids=[photo_id])
    other = api_login(archive, "other")
    assert other.delete(f"/api/v1/shares/{again['id']}").status_code == 404
    assert (
        other.patch(f"/api/v1/shares/{again['id']}", json={"show_metadata": True}).status_code
        == 404
    )
    made_by_form = form_post(browser, "/shares", {"photo_ids": str(photo_id), "password": SECRET})
    assert made_by_form.status_code == 303
    assert len(owner.get("/api/v1/shares").json()["items"]) == 2


def test_an_albums_link_says_who_shared_it(archive: LiveServer) -> None:
    # Someone with no account opens "Grandma's garden" from a message: the page names the
    # link's keeper (a link to chosen photos says it in its title already).
    owner = api_login(archive, "owner")
    renamed = form_post(
        browser(archive, "owner"),
        "/settings/profile",
        {"display_name": "Grandma <Rose>", "email": "owner@example.org"},
    )
    assert renamed.status_code == 303, renamed.text
    album_id = owner.post("/api/v1/albums", json={"title": "Grandma's garden"}).json()["id"]
    photo_id = uploaded(owner, CAMERAS[0])
    assert owner.post(
        f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [photo_id]}
    ).is_success
    album_link = share(owner, album_id=album_id)
    photos_link = share(owner, photo_ids=[photo_id])
    guest = archive.client()
    page = guest.get(f"/s/{album_link['token']}")
    assert page.status_code == 200
    # (escaped, as everything a person wrote)
    assert '<span id="share-by">Shared by Grandma &lt;Rose&gt;</span> · 1 photo' in page.text
    chosen = guest.get(f"/s/{photos_link['token']}").text
    assert "Photos from Grandma &lt;Rose&gt;" in chosen and 'id="share-by"' not in chosen


def test_a_dead_link_tells_its_holder_what_to_do_rather_than_to_sign_in(
    archive: LiveServer,
) -> None:
    owner = api_login(archive, "owner")
    made = share(owner, photo_ids=[uploaded(owner, CAMERAS[0])])
    assert owner.delete(f"/api/v1/shares/{made['id']}").status_code == 204
    for token in (str(made["token"]), "A" * 32):  # turned off, and never made
        stranger = archive.client().get(f"/s/{token}")
        assert stranger.status_code == 404
        assert "This link does not exist, or it was turned off." in stranger.text
        assert "Whoever sent you this link can make you a new one." in stranger.text
        assert "Back to the feed" not in stranger.text  # (which asks a stranger to sign in)
        member = browser(archive, "other").get(f"/s/{token}")
        assert member.status_code == 404 and "Back to the feed" in member.text
        assert "Whoever sent you this link" not in member.text
    # A link that works but refuses this (no downloads): no advice about a new link, and no
    # feed that would ask a stranger to sign in.
    live = share(owner, photo_ids=[uploaded(owner, CAMERAS[1])])
    refused = archive.client().get(f"/s/{live['token']}/download")
    assert refused.status_code == 403
    assert "Whoever sent you" not in refused.text and "Back to the feed" not in refused.text


def test_where_guests_may_look_a_dead_links_page_keeps_the_way_to_the_feed(
    tmp_path: Path,
) -> None:
    with archive_of(tmp_path / "data", ("owner",), public_view=True) as server:
        stranger = server.client().get(f"/s/{'A' * 32}")
        assert stranger.status_code == 404
        assert "Back to the feed" in stranger.text and "Whoever sent you" in stranger.text


def test_a_link_made_under_another_secret_key_still_leads_its_holder_everywhere(
    archive: LiveServer,
) -> None:
    """After the archive's secret key changed, a link's page, its images, its download and its
    password form are still addressed by the holder's own token (not by one the server can no
    longer derive, which left them all at "/s/")."""
    owner = api_login(archive, "owner")
    photo_id = uploaded(owner, CAMERAS[2])
    made = share(owner, photo_ids=[photo_id], password=SECRET, allow_download=True)
    # As if the secret key had changed: the stored seed no longer derives the token.
    run_sql(
        archive.settings, "UPDATE shares SET token_seed = ? WHERE id = ?", ("0" * 32, made["id"])
    )
    path = f"/s/{made['token']}"
    guest = archive.client()
    (action,) = [f["action"] for f in parse(guest.get(path).text).find_all("form")]
    assert action == f"{path}/unlock"
    right = guest.post(action, data={"password": SECRET, "_csrf_token": csrf(guest)})
    assert right.status_code == 303 and right.headers["location"] == path
    assert f"Path={path};" in right.headers["set-cookie"]
    page = parse(guest.get(path).text)
    images = [str(img["src"]) for img in page.find_all("img")]
    assert f"{path}/media/{photo_id}/thumbnail" in images, images
    assert all(src.startswith(f"{path}/media/{photo_id}/") for src in images), images
    (download,) = page.find_all("a", id="share-download")
    assert download["href"] == f"{path}/download"
    # No preview image for a chat, even unlocked: only a link anyone holding it sees has one.
    assert [m for m in page.find_all("meta") if m.get("property") == "og:image"] == []
    assert all(guest.get(src).status_code == 200 for src in images)
    assert guest.get(f"{path}/download").status_code == 200
