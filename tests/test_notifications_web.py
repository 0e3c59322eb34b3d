"""Notifications through a real server: the JSON API, the page and its navigation badge, and
the live event that goes to the person told and to nobody else."""

from __future__ import annotations

import httpx
import pytest

from tests.support import PHOTOS, LiveServer, api_login, csrf, form_post, parse, sign_up, upload
from tests.test_events import listen

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PHOTO = PHOTOS / "gps" / "DSCN0010.jpg"


def alices_photo(server: LiveServer) -> tuple[httpx.Client, int]:
    alice = sign_up(server, "alice")
    return alice, upload(alice, PHOTO, caption="harbour").json()["items"][0]["id"]


def link_name(html: str) -> str:
    """The accessible name of the navigation's notifications link: its label, else its text."""
    (link,) = parse(html).find_all("a", id="nav-notifications")
    if link.get("aria-label"):
        return str(link["aria-label"])
    assert "nav-count" not in html  # no count shown without the label that says it in words
    return "Notifications"


def badge_label(client: httpx.Client, page: str = "/") -> str:
    """The navigation's notifications link as the badge request gives it."""
    response = client.get(
        "/notifications/badge",
        headers={"HX-Request": "true", "HX-Current-URL": f"http://127.0.0.1{page}"},
    )
    assert response.status_code == 200, response.text
    return link_name(response.text)


