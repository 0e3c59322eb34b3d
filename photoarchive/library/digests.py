"""The daily digest: an e-mail to a member, at most once a day, telling of the comments and
likes on their photos, the albums they were added to and the photos added to their albums,
that they have not read yet. Off
unless the person turns it on (/settings), and only where the archive can send mail
(PHOTOARCHIVE_SMTP_URL).

What a digest tells is what notifications.py shows the person (and so what library/access.py
lets them see): a comment on a photo they may no longer see is left out, and a disabled
account, which acts as nobody, gets nothing. Nothing is sent when there is nothing new.

A digest is claimed before it is sent: one conditional UPDATE moves the person's `through_id`
(the newest notification covered) and `sent_at`, and only the process whose UPDATE changed the
row sends. Two processes, or a restart, never send the same digest twice; a mail the server
refused is given back (the claim undone, if nothing moved it since) and tried again at a later
wake-up. A process that stops between claim and send loses that one digest, never doubles it.
No HTTP here.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from photoarchive import clock
from photoarchive.accounts import time_zones, users
from photoarchive.accounts.mail import MailFailed, compose, site_name
from photoarchive.accounts.users import User
from photoarchive.db import Reader, Row
from photoarchive.library import access, notifications
from photoarchive.library.notifications import Notification
from photoarchive.services import Services
from photoarchive.settings import Settings

log = logging.getLogger("photoarchive.digests")

# At most one digest a day per person.
INTERVAL_SECONDS = 24 * 3600
# How often the sender looks for digests due.
WAKE_SECONDS = 5 * 60
# Lines one mail lists; the rest are counted and left to the notifications page.
LINES_MAX = 50
CAPTION_MAX = 60
NOTIFICATIONS_PATH = "/notifications"


@dataclass(frozen=True, slots=True)
class State:
    """A person's digest row: the claim a send starts from, and what undoing it restores."""

    user_id: int
    enabled_at: str
    sent_at: str | None
    through_id: int
    comments: int
    likes: int


