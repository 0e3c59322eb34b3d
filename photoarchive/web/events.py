"""Live updates: domain events fan out through Litestar's channels plugin to one SSE stream each.

The domain calls `Services.publish(kind, data)`; the listener registered by `connect` adds the
photo's current counts and hands the event to the channels plugin (in memory with SQLite; with
PostgreSQL through the database, so that every instance's streams hear it: pg_channels.py). Every
`GET /events` client holds one subscriber for as long as it is connected and gets only the events
it may see. Events carry ids and counts, never markup: the browser fetches anything it shows with
its own credentials, so a live update can never show more than a page load would.

A stream lives no longer than the session that opened it: the session is looked up afresh every
time the stream wakes, for events or for a keep-alive, so no event that happens after sign-out,
disabling, a password change or expiry reaches the person, and the stream then closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from litestar import MediaType, Request, Response, get
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.response import ServerSentEvent, ServerSentEventMessage

from photoarchive.accounts.users import User
from photoarchive.database_url import is_postgres, shown
from photoarchive.db.pg_notices import Notices
from photoarchive.errors import NotAuthenticated, Unavailable
from photoarchive.library import access, live, notifications
from photoarchive.services import Services
from photoarchive.settings import Settings
from photoarchive.web.pg_channels import PostgresChannelsBackend
from photoarchive.web.viewer import current_session, resolve_session, services

CHANNEL = "archive"
# How long the browser waits before reconnecting after the stream ends (milliseconds).
RETRY_MS = 3000
# Events held for one slow client before the oldest are dropped: a stalled browser costs a
# bounded amount of memory, and on its next page load it is up to date anyway.
BACKLOG = 100
KINDS = (
    "photo",
    "photo-deleted",
    "like",
    "comment",
    "comment-deleted",
    "photo-changed",
    notifications.EVENT,
)


def channels_plugin(settings: Settings) -> ChannelsPlugin:
    url = settings.database_url
    backend: ChannelsBackend = (
        PostgresChannelsBackend(Notices(url, shown(url)))
        if is_postgres(url)
        else MemoryChannelsBackend()
    )
    return ChannelsPlugin(
        backend=backend,
        channels=[CHANNEL],
        subscriber_max_backlog=BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


def subscriber_count(plugin: ChannelsPlugin) -> int:
    """How many live streams are subscribed (for tests and diagnostics)."""
    return sum(len(subscribers) for subscribers in plugin._channels.values())


def connect(svc: Services, plugin: ChannelsPlugin) -> None:
    """Forward every domain event to the channel, with the photo's counts as they are now."""

    async def forward(kind: str, data: dict[str, Any]) -> None:
        if kind not in KINDS:
            return
        # The database may go away just after the change was saved: the change stands and its
        # request succeeds; only this live update is lost (a page load shows it).
        with contextlib.suppress(Unavailable):
            await _forward(kind, data)

    async def _forward(kind: str, data: dict[str, Any]) -> None:
        payload = dict(data)
        heard_by = payload.pop(live.AUDIENCE, None)  # a deleted photo's, read before
        # Likes name their photo by "id", comments by "photo_id"; new and deleted photos need no counts.
        photo_id = data.get("id") if kind == "like" else data.get("photo_id")
        if photo_id is not None:
            counts = await live.counts(svc.db, photo_id)
            if counts is not None:
                payload["like_count"], payload["comment_count"] = counts
        about = data.get("id") if kind in _BY_ID else photo_id
        if about is not None and heard_by is None:
            heard_by = await live.audience(svc.db, about)
            if heard_by is None:  # deleted meanwhile: whoever could see it is not known
                return
        message = {"kind": kind, "data": payload, "audience": _audience_data(heard_by)}
        with contextlib.suppress(RuntimeError):  # not started (a CLI command): nobody listens
            plugin.publish(message, CHANNEL)

    svc.listeners.append(forward)


# Events that name their photo by "id" (the others by "photo_id", or name none).
_BY_ID = ("photo", "photo-deleted", "like")


def _audience_data(heard_by: access.Audience | None) -> dict[str, Any] | None:
    if heard_by is None:
        return None
    return {
        "photo_id": heard_by.photo_id,
        "owner_id": heard_by.owner_id,
        "private": heard_by.private,
        "album_members": sorted(heard_by.album_members),
        "trashed": heard_by.trashed,
    }


