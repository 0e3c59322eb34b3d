"""The HTML pages, one module per area: feed, photos, comments, upload, auth (sign-in, sign-up
and emailed codes), resets (password-reset links), settings, admin, notifications, health, shares (links for people
with no account). Each names its handlers in `HANDLERS`."""

from __future__ import annotations

from photoarchive.web.routes import (
    admin,
    auth,
    comments,
    feed,
    health,
    icons,
    notifications,
    photos,
    resets,
    settings,
    shares,
    upload,
)

PAGE_HANDLERS = [
    *health.HANDLERS,
    *icons.HANDLERS,
    *feed.HANDLERS,
    *photos.HANDLERS,
    *comments.HANDLERS,
    *upload.HANDLERS,
    *auth.HANDLERS,
    *resets.HANDLERS,
    *settings.HANDLERS,
    *admin.HANDLERS,
    *notifications.HANDLERS,
    *shares.HANDLERS,
]
