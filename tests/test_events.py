"""The live event stream (`GET /events`): who may listen, what arrives, and clean-up."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from photoarchive.web.events import CHANNEL, subscriber_count
from tests.support import (
    PHOTOS,
    LiveServer,
    csrf,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

CAMERAS = sorted((PHOTOS / "cameras").glob("*.jpg"))
# Bounds a hang (an event that never comes, a stream that never ends); never what is tested.
HANG_TIMEOUT = 60.0


class Stream:
    """Reads one SSE response line by line and groups lines into events."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.iter_lines()

    def next_event(self) -> dict[str, str]:
        """The next event or comment block, as {"event": ..., "data": ..., "comment": ...}."""
        block: dict[str, str] = {}
        for line in self.lines:
            if line == "":
                if block:
                    return block
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            block[field or "comment"] = (
                block.get(field or "comment", "") + ("\n" if field in block else "") + value
            )
        raise EOFError("the stream ended")

    def next_named(self, name: str) -> dict[str, object]:
        deadline = time.monotonic() + HANG_TIMEOUT  # keep-alives come while nothing else does
        while True:
            block = self.next_event()
            if block.get("event") == name:
                return json.loads(block["data"])
            assert time.monotonic() < deadline, f"no {name} event came"


@contextmanager
def listen(client: httpx.Client) -> Iterator[Stream]:
    with client.stream("GET", "/events", timeout=httpx.Timeout(HANG_TIMEOUT)) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Stream(response)
        first = stream.next_event()
        # The reconnect delay is sent first, then the subscription is confirmed.
        assert first.get("retry") == "3000"
        if "comment" not in first:
            first = stream.next_event()
        assert first["comment"] == "connected"
        yield stream


def wait_for(predicate, timeout: float = HANG_TIMEOUT) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_guests_get_401_unless_the_archive_is_public(server: LiveServer) -> None:
    response = server.client().get("/events")
    assert response.status_code == 401
    assert "Sign in" in response.json()["detail"]
    bad_token = server.client(headers={"Authorization": "Bearer nope"}).get("/events")
    assert bad_token.status_code == 401