def audience_of(data: dict[str, Any] | None) -> access.Audience | None:
    if data is None:
        return None
    return access.Audience(
        data["photo_id"],
        data["owner_id"],
        data["private"],
        frozenset(data["album_members"]),
        data.get("trashed", False),
    )


def may_see(
    viewer: User | None,
    public_view: bool,
    kind: str,
    data: dict[str, Any],
    heard_by: access.Audience | None = None,
) -> bool:
    """Whether one subscriber gets one event, decided by library/access.py for that
    subscriber: an event about a photo goes to those who may see the photo (its `Audience`,
    read when the event was published), an event addressed to one person (their
    notifications changed: `user_id`) to that person alone. An event about a photo whose
    audience is not known goes to nobody."""
    asking = access.Viewer(viewer, public_view)
    if kind not in KINDS or not access.may_read_archive(asking):
        return False
    addressee = data.get("user_id")
    if addressee is not None:
        return asking.account is not None and asking.account.id == addressee
    return heard_by is not None and heard_by.admits(asking)


async def _still_reading(request: Request[Any, Any, Any], viewer: User | None) -> bool:
    """Is the viewer still allowed to read? Signing out, expiry or being disabled ends the stream.

    One indexed lookup (about as costly as the counts query each event already makes), so it is
    affordable every time the stream wakes rather than only when the archive is quiet."""
    svc = services(request)
    if viewer is None:
        return access.may_read_archive(access.Viewer(None, svc.settings.public_view))
    try:
        session = await resolve_session(request)
    except NotAuthenticated:
        return False
    except Unavailable:  # the database is away: the stream ends, the browser reconnects later
        return False
    return session is not None


async def _next_batch(inbox: asyncio.Queue[bytes], keepalive_seconds: float) -> list[bytes]:
    """Every event waiting now, after waiting up to `keepalive_seconds` for the first; [] if none."""
    try:
        batch = [await asyncio.wait_for(inbox.get(), timeout=keepalive_seconds)]
    except TimeoutError:
        return []
    while not inbox.empty():
        batch.append(inbox.get_nowait())
    return batch


async def _messages(
    request: Request[Any, Any, Any], plugin: ChannelsPlugin, viewer: User | None
) -> AsyncIterator[ServerSentEventMessage]:
    settings = services(request).settings
    inbox: asyncio.Queue[bytes] = asyncio.Queue(maxsize=BACKLOG)

    async def deliver(raw: bytes) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            inbox.put_nowait(raw)

    subscriber = await plugin.subscribe(CHANNEL)
    try:
        async with subscriber.run_in_background(deliver, join=False):
            yield ServerSentEventMessage(comment="connected", data=None)
            while True:
                batch = await _next_batch(inbox, settings.event_keepalive_seconds)
                # Checked on every wake-up (events, or a quiet keep-alive interval), and after
                # the batch was taken: each of its events happened before the check began, and
                # an ended session stays ended, so one found live now was live for all of them.
                # Under a burst, the events that arrive during one check share the next one.
                if not await _still_reading(request, viewer):
                    return
                if not batch:
                    # A comment line keeps proxies from closing an idle connection.
                    yield ServerSentEventMessage(comment="keepalive", data=None)
                for raw in batch:
                    event = json.loads(raw)
                    heard_by = audience_of(event.get("audience"))
                    kind, data = event["kind"], event["data"]
                    if may_see(viewer, settings.public_view, kind, data, heard_by):
                        yield ServerSentEventMessage(
                            event=event["kind"],
                            data=json.dumps(event["data"], separators=(",", ":")),
                        )
    finally:
        # The client went away (or the stream ended): always give the subscriber back, even
        # while this task is being cancelled.
        with anyio.CancelScope(shield=True):
            await plugin.unsubscribe(subscriber, CHANNEL)


@get("/events", include_in_schema=False, cache=False, name="events")
async def events(request: Request[Any, Any, Any], channels: ChannelsPlugin) -> Response[Any]:
    """The live event stream for the current viewer (Server-Sent Events)."""
    try:
        session = await current_session(request)
    except NotAuthenticated:
        session = None
    viewer = None if session is None else session.user
    if viewer is None and not services(request).settings.public_view:
        # A plain 401, not the sign-in redirect pages get: an EventSource cannot follow it.
        return Response(
            {"status": 401, "detail": "Sign in to follow live updates."},
            status_code=401,
            media_type=MediaType.JSON,
        )
    return ServerSentEvent(
        _messages(request, channels, viewer),
        retry_duration=RETRY_MS,
        headers={"Cache-Control": "no-store"},
    )
