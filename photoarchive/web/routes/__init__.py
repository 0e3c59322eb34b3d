"""The HTML pages, one module per area: feed, photos, albums, collections (one's favorites and
archive), comments, downloads (a zip of chosen photos), upload, auth (sign-in, sign-up and
emailed codes), resets (password-reset links), email_changes (a new email's link), settings,
admin, notifications, trash, search, timeline, places (and the map), health. Each names its
handlers in `HANDLERS`."""

from __future__ import annotations

from photoarchive.web.routes import (
    admin,
    albums,
    auth,
    collections,
    comments,
    downloads,
    email_changes,
    feed,
    health,
    icons,
    notifications,
    photo_fixes,
    photos,
    places,
    resets,
    search,
    settings,
    shares,
    timeline,
    trash,
    upload,
)

PAGE_HANDLERS = [
    *health.HANDLERS,
    *icons.HANDLERS,
    *feed.HANDLERS,
    *photos.HANDLERS,
    *photo_fixes.HANDLERS,
    *albums.HANDLERS,
    *collections.HANDLERS,
    *comments.HANDLERS,
    *upload.HANDLERS,
    *auth.HANDLERS,
    *resets.HANDLERS,
    *email_changes.HANDLERS,
    *settings.HANDLERS,
    *admin.HANDLERS,
    *notifications.HANDLERS,
    *shares.HANDLERS,
    *trash.HANDLERS,
    *downloads.HANDLERS,
    *search.HANDLERS,
    *places.HANDLERS,
    *timeline.HANDLERS,
]