def test_uploads_likes_and_comments_reach_other_viewers(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    with listen(bob) as stream:
        photo = upload(alice, CAMERAS[0], caption="harbour").json()["items"][0]
        assert stream.next_named("photo") == {"id": photo["id"], "owner": "alice"}

        assert form_post(alice, f"/photos/{photo['id']}/like", {"liked": "1"}).status_code == 303
        like = stream.next_named("like")
        assert like["id"] == photo["id"]
        assert like["like_count"] == 1
        assert like["comment_count"] == 0

        form_post(alice, f"/photos/{photo['id']}/comments", {"text": "what a view"})
        comment = stream.next_named("comment")
        assert comment["photo_id"] == photo["id"]
        assert comment["comment_count"] == 1
        # Events carry ids and counts only; the text is fetched with the viewer's own rights.
        assert "what a view" not in json.dumps(comment)

        form_post(alice, f"/comments/{comment['id']}/delete")
        assert stream.next_named("comment-deleted")["comment_count"] == 0

        form_post(alice, f"/photos/{photo['id']}/delete")
        assert stream.next_named("photo-deleted") == {"id": photo["id"]}


def changes_heard(stream: Stream, owner: httpx.Client, marker: int) -> list[object]:
    """The photos whose changes `stream` hears before a like `owner` then gives `marker` (a
    photo the listener sees): what was told of the changes made before it."""
    assert form_post(owner, f"/photos/{marker}/like", {"liked": "1"}).is_redirect
    assert form_post(owner, f"/photos/{marker}/like", {"liked": "0"}).is_redirect
    heard = []
    deadline = time.monotonic() + HANG_TIMEOUT  # keep-alives come while nothing else does
    while (block := stream.next_event()).get("event") != "like":
        assert time.monotonic() < deadline, "the like never came"
        if block.get("event") == "photo-changed":
            data = json.loads(block["data"])
            # Ids and counts only: the words and dates are fetched with the viewer's own rights.
            assert set(data) == {"photo_id", "like_count", "comment_count"}, data
            heard.append(data["photo_id"])
    assert stream.next_named("like")["like_count"] == 0
    return heard


def patcher(owner: httpx.Client) -> Callable[[int, dict[str, object]], None]:
    token = {"x-csrftoken": csrf(owner)}

    def change(photo_id: int, body: dict[str, object]) -> None:
        changed = owner.patch(f"/api/v1/photos/{photo_id}", json=body, headers=token)
        assert changed.is_success, changed.text

    return change


def test_a_changed_photo_is_told_to_those_who_may_see_it(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    shared, kept, marker = (upload(alice, path).json()["items"][0]["id"] for path in CAMERAS[:3])
    change = patcher(alice)

    def heard_until_a_like() -> list[object]:
        return changes_heard(stream, alice, marker)

    change(kept, {"visibility": "private"})
    with listen(bob) as stream:
        # Alice's private photo first: Bob may not see it, so its change must not reach him.
        change(kept, {"caption": "just mine"})
        said = form_post(alice, f"/photos/{shared}/caption", {"caption": "By the harbour"})
        assert said.is_redirect
        assert heard_until_a_like() == [shared]

        # Made private, the photo is told to those who saw it (Bob's pages then drop it)...
        change(shared, {"visibility": "private"})
        assert heard_until_a_like() == [shared]
        assert bob.get(f"/photos/{shared}").status_code == 404
        change(shared, {"caption": "now mine alone"})
        assert heard_until_a_like() == []
        # ...and made the family's again, to those who now may.
        change(kept, {"visibility": "family"})
        assert heard_until_a_like() == [kept]


def test_a_private_photo_seen_through_an_album_only_is_told_as_it_leaves(
    server: LiveServer,
) -> None:
    """Taken out of the album, or its member out of the album, a private photo is told to
    those who saw it there: their open pages drop it, as when a photo is made private."""
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    token = {"x-csrftoken": csrf(alice)}
    out, away, marker = (upload(alice, path).json()["items"][0]["id"] for path in CAMERAS[:3])
    change = patcher(alice)
    album = alice.post("/api/v1/albums", json={"title": "Us"}, headers=token).json()["id"]
    joined = alice.put(
        f"/api/v1/albums/{album}/members/bob", json={"role": "viewer"}, headers=token
    )
    assert joined.is_success, joined.text
    added = alice.post(
        f"/api/v1/albums/{album}/photos", json={"photo_ids": [out, away]}, headers=token
    )
    assert added.is_success, added.text
    for photo in (out, away):
        change(photo, {"visibility": "private"})
    with listen(bob) as stream:
        assert bob.get(f"/photos/{out}").status_code == 200
        taken = alice.post(
            f"/api/v1/albums/{album}/photos/remove", json={"photo_ids": [out]}, headers=token
        )
        assert taken.is_success, taken.text
        assert changes_heard(stream, alice, marker) == [out]
        assert bob.get(f"/photos/{out}").status_code == 404

        gone = alice.delete(f"/api/v1/albums/{album}/members/bob", headers=token)
        assert gone.status_code == 204, gone.text
        assert changes_heard(stream, alice, marker) == [away]
        assert bob.get(f"/photos/{away}").status_code == 404


def test_a_caption_given_by_sending_the_photo_again_is_told(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    photo = upload(alice, CAMERAS[0]).json()["items"][0]["id"]
    with listen(bob) as stream:
        again = upload(alice, CAMERAS[0], caption="Found the words")
        assert again.json()["items"][0]["duplicate"] is True
        assert stream.next_named("photo-changed")["photo_id"] == photo


def test_a_turn_or_a_new_date_taken_is_told(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    shown, kept, marker = (upload(alice, path).json()["items"][0]["id"] for path in CAMERAS[:3])
    change = patcher(alice)
    change(kept, {"visibility": "private"})
    token = {"x-csrftoken": csrf(alice)}
    with listen(bob) as stream:
        change(shown, {"rotation": 90})
        assert changes_heard(stream, alice, marker) == [shown]
        turned = form_post(alice, f"/photos/{shown}/rotation", {"rotation": "180"})
        assert turned.is_redirect, turned.text
        change(shown, {"rotation": 180})  # as it is: nothing to tell
        change(kept, {"rotation": 90})  # not Bob's to see
        assert changes_heard(stream, alice, marker) == [shown]

        change(shown, {"taken_at": "1987-06-20T15:00:00"})
        change(shown, {"taken_at": "1987-06-20T15:00:00"})  # the same again: nothing
        change(kept, {"taken_at": "1987-06-20T15:00:00"})
        assert changes_heard(stream, alice, marker) == [shown]
        body = {"photo_ids": [shown, kept], "action": "shift_date", "seconds": 3600}
        shifted = alice.post("/api/v1/photos/bulk", json=body, headers=token)
        assert shifted.is_success, shifted.text
        change(shown, {"taken_at": None})
        assert changes_heard(stream, alice, marker) == [shown, shown]


@pytest.fixture
def quick(tmp_path: Path) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path / "data", event_keepalive_seconds=0.2, public_view=True)
    with live_server(settings) as live:
        yield live


def test_keepalive_comments_and_signing_out_ends_the_stream(quick: LiveServer) -> None:
    bob = sign_up(quick, "bob")
    with listen(bob) as stream:
        assert stream.next_event() == {"comment": "keepalive"}
        assert form_post(bob, "/logout").status_code == 303
        # The next session check finds the session gone and closes the stream. Keep-alives
        # sent while the sign-out was on its way may come first, however many a slow machine
        # let through; the stream must then end, not keep going.
        deadline = time.monotonic() + HANG_TIMEOUT
        with pytest.raises(EOFError):
            while time.monotonic() < deadline:
                assert stream.next_event() == {"comment": "keepalive"}


def test_guests_follow_a_public_archive(quick: LiveServer) -> None:
    alice = sign_up(quick, "alice")
    with listen(quick.client()) as stream:
        photo = upload(alice, CAMERAS[1]).json()["items"][0]
        assert stream.next_named("photo")["id"] == photo["id"]


def test_subscribers_are_released_when_clients_leave(server: LiveServer) -> None:
    plugin = next(p for p in server.app.plugins if p.__class__.__name__ == "ChannelsPlugin")
    alice = sign_up(server, "alice")
    cookies = dict(alice.cookies)
    for round_ in range(3):
        clients = [server.client(cookies=cookies) for _ in range(15)]
        streams = []
        for client in clients:
            manager = listen(client)
            streams.append((manager, manager.__enter__()))
        assert subscriber_count(plugin) == 15, round_
        for manager, _stream in streams:
            manager.__exit__(None, None, None)
        for client in clients:
            client.close()
        wait_for(lambda: subscriber_count(plugin) == 0)
    # The channel stays declared, and with nobody listening the backend routes nothing.
    assert list(plugin._channels) == [CHANNEL]
    backend = plugin._backend  # the in-memory one, or PostgreSQL's (web/pg_channels.py)
    routed = backend._subscribed if hasattr(backend, "_subscribed") else backend._channels
    assert routed == set()


def test_comment_thread_fragment_for_live_refresh(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    photo = upload(alice, CAMERAS[2]).json()["items"][0]
    for n in range(5):
        form_post(alice, f"/photos/{photo['id']}/comments", {"text": f"comment {n}"})
    card = alice.get(f"/photos/{photo['id']}/comments", headers={"HX-Request": "true"})
    assert card.status_code == 200 and "<html" not in card.text
    page = parse(card.text)
    assert [e["id"] for e in page.find_all("div", class_="comment-thread")] == [
        f"thread-{photo['id']}"
    ]
    assert len(page.find_all("li", class_="comment")) == 3  # the card shows the latest three
    assert "View all 5 comments" in page.text
    full = parse(alice.get(f"/photos/{photo['id']}/comments", params={"view": "full"}).text)
    assert len(full.find_all("li", class_="comment")) == 5
    guest = server.client().get(f"/photos/{photo['id']}/comments")
    assert guest.status_code == 303 and guest.headers["location"].startswith("/login")
