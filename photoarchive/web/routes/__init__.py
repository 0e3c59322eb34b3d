"""The HTML pages, one module per area: feed, photos, comments, upload, auth (sign-in, sign-up
and emailed codes), settings, admin, health. Each names its handlers in `HANDLERS`."""

from __future__ import annotations

from photoarchive.web.routes import admin, auth, comments, feed, health, photos, settings, upload

PAGE_HANDLERS = [
    *health.HANDLERS,
    *feed.HANDLERS,
    *photos.HANDLERS,
    *comments.HANDLERS,
    *upload.HANDLERS,
    *auth.HANDLERS,
    *settings.HANDLERS,
    *admin.HANDLERS,
]