def _iso(moment: float) -> str:
    """A moment as the database keeps time stamps (clock.now_iso's form), from clock.now()."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _moment(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _state(row: Row) -> State:
    return State(
        row["user_id"],
        row["enabled_at"],
        row["sent_at"],
        row["through_id"],
        row["comments"],
        row["likes"],
    )


# --- the setting ----------------------------------------------------------------------------


async def is_on(db: Reader, user_id: int) -> bool:
    row = await db.fetchone("SELECT enabled FROM digests WHERE user_id = ?", (user_id,))
    return row is not None and bool(row["enabled"])


async def set_on(svc: Services, user: User, on: bool) -> None:
    """Turn the person's digest on or off. Turning it on starts from now: notifications that
    came before (or while it was off) are the notifications page's, not a mail's."""
    async with svc.db.transaction() as tx:
        newest = await tx.fetchval(
            "SELECT COALESCE(MAX(id), 0) FROM notifications WHERE user_id = ?", (user.id,)
        )
        await tx.execute(
            "INSERT INTO digests (user_id, enabled, enabled_at, through_id) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled,"
            " enabled_at = excluded.enabled_at, through_id = excluded.through_id"
            " WHERE digests.enabled <> excluded.enabled",
            (user.id, int(on), _iso(clock.now()), int(newest)),
        )


# --- what a digest holds -----------------------------------------------------------------


async def news_for(svc: Services, user: User, through_id: int) -> list[Notification]:
    """The person's unread notifications newer than `through_id` that they may see (as the
    notifications page decides), oldest first; none for a disabled account."""
    if access.Viewer(user, public_view=False).account is None:
        return []
    found: list[Notification] = []
    cursor: str | None = None
    while True:
        items, cursor, _ = await notifications.page(
            svc, user, cursor=cursor, limit=notifications.PAGE_MAX, with_subjects=True
        )
        found.extend(n for n in items if n.id > through_id and not n.read)
        if cursor is None or int(cursor) <= through_id + 1:
            break
    found.reverse()
    return found


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def headline(comments: int, likes: int) -> str:
    """'3 new comments and 2 likes', '1 new like'."""
    if comments and likes:
        return f"{_plural(comments, 'new comment')} and {_plural(likes, 'like')}"
    return _plural(comments, "new comment") if comments else _plural(likes, "new like")


def news(comments: int, likes: int, albums: int, added_to: int = 0) -> str:
    """'3 new comments and 2 likes on your photos', '1 new album shared with you', 'new photos
    in 2 albums' (albums someone added photos to), joined by commas and 'and': what a digest's
    subject and first line say. (Photos are not counted here: a run a digest told of, still
    unread, grows, and its line says the whole of it.)"""
    parts = []
    if comments or likes:
        parts.append(f"{headline(comments, likes)} on your photos")
    if albums:
        parts.append(f"{_plural(albums, 'new album')} shared with you")
    if added_to:
        parts.append(f"new photos in {_plural(added_to, 'album')}")
    if len(parts) < 3:
        return " and ".join(parts)
    return f"{parts[0]}, {parts[1]} and {parts[2]}"


def since(start: str, now: float, zone_name: str) -> str:
    """The period a digest covers, by the calendar of the zone called `zone_name` (the
    person's, else the archive's: time_zones.zone_of_days; "": the server's)."""
    zone = clock.zone(zone_name)
    at = _moment(start).astimezone(zone)
    today = datetime.fromtimestamp(now, UTC).astimezone(zone).date()
    if at.date() == today:
        return "since earlier today"
    if at.date() == today - timedelta(days=1):
        return "since yesterday"
    return f"since {at:%A} {at.day} {at:%B}"


def _photo_name(item: Notification) -> str:
    caption = " ".join((item.photo.caption if item.photo else "").split())
    if not caption:
        return "a photo"
    if len(caption) > CAPTION_MAX:
        caption = caption[: CAPTION_MAX - 1].rstrip() + "…"
    return f"“{caption}”"


def _album_name(item: Notification) -> str:
    title = " ".join((item.album.title if item.album else "").split())
    if len(title) > CAPTION_MAX:
        title = title[: CAPTION_MAX - 1].rstrip() + "…"
    return f"“{title}”"


def _line(settings: Settings, item: Notification) -> str:
    who = item.actor_display or item.actor
    if item.kind == "album":
        what = f"{who} added you to the album {_album_name(item)}"
        return f"- {what}\n  {settings.public_url}/albums/{item.album_id}"
    if item.kind == "album_photos":
        count = _plural(item.photo_count or 0, "photo")
        what = f"{who} added {count} to the album {_album_name(item)}"
        return f"- {what}\n  {settings.public_url}/albums/{item.album_id}"
    if item.kind == "comment":
        what = f"{who} commented on {_photo_name(item)}: “{item.excerpt}”"
    else:
        what = f"{who} liked {_photo_name(item)}"
    return f"- {what}\n  {settings.public_url}/photos/{item.photo_id}"


def digest_mail(
    settings: Settings, user: User, items: list[Notification], period: str
) -> EmailMessage:
    site = site_name(settings)
    comments = sum(1 for item in items if item.kind == "comment")
    likes = sum(1 for item in items if item.kind == "like")
    albums = sum(1 for item in items if item.kind == "album")
    added_to = len({item.album_id for item in items if item.kind == "album_photos"})
    told = news(comments, likes, albums, added_to)
    told = told[:1].upper() + told[1:]  # "New photos in 1 album"; numbers stay as they are
    lines = "\n".join(_line(settings, item) for item in items[:LINES_MAX])
    more = len(items) - LINES_MAX
    if more > 0:
        lines += f"\n- and {more} more: {settings.public_url}{NOTIFICATIONS_PATH}"
    body = f"""Hello {user.display_name or user.username},

{told} {period}:

{lines}

All your notifications: {settings.public_url}{NOTIFICATIONS_PATH}

You get this summary at most once a day, when there is something new. To stop it, untick
"E-mail me a daily summary" on your settings page:
{settings.public_url}/settings

The photo archive at {site}
"""
    return compose(settings, user.email, f"{told} ({site})", body)


# --- sending ------------------------------------------------------------------------------


async def due(svc: Services) -> list[State]:
    """Those whose digest is on, whose last one is a day old (or who never had one), and who
    have an unread notification newer than it (whether they may see it is asked later)."""
    now = clock.now()
    rows = await svc.db.fetchall(
        "SELECT d.user_id, d.enabled_at, d.sent_at, d.through_id, d.comments, d.likes"
        " FROM digests d WHERE d.enabled = ? AND (d.sent_at IS NULL OR d.sent_at <= ?)"
        " AND EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = d.user_id"
        " AND n.id > d.through_id AND n.read_at IS NULL) ORDER BY d.user_id",
        (1, _iso(now - INTERVAL_SECONDS)),
    )
    return [_state(row) for row in rows]


async def _claim(svc: Services, state: State, claim: State) -> bool:
    """Move the row from `state` to `claim`, unless someone moved it first (or turned the
    digest off): True for the one process that may send."""
    assert claim.sent_at is not None
    async with svc.db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE digests SET sent_at = ?, through_id = ?, comments = ?, likes = ?"
            " WHERE user_id = ? AND enabled = ? AND through_id = ?"
            " AND (sent_at IS NULL OR sent_at <= ?)",
            (
                claim.sent_at,
                claim.through_id,
                claim.comments,
                claim.likes,
                state.user_id,
                1,
                state.through_id,
                _iso(_moment(claim.sent_at).timestamp() - INTERVAL_SECONDS),
            ),
        )
    return changed == 1