def test_the_api_lists_newest_first_and_marks_read(server: LiveServer) -> None:
    alice, photo_id = alices_photo(server)
    sign_up(server, "bob"), sign_up(server, "carol")
    bob, carol, owner = (
        api_login(server, "bob"),
        api_login(server, "carol"),
        api_login(server, "alice"),
    )
    assert (
        bob.post(f"/api/v1/photos/{photo_id}/comments", json={"text": "lovely"}).status_code == 201
    )
    assert carol.put(f"/api/v1/photos/{photo_id}/like").status_code == 200
    owner.post(f"/api/v1/photos/{photo_id}/comments", json={"text": "thanks"})  # not told of own

    answer = owner.get("/api/v1/notifications")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(i["kind"], i["actor"], i["photo_id"], i["read"]) for i in body["items"]] == [
        ("like", {"username": "carol"}, photo_id, False),
        ("comment", {"username": "bob"}, photo_id, False),
    ]
    assert body["unread"] == 2 and body["next_cursor"] is None
    assert all(item["created_at"] for item in body["items"])
    first = owner.get("/api/v1/notifications", params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["unread"] == 2
    rest = owner.get("/api/v1/notifications", params={"cursor": first["next_cursor"]}).json()
    assert [i["kind"] for i in rest["items"]] == ["comment"]
    assert bob.get("/api/v1/notifications").json() == {
        "items": [],
        "unread": 0,
        "next_cursor": None,
    }

    comment_id = body["items"][1]["id"]
    read = owner.post("/api/v1/notifications/read", json={"ids": [comment_id]})
    assert read.status_code == 200 and read.json() == {"unread": 1}
    assert owner.get("/api/v1/notifications").json()["items"][1]["read"] is True
    # Someone else's notifications are not theirs to mark.
    assert bob.post(
        "/api/v1/notifications/read", json={"ids": [body["items"][0]["id"]]}
    ).json() == {"unread": 0}
    assert owner.get("/api/v1/notifications").json()["unread"] == 1
    assert owner.post("/api/v1/notifications/read", json={"ids": None}).json() == {"unread": 0}

    # An unlike takes back an unread like; the cookie-signed page form works the same way.
    form_post(sign_up(server, "dave"), f"/photos/{photo_id}/like", {"liked": "1"})
    assert owner.get("/api/v1/notifications").json()["unread"] == 1
    assert alice.post(
        "/api/v1/notifications/read", json={}, headers={"x-csrftoken": csrf(alice)}
    ).json() == {"unread": 0}


def test_the_api_refuses_what_it_should(server: LiveServer) -> None:
    alice, _ = alices_photo(server)
    owner = api_login(server, "alice")
    guest = server.client()
    assert guest.get("/api/v1/notifications").status_code == 401
    assert guest.post("/api/v1/notifications/read", json={}).status_code in (401, 403)
    assert owner.get("/api/v1/notifications", params={"limit": 0}).status_code == 400
    assert owner.get("/api/v1/notifications", params={"cursor": "x"}).status_code == 400
    for ids in ([0], ["one"], list(range(1, 200)), [2**63]):
        refused = owner.post("/api/v1/notifications/read", json={"ids": ids})
        assert refused.status_code == 400, (ids, refused.text)
    assert owner.post("/api/v1/notifications/read", json={"all": True}).status_code == 400
    # A cookie session without its CSRF token changes nothing.
    assert alice.post("/api/v1/notifications/read", json={}).status_code == 403


def test_the_page_lists_links_and_marks_read_and_the_badge_counts(server: LiveServer) -> None:
    alice, photo_id = alices_photo(server)
    bob, carol = sign_up(server, "bob"), sign_up(server, "carol")
    assert badge_label(alice) == "Notifications"
    form_post(bob, f"/photos/{photo_id}/comments", {"text": "lovely"})
    form_post(carol, f"/photos/{photo_id}/like", {"liked": "1"})
    assert badge_label(alice) == "Notifications, 2 unread"

    # Every page's navigation has the link, asking for its count once loaded.
    feed = parse(alice.get("/").text)
    (link,) = feed.find_all("a", id="nav-notifications")
    assert link["href"] == "/notifications" and link["hx-get"] == "/notifications/badge"
    assert feed.find_all("span", **{"hx-trigger": "sse:notification"})

    page = alice.get("/notifications")
    assert page.status_code == 200
    html = parse(page.text)
    assert "carol liked your photo" in html.text
    assert "bob commented on your photo: “lovely”" in html.text
    items = html.find_all("li", class_="notification")
    assert len(items) == 2 and all("unread" in (i["class"] or "") for i in items)
    assert [a["href"] for a in html.find_all("a", class_="notification-link")] == [
        f"/photos/{photo_id}"
    ] * 2
    assert len(html.find_all("img", class_="notification-thumb")) == 2
    assert all(t["datetime"] for t in html.find_all("time"))
    # Opened, they are read: this page's badge shows none, nor does the next page's.
    (here,) = html.find_all("a", id="nav-notifications")
    assert link_name(page.text) == "Notifications" and here["aria-current"] == "page"
    assert "hx-get" not in here
    assert badge_label(alice) == "Notifications"
    again = parse(alice.get("/notifications").text)
    assert not any(
        "unread" in (i["class"] or "") for i in again.find_all("li", class_="notification")
    )

    assert badge_label(bob, "/notifications") == "Notifications"
    assert "Nothing yet" in parse(bob.get("/notifications").text).text
    guest = server.client().get("/notifications")
    assert guest.status_code == 303 and guest.headers["location"].startswith("/login")


def test_the_live_event_goes_to_the_person_told_alone(server: LiveServer) -> None:
    alice, photo_id = alices_photo(server)
    bob = sign_up(server, "bob")
    alice_id = server.db().execute("SELECT id FROM users WHERE username = 'alice'").fetchone()[0]
    with listen(alice) as alices, listen(bob) as bobs:
        form_post(bob, f"/photos/{photo_id}/comments", {"text": "lovely"})
        assert alices.next_named("notification") == {"user_id": alice_id}
        # Bob's stream has the comment, then the like, and no notification of Alice's between.
        form_post(bob, f"/photos/{photo_id}/like", {"liked": "1"})
        while (block := bobs.next_event()).get("event") != "like":
            assert block.get("event") != "notification", block
        assert alices.next_named("notification") == {"user_id": alice_id}
        # Reading them tells Alice's other tabs too.
        alice.get("/notifications")
        assert alices.next_named("notification") == {"user_id": alice_id}


def test_being_added_to_an_album_is_in_the_list_the_api_and_the_live_stream(
    server: LiveServer,
) -> None:
    alice, photo_id = alices_photo(server)
    bob = sign_up(server, "bob")
    bob_id = server.db().execute("SELECT id FROM users WHERE username = 'bob'").fetchone()[0]
    owner = api_login(server, "alice")
    made = owner.post("/api/v1/albums", json={"title": "Summer <b>at</b> the lake"})
    album_id = made.json()["id"]
    assert owner.post(
        f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [photo_id]}
    ).is_success
    with listen(bob) as bobs:
        added = form_post(
            alice, f"/albums/{album_id}/members", {"username": "bob", "role": "viewer"}
        )
        assert added.status_code in (200, 303), added.text
        assert bobs.next_named("notification") == {"user_id": bob_id}

    assert badge_label(bob) == "Notifications, 1 unread"
    listed = api_login(server, "bob").get("/api/v1/notifications").json()
    assert [(i["kind"], i["actor"], i["photo_id"], i["album_id"]) for i in listed["items"]] == [
        ("album", {"username": "alice"}, None, album_id)
    ]
    assert listed["unread"] == 1
    schema = server.client().get("/schema/openapi.json").json()["components"]["schemas"]
    (shape,) = (v for k, v in schema.items() if k.endswith("NotificationOut"))
    assert "album" in str(shape["properties"]["kind"]) and "album_id" in shape["properties"]

    page = bob.get("/notifications").text
    html = parse(page)
    # The title is the album's, escaped; the picture its cover as bob sees it.
    assert "alice added you to the album Summer <b>at</b> the lake" in html.text
    assert "Summer &lt;b&gt;at&lt;/b&gt; the lake" in page
    (link,) = html.find_all("a", class_="notification-link")
    assert link["href"] == f"/albums/{album_id}" and bob.get(link["href"]).status_code == 200
    (thumb,) = html.find_all("img", class_="notification-thumb")
    assert (thumb["src"] or "").startswith(f"/media/{photo_id}/thumbnail")
    assert bob.get(str(thumb["src"])).status_code == 200
    assert badge_label(bob) == "Notifications"  # opened: read

    # Removed from it: the notification goes with the place in it (the row, not only hidden).
    assert form_post(alice, f"/albums/{album_id}/members/bob/remove").status_code in (200, 303)
    assert "added you" not in parse(bob.get("/notifications").text).text
    about = "SELECT COUNT(*) FROM notifications WHERE album_id = ?"
    assert server.db().execute(about, (album_id,)).fetchone()[0] == 0


def test_photos_added_to_an_album_are_news_to_its_members(server: LiveServer) -> None:
    alice, first = alices_photo(server)
    second = upload(alice, PHOTOS / "orientation" / "landscape_1.jpg").json()["items"][0]["id"]
    assert second != first
    bob = sign_up(server, "bob")
    bob_id = server.db().execute("SELECT id FROM users WHERE username = 'bob'").fetchone()[0]
    owner = api_login(server, "alice")
    album_id = owner.post("/api/v1/albums", json={"title": "Pier <i>2026</i>"}).json()["id"]
    assert owner.put(f"/api/v1/albums/{album_id}/members/bob", json={"role": "viewer"}).is_success
    bob.get("/notifications")  # being added: read

    with listen(bob) as bobs:
        added = owner.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [first, second]})
        assert added.is_success, added.text
        assert bobs.next_named("notification") == {"user_id": bob_id}

    assert badge_label(bob) == "Notifications, 1 unread"
    listed = api_login(server, "bob").get("/api/v1/notifications").json()
    news = listed["items"][0]
    assert (news["kind"], news["actor"], news["album_id"], news["photo_id"]) == (
        "album_photos",
        {"username": "alice"},
        album_id,
        None,
    )
    assert news["photo_count"] == 2 and listed["unread"] == 1
    assert all(i["photo_count"] is None for i in listed["items"][1:])
    schema = server.client().get("/schema/openapi.json").json()["components"]["schemas"]
    (shape,) = (v for k, v in schema.items() if k.endswith("NotificationOut"))
    assert (
        "album_photos" in str(shape["properties"]["kind"]) and "photo_count" in shape["properties"]
    )

    page = bob.get("/notifications").text
    assert "alice added 2 photos to the album Pier <i>2026</i>" in parse(page).text
    assert "Pier &lt;i&gt;2026&lt;/i&gt;" in page
    links = parse(page).find_all("a", class_="notification-link")
    assert links[0]["href"] == f"/albums/{album_id}"
    assert badge_label(bob) == "Notifications"  # opened: read

    # Read, the next photo is news of its own; taken out of the album, nothing is said.
    third = upload(alice, PHOTOS / "orientation" / "portrait_6.jpg").json()["items"][0]["id"]
    assert owner.post(f"/api/v1/albums/{album_id}/photos", json={"photo_ids": [third]}).is_success
    assert "alice added 1 photo to the album" in parse(bob.get("/notifications").text).text
    gone = owner.post(f"/api/v1/albums/{album_id}/photos/remove", json={"photo_ids": [third]})
    assert gone.is_success, gone.text
    assert "added 1 photo" not in parse(bob.get("/notifications").text).text


def test_another_site_sending_the_browser_or_a_prefetch_marks_nothing_read(
    server: LiveServer,
) -> None:
    """The session cookie goes with a visit another site's page makes (SameSite=Lax), and with
    a browser's prefetch: neither is the person reading, so nothing is marked read."""
    alice, photo_id = alices_photo(server)
    bob = sign_up(server, "bob")
    form_post(bob, f"/photos/{photo_id}/comments", {"text": "lovely"})
    assert badge_label(alice) == "Notifications, 1 unread"
    for unseen in ({"sec-fetch-site": "cross-site"}, {"sec-purpose": "prefetch"}):
        page = alice.get("/notifications", headers=unseen)
        assert page.status_code == 200 and "bob commented" in parse(page.text).text
        assert badge_label(alice) == "Notifications, 1 unread"
    # A link the person clicked elsewhere (the daily summary's, in webmail) is them reading.
    clicked = {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-user": "?1"}
    alice.get("/notifications", headers=clicked)
    assert badge_label(alice) == "Notifications"