async def _give_back(svc: Services, state: State, claim: State) -> None:
    """Undo a claim whose mail was not sent, if the row is still as the claim left it."""
    await svc.db.execute(
        "UPDATE digests SET sent_at = ?, through_id = ?, comments = ?, likes = ?"
        " WHERE user_id = ? AND sent_at = ? AND through_id = ?",
        (
            state.sent_at,
            state.through_id,
            state.comments,
            state.likes,
            state.user_id,
            claim.sent_at,
            claim.through_id,
        ),
    )


async def send_one(svc: Services, state: State) -> bool:
    """Send the person's digest if there is news and this process claims it; True if sent."""
    user = await users.by_id(svc.db, state.user_id)
    if user is None:
        return False
    items = await news_for(svc, user, state.through_id)
    if not items:
        return False
    now = clock.now()
    start = max(state.enabled_at, state.sent_at or state.enabled_at)
    zone = time_zones.zone_of_days(
        await time_zones.time_zone_of(svc.db, user.id), svc.settings.timezone
    )
    message = digest_mail(svc.settings, user, items, since(start, now, zone))
    claim = State(
        state.user_id,
        state.enabled_at,
        _iso(now),
        max(item.id for item in items),
        sum(1 for item in items if item.kind == "comment"),
        sum(1 for item in items if item.kind == "like"),
    )
    if not await _claim(svc, state, claim):
        return False
    try:
        await svc.mail.send(message)
    except MailFailed as exc:
        log.warning("The daily digest for %s was not sent (%s); trying again later.", user.id, exc)
        await _give_back(svc, state, claim)
        return False
    return True


async def send_due(svc: Services) -> int:
    """One pass: every digest due now; returns how many were sent."""
    if not svc.mail.configured:
        return 0
    sent = 0
    for state in await due(svc):
        try:
            if await send_one(svc, state):
                sent += 1
        except Exception:  # one person's summary: the others' are still sent
            log.exception("The daily digest for %s failed; the others go on.", state.user_id)
    return sent


async def run(svc: Services) -> None:
    """Send digests as they fall due, from the start of the server until it stops."""
    if not svc.mail.configured:
        return
    while True:
        try:
            sent = await send_due(svc)
        except Exception:
            log.exception("Sending the daily digests failed; trying again later.")
        else:
            if sent:
                log.info("daily digests sent: %d", sent)
        await asyncio.sleep(WAKE_SECONDS)
