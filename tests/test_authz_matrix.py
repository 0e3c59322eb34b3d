"""Who may do what: every route against a guest, another user, the owner and an admin.

The table below is the specification. Every route in the app's route table needs a row (a
new route without one fails `test_every_route_has_a_row`), and every row is exercised with
public viewing off and on. Each request is made by a freshly signed-in client, against
fresh resources where the request destroys them; a refused request, and any GET, must
leave the database rows, the blobs and the temp dir exactly as they were.
"""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from photoarchive.app import create_app
from tests.state import snapshot
from tests.support import PASSWORD, LiveServer, csrf, live_server, make_settings, parse

ROLES = ("guest", "other", "owner", "admin")
SHARE_PASSWORD = "the matrix's link"
SKIPPED_METHODS = {"OPTIONS", "HEAD"}  # answered by the framework itself

# Columns: guest with public view off, guest with public view on, another signed-in user,
# the owner of the photo / comment / session / profile in the path, an administrator.
# Page routes are driven like a browser (session cookie and CSRF token), /api with a Bearer
# token. 303 for a guest on a page GET is the redirect to /login.
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    # health, static files, API documentation: public by nature
    ("GET", "/healthz"): (200, 200, 200, 200, 200),
    ("GET", "/readyz"): (200, 200, 200, 200, 200),
    ("GET", "/favicon.ico"): (200, 200, 200, 200, 200),
    ("GET", "/static/{file_path:path}"): (200, 200, 200, 200, 200),
    ("GET", "/schema"): (200, 200, 200, 200, 200),
    ("GET", "/schema/swagger"): (200, 200, 200, 200, 200),
    ("GET", "/schema/{path:str}"): (200, 200, 200, 200, 200),
    ("GET", "/schema/openapi.json"): (200, 200, 200, 200, 200),
    # reading: guests only with public view on
    ("GET", "/"): (303, 200, 200, 200, 200),
    ("POST", "/welcome/hide"): (401, 401, 303, 303, 303),
    ("GET", "/photos/{photo_id:int}"): (303, 200, 200, 200, 200),
    ("GET", "/batches/{batch_id:int}"): (303, 200, 200, 200, 200),
    ("POST", "/batches/{batch_id:int}/caption"): (401, 401, 403, 303, 403),
    ("GET", "/photos/{photo_id:int}/comments"): (303, 200, 200, 200, 200),
    ("GET", "/u/{username:str}"): (303, 200, 200, 200, 200),
    ("GET", "/media/{photo_id:int}/{name:str}"): (401, 200, 200, 200, 200),
    # the same route's renditions (RENDITION_ROWS), which web/media_door.py answers first
    ("GET", "/media/{photo_id:int}/thumbnail"): (401, 200, 200, 200, 200),
    ("GET", "/media/{photo_id:int}/preview"): (401, 200, 200, 200, 200),
    ("GET", "/events"): (401, 200, 200, 200, 200),
    # one's own notifications: signed in only, whatever the archive shows guests
    ("GET", "/notifications"): (303, 303, 200, 200, 200),
    ("GET", "/notifications/badge"): (303, 303, 200, 200, 200),
    # acting on photos: signed in; captions are the owner's, deletion the owner's or an admin's
    ("POST", "/photos/{photo_id:int}/like"): (401, 401, 303, 303, 303),
    ("POST", "/photos/{photo_id:int}/comments"): (401, 401, 303, 303, 303),
    ("POST", "/comments/{comment_id:int}/delete"): (401, 401, 403, 303, 403),
    ("POST", "/photos/{photo_id:int}/caption"): (401, 401, 403, 303, 403),
    ("POST", "/photos/{photo_id:int}/visibility"): (401, 401, 403, 303, 403),
    ("POST", "/photos/{photo_id:int}/delete"): (401, 401, 403, 303, 303),
    # favorites are anyone's own, of any photo they may see; archiving is the owner's
    ("POST", "/photos/{photo_id:int}/favorite"): (401, 401, 303, 303, 303),
    ("POST", "/photos/{photo_id:int}/archive"): (401, 401, 403, 303, 403),
    # turning a photo and setting its date taken are the owner's
    ("POST", "/photos/{photo_id:int}/rotation"): (401, 401, 403, 303, 403),
    ("POST", "/photos/{photo_id:int}/taken"): (401, 401, 403, 303, 403),
    ("GET", "/favorites"): (303, 303, 200, 200, 200),
    ("GET", "/archive"): (303, 303, 200, 200, 200),
    ("GET", "/upload"): (303, 303, 200, 200, 200),
    ("POST", "/upload"): (401, 401, 201, 201, 201),
    # accounts
    ("GET", "/login"): (200, 200, 303, 303, 303),
    ("POST", "/login"): (303, 303, 303, 303, 303),
    ("GET", "/signup"): (200, 200, 200, 200, 200),
    ("POST", "/signup"): (303, 303, 303, 303, 303),
    ("POST", "/logout"): (303, 303, 303, 303, 303),
    ("GET", "/confirm"): (404, 404, 404, 404, 404),
    ("POST", "/confirm"): (404, 404, 404, 404, 404),
    ("POST", "/confirm/resend"): (404, 404, 404, 404, 404),
    # /forgot: where to get a reset link; mailing one needs PHOTOARCHIVE_SMTP_URL
    ("GET", "/forgot"): (200, 200, 200, 200, 200),
    ("POST", "/forgot"): (404, 404, 404, 404, 404),
    ("GET", "/reset"): (404, 404, 404, 404, 404),
    ("POST", "/reset"): (404, 404, 404, 404, 404),
    ("GET", "/settings"): (303, 303, 200, 200, 200),
    ("POST", "/settings/profile"): (401, 401, 303, 303, 303),
    ("POST", "/settings/email-change/cancel"): (401, 401, 303, 303, 303),
    ("POST", "/settings/time-zone"): (401, 401, 303, 303, 303),
    ("POST", "/settings/visibility"): (401, 401, 303, 303, 303),
    # the daily digest is offered only with a mail server, which this matrix's archive lacks
    ("POST", "/settings/digest"): (401, 401, 409, 409, 409),
    ("POST", "/settings/password"): (401, 401, 422, 422, 422),
    # places: a guest reads the places others show, where guests may look; the map is one's own
    ("POST", "/settings/places"): (401, 401, 303, 303, 303),
    ("GET", "/places"): (303, 200, 200, 200, 200),
    ("GET", "/map"): (303, 303, 200, 200, 200),
    ("GET", "/api/v1/places"): (401, 200, 200, 200, 200),
    ("GET", "/api/v1/map"): (401, 401, 200, 200, 200),
    ("POST", "/settings/sessions/{session_id:int}/end"): (401, 401, 404, 303, 404),
    ("POST", "/settings/sessions/end-others"): (401, 401, 303, 303, 303),
    # administration
    ("GET", "/admin"): (303, 303, 403, 403, 200),
    ("POST", "/admin/invites"): (401, 401, 403, 403, 200),
    ("POST", "/admin/invites/{invite_id:int}/withdraw"): (401, 401, 403, 403, 303),
    ("POST", "/admin/users/{username:str}/{action:str}"): (401, 401, 403, 403, 303),
    ("POST", "/admin/reset-links/{username:str}"): (401, 401, 403, 403, 200),
    ("POST", "/admin/quotas/{username:str}"): (401, 401, 403, 403, 303),
    ("GET", "/api/v1/admin/users"): (401, 401, 403, 403, 200),
    ("PATCH", "/api/v1/admin/users/{username:str}"): (401, 401, 403, 403, 200),
    # a password-reset link: its holder may use it, signed in or not (it signs them out)
    ("GET", "/password-reset/{token:str}"): (200, 200, 200, 200, 200),
    ("POST", "/password-reset/{token:str}"): (303, 303, 303, 303, 303),
    # a new email's link: only where the archive can mail, which this matrix's archive cannot
    # (its holders, signed in or not, in tests/test_email_change.py)
    ("GET", "/email-confirm/{token:str}"): (404, 404, 404, 404, 404),
    ("POST", "/email-confirm/{token:str}"): (404, 404, 404, 404, 404),
    # JSON API
    ("POST", "/api/v1/auth/signup"): (201, 201, 201, 201, 201),
    ("POST", "/api/v1/auth/login"): (200, 200, 200, 200, 200),
    ("POST", "/api/v1/auth/confirm"): (404, 404, 404, 404, 404),
    ("POST", "/api/v1/auth/logout"): (401, 401, 204, 204, 204),
    ("GET", "/api/v1/me"): (401, 401, 200, 200, 200),
    # one's own API tokens: the owner is the person whose token is in the path
    ("GET", "/api/v1/tokens"): (401, 401, 200, 200, 200),
    ("DELETE", "/api/v1/tokens/{token_id:int}"): (401, 401, 404, 204, 404),
    ("GET", "/api/v1/photos"): (401, 200, 200, 200, 200),
    ("POST", "/api/v1/photos"): (401, 401, 201, 201, 201),
    ("GET", "/api/v1/photos/{photo_id:int}"): (401, 200, 200, 200, 200),
    ("GET", "/api/v1/batches/{batch_id:int}"): (401, 200, 200, 200, 200),
    ("PATCH", "/api/v1/batches/{batch_id:int}"): (401, 401, 403, 200, 403),
    ("PATCH", "/api/v1/photos/{photo_id:int}"): (401, 401, 403, 200, 403),
    ("DELETE", "/api/v1/photos/{photo_id:int}"): (401, 401, 403, 204, 204),
    ("GET", "/api/v1/photos/{photo_id:int}/comments"): (401, 200, 200, 200, 200),
    ("POST", "/api/v1/photos/{photo_id:int}/comments"): (401, 401, 201, 201, 201),
    ("PUT", "/api/v1/photos/{photo_id:int}/like"): (401, 401, 200, 200, 200),
    ("DELETE", "/api/v1/photos/{photo_id:int}/like"): (401, 401, 200, 200, 200),
    ("PUT", "/api/v1/photos/{photo_id:int}/favorite"): (401, 401, 200, 200, 200),
    ("DELETE", "/api/v1/photos/{photo_id:int}/favorite"): (401, 401, 200, 200, 200),
    ("GET", "/api/v1/favorites"): (401, 401, 200, 200, 200),
    # search: a read, of what each viewer may see (tests/test_search.py says what matches)
    ("GET", "/search"): (303, 200, 200, 200, 200),
    ("GET", "/api/v1/search"): (401, 200, 200, 200, 200),
    # the timeline and memories: what the viewer may see, as the feed
    ("GET", "/timeline"): (303, 200, 200, 200, 200),
    ("GET", "/api/v1/timeline"): (401, 200, 200, 200, 200),
    ("GET", "/api/v1/timeline/buckets"): (401, 200, 200, 200, 200),
    ("GET", "/api/v1/memories"): (401, 200, 200, 200, 200),
    # one action on many photos: each photo decided alone, as in tests/test_authz_bulk.py
    ("POST", "/api/v1/photos/bulk"): (401, 401, 200, 200, 200),
    ("DELETE", "/api/v1/comments/{comment_id:int}"): (401, 401, 403, 204, 403),
    ("GET", "/api/v1/users/{username:str}"): (401, 200, 200, 200, 200),
    ("GET", "/api/v1/users/{username:str}/photos"): (401, 200, 200, 200, 200),
    ("GET", "/api/v1/notifications"): (401, 401, 200, 200, 200),
    ("POST", "/api/v1/notifications/read"): (401, 401, 200, 200, 200),
    # share links: one's own (the owner's link in the path is 404 to anyone else); the link
    # in /s/ paths is the owner's, with a password no column's client has typed, so only its
    # page (the password form) and the form's post (with the password) answer; every other
    # column of a link's holder is in tests/test_authz_shares.py
    ("POST", "/shares"): (401, 401, 422, 303, 422),
    ("POST", "/shares/{share_id:int}/revoke"): (401, 401, 404, 303, 404),
    ("POST", "/api/v1/shares"): (401, 401, 422, 201, 422),
    ("GET", "/api/v1/shares"): (401, 401, 200, 200, 200),
    ("PATCH", "/api/v1/shares/{share_id:int}"): (401, 401, 404, 200, 404),
    ("DELETE", "/api/v1/shares/{share_id:int}"): (401, 401, 404, 204, 404),
    ("GET", "/s/{share_token:str}"): (200, 200, 200, 200, 200),
    ("POST", "/s/{share_token:str}/unlock"): (303, 303, 303, 303, 303),
    ("GET", "/s/{share_token:str}/media/{photo_id:int}/{name:str}"): (401, 401, 401, 401, 401),
    ("GET", "/s/{share_token:str}/download"): (401, 401, 401, 401, 401),
    ("GET", "/api/v1/s/{share_token:str}"): (401, 401, 401, 401, 401),
    # albums: signed in only; an album is 404 to anyone but its members, an admin included
    # ("owner" owns the album in the path; tests/test_authz_albums.py adds its other roles)
    ("GET", "/albums"): (303, 303, 200, 200, 200),
    ("POST", "/albums"): (401, 401, 303, 303, 303),
    ("GET", "/albums/{album_id:int}"): (303, 303, 404, 200, 404),
    ("POST", "/albums/{album_id:int}/edit"): (401, 401, 404, 303, 404),
    ("GET", "/albums/{album_id:int}/cover"): (303, 303, 404, 200, 404),
    ("POST", "/albums/{album_id:int}/delete"): (401, 401, 404, 303, 404),
    ("POST", "/albums/{album_id:int}/members"): (401, 401, 404, 303, 404),
    ("POST", "/albums/{album_id:int}/members/{username:str}/remove"): (401, 401, 404, 303, 404),
    ("POST", "/albums/{album_id:int}/photos/remove"): (401, 401, 404, 303, 404),
    ("POST", "/photos/{photo_id:int}/albums"): (401, 401, 404, 303, 404),
    ("POST", "/api/v1/albums"): (401, 401, 201, 201, 201),
    ("GET", "/api/v1/albums"): (401, 401, 200, 200, 200),
    ("GET", "/api/v1/albums/{album_id:int}"): (401, 401, 404, 200, 404),
    ("PATCH", "/api/v1/albums/{album_id:int}"): (401, 401, 404, 200, 404),
    ("DELETE", "/api/v1/albums/{album_id:int}"): (401, 401, 404, 204, 404),
    ("GET", "/api/v1/albums/{album_id:int}/photos"): (401, 401, 404, 200, 404),
    ("POST", "/api/v1/albums/{album_id:int}/photos"): (401, 401, 404, 200, 404),
    ("POST", "/api/v1/albums/{album_id:int}/photos/remove"): (401, 401, 404, 200, 404),
    ("PUT", "/api/v1/albums/{album_id:int}/members/{username:str}"): (401, 401, 404, 200, 404),
    ("DELETE", "/api/v1/albums/{album_id:int}/members/{username:str}"): (401, 401, 404, 204, 404),
    ("PUT", "/api/v1/albums/{album_id:int}/owner"): (401, 401, 404, 204, 404),
    ("GET", "/api/v1/albums/{album_id:int}/download"): (401, 401, 404, 200, 404),
    # the trash: everyone's own; a photo in the path is in the owner's trash, so it is 404 to
    # anyone else, an administrator who deleted it included
    ("GET", "/trash"): (303, 303, 200, 200, 200),
    ("POST", "/trash/empty"): (401, 401, 303, 303, 303),
    ("POST", "/trash/{photo_id:int}/restore"): (401, 401, 404, 303, 404),
    ("POST", "/trash/{photo_id:int}/delete"): (401, 401, 404, 303, 404),
    ("GET", "/api/v1/trash"): (401, 401, 200, 200, 200),
    ("POST", "/api/v1/trash/restore"): (401, 401, 200, 200, 200),
    ("POST", "/api/v1/trash/empty"): (401, 401, 200, 200, 200),
    ("DELETE", "/api/v1/trash/{photo_id:int}"): (401, 401, 404, 204, 404),
    # a zip of chosen photos: a read, so a guest's too under public view; a photo the asker
    # may not see is left out of it (tests/test_downloads.py reads what is inside)
    ("POST", "/downloads"): (401, 200, 200, 200, 200),
    ("POST", "/api/v1/downloads"): (401, 200, 200, 200, 200),
}

# The same routes, on a private photo of the owner's (its batch, a comment on it): nobody else
# may learn it is there, an administrator included, so every one of them is 404 but for the
# owner; the sign-in checks still come first (303 and 401 for a guest of a closed archive).
PRIVATE_MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("GET", "/photos/{photo_id:int}"): (303, 404, 404, 200, 404),
    ("GET", "/batches/{batch_id:int}"): (303, 404, 404, 200, 404),
    ("POST", "/batches/{batch_id:int}/caption"): (401, 401, 404, 303, 404),
    ("GET", "/photos/{photo_id:int}/comments"): (303, 404, 404, 200, 404),
    ("GET", "/media/{photo_id:int}/{name:str}"): (401, 404, 404, 200, 404),
    ("GET", "/media/{photo_id:int}/thumbnail"): (401, 404, 404, 200, 404),
    ("GET", "/media/{photo_id:int}/preview"): (401, 404, 404, 200, 404),
    ("POST", "/photos/{photo_id:int}/like"): (401, 401, 404, 303, 404),
    ("POST", "/photos/{photo_id:int}/comments"): (401, 401, 404, 303, 404),
    ("POST", "/comments/{comment_id:int}/delete"): (401, 401, 404, 303, 404),
    ("POST", "/photos/{photo_id:int}/caption"): (401, 401, 404, 303, 404),
    ("POST", "/photos/{photo_id:int}/visibility"): (401, 401, 404, 303, 404),
    ("POST", "/photos/{photo_id:int}/delete"): (401, 401, 404, 303, 404),
    ("GET", "/api/v1/photos/{photo_id:int}"): (401, 404, 404, 200, 404),
    ("GET", "/api/v1/batches/{batch_id:int}"): (401, 404, 404, 200, 404),
    ("PATCH", "/api/v1/batches/{batch_id:int}"): (401, 401, 404, 200, 404),
    ("PATCH", "/api/v1/photos/{photo_id:int}"): (401, 401, 404, 200, 404),
    ("DELETE", "/api/v1/photos/{photo_id:int}"): (401, 401, 404, 204, 404),
    ("GET", "/api/v1/photos/{photo_id:int}/comments"): (401, 404, 404, 200, 404),
    ("POST", "/api/v1/photos/{photo_id:int}/comments"): (401, 401, 404, 201, 404),
    ("PUT", "/api/v1/photos/{photo_id:int}/like"): (401, 401, 404, 200, 404),
    ("DELETE", "/api/v1/photos/{photo_id:int}/like"): (401, 401, 404, 200, 404),
    ("PUT", "/api/v1/photos/{photo_id:int}/favorite"): (401, 401, 404, 200, 404),
    ("DELETE", "/api/v1/photos/{photo_id:int}/favorite"): (401, 401, 404, 200, 404),
    ("POST", "/photos/{photo_id:int}/favorite"): (401, 401, 404, 303, 404),
    ("POST", "/photos/{photo_id:int}/archive"): (401, 401, 404, 303, 404),
    ("POST", "/photos/{photo_id:int}/rotation"): (401, 401, 404, 303, 404),
    ("POST", "/photos/{photo_id:int}/taken"): (401, 401, 404, 303, 404),
    ("DELETE", "/api/v1/comments/{comment_id:int}"): (401, 401, 404, 204, 404),
    ("GET", "/s/{share_token:str}/media/{photo_id:int}/{name:str}"): (401, 401, 401, 401, 401),
    ("POST", "/photos/{photo_id:int}/albums"): (401, 401, 404, 303, 404),
    ("POST", "/trash/{photo_id:int}/restore"): (401, 401, 404, 303, 404),
    ("POST", "/trash/{photo_id:int}/delete"): (401, 401, 404, 303, 404),
    ("DELETE", "/api/v1/trash/{photo_id:int}"): (401, 401, 404, 204, 404),
}

# Rows of one route for some of its paths: a photo's thumbnail and preview, asked for as a
# browser does (a plain GET with the session cookie), which the renditions' front door
# (web/media_door.py) answers before the framework when it may; the route's own row asks for
# the original, which only the framework answers. The same answers show that both decide alike.
RENDITION_ROWS = {
    ("GET", "/media/{photo_id:int}/thumbnail"): ("GET", "/media/{photo_id:int}/{name:str}"),
    ("GET", "/media/{photo_id:int}/preview"): ("GET", "/media/{photo_id:int}/{name:str}"),
}

# Requests that end sessions: made by a client of their own, after which the role's shared
# clients sign in again.
SESSION_ENDERS = {
    ("POST", "/logout"),
    ("POST", "/login"),
    ("POST", "/signup"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/settings/sessions/end-others"),
    ("POST", "/password-reset/{token:str}"),
}
# Requests that take a fresh target each time, because an allowed one destroys it.
FRESH_PHOTO = {"/photos/{photo_id:int}/delete", "/api/v1/photos/{photo_id:int}"}
# A new photo of the owner's, in their trash (an allowed request restores or purges it).
FRESH_TRASHED = {
    "/trash/{photo_id:int}/restore",
    "/trash/{photo_id:int}/delete",
    "/api/v1/trash/{photo_id:int}",
}
FRESH_COMMENT = {"/comments/{comment_id:int}/delete", "/api/v1/comments/{comment_id:int}"}
FRESH_ALBUM = {
    "/albums/{album_id:int}/delete",
    "/api/v1/albums/{album_id:int}",
    "/api/v1/albums/{album_id:int}/owner",  # an allowed request hands it to someone else
}
# A member of the album to remove (or to give a role): a new account each time.
FRESH_MEMBER = {
    "/albums/{album_id:int}/members/{username:str}/remove",
    "/api/v1/albums/{album_id:int}/members/{username:str}",
}


def jpeg() -> bytes:
    """A small JPEG of noise: different bytes every time, so no upload is a duplicate."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (24, 16), os.urandom(24 * 16 * 3)).save(buffer, "JPEG")
    return buffer.getvalue()


def app_routes(settings: Any) -> set[tuple[str, str]]:
    app = create_app(settings)
    return {
        (method, route.path)
        for route in app.routes
        for method in (getattr(route, "methods", None) or ())
        if method not in SKIPPED_METHODS
    }


@dataclass
class World:
    server: LiveServer
    public_view: bool
    family_photo_id: int = 0
    private_photo_id: int = 0
    private: bool = False  # acting on the owner's private photos (PRIVATE_MATRIX)
    album_id: int = 0  # the owner's album, with `album_members` in it
    album_members: tuple[tuple[str, str], ...] = ()  # (username, role)
    names: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    clients: dict[tuple[str, bool], httpx.Client] = field(default_factory=dict)

    # --- people ------------------------------------------------------------------------

    def client(self, role: str, *, api: bool, fresh: bool = False) -> httpx.Client:
        """A signed-in client for the role (a guest's has only the CSRF cookie)."""
        if fresh:
            for key in [k for k in self.clients if k[0] == role]:
                del self.clients[key]  # its session may be about to end
            return self.script(role) if api else self.browser(role)
        if (role, api) not in self.clients:
            self.clients[(role, api)] = self.script(role) if api else self.browser(role)
        return self.clients[(role, api)]

    def browser(self, role: str) -> httpx.Client:
        client = self.server.client()
        csrf(client)
        if role != "guest":
            response = client.post(
                "/login",
                data={"login": role, "password": PASSWORD, "_csrf_token": csrf(client)},
            )
            assert response.status_code == 303, response.text
        return client

    def script(self, role: str) -> httpx.Client:
        client = self.server.client()
        if role != "guest":
            response = client.post("/api/v1/auth/login", json={"login": role, "password": PASSWORD})
            assert response.status_code == 200, response.text
            client.headers["Authorization"] = f"Bearer {response.json()['token']}"
        return client

    def owner(self) -> httpx.Client:
        return self.client("owner", api=True)

    # --- things to act on --------------------------------------------------------------

    @property
    def photo_id(self) -> int:
        return self.private_photo_id if self.private else self.family_photo_id

    def visibility(self) -> dict[str, str]:
        return {"visibility": "private" if self.private else "family"}

    def new_photo(self) -> int:
        response = self.owner().post(
            "/api/v1/photos", files=[("file", ("p.jpg", jpeg()))], data=self.visibility()
        )
        assert response.status_code == 201, response.text
        return response.json()["items"][0]["id"]

    def new_trashed(self) -> int:
        photo_id = self.new_photo()
        assert self.owner().delete(f"/api/v1/photos/{photo_id}").status_code == 204
        return photo_id

    def new_batch(self) -> int:
        """Two photos sent in one request: one batch of the owner's."""
        files = [("file", ("a.jpg", jpeg())), ("file", ("b.jpg", jpeg()))]
        response = self.owner().post("/api/v1/photos", files=files, data=self.visibility())
        assert response.status_code == 201, response.text
        with self.server.db() as conn:
            batch: int = conn.execute("SELECT MAX(id) FROM photo_batches").fetchone()[0]
        return batch

    def new_album(self) -> int:
        made = self.owner().post("/api/v1/albums", json={"title": "the owner's album"})
        assert made.status_code == 201, made.text
        album_id: int = made.json()["id"]
        for name, role in self.album_members:
            self.add_member(album_id, name, role)
        return album_id

    def add_member(self, album_id: int, name: str, role: str = "viewer") -> str:
        put = self.owner().put(f"/api/v1/albums/{album_id}/members/{name}", json={"role": role})
        assert put.status_code == 200, put.text
        return name

    def new_share(self) -> tuple[int, str]:
        """A new password link of the owner's to the photo in the path: (id, token)."""
        made = self.owner().post(
            "/api/v1/shares",
            json={"photo_ids": [self.photo_id], "password": SHARE_PASSWORD, "allow_download": True},
        )
        assert made.status_code == 201, made.text
        return made.json()["id"], made.json()["token"]

    def new_comment(self) -> int:
        response = self.owner().post(
            f"/api/v1/photos/{self.photo_id}/comments", json={"text": "the owner's comment"}
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def new_owner_session(self) -> int:
        self.script("owner")
        with self.server.db() as conn:
            return conn.execute(
                "SELECT MAX(s.id) FROM sessions s JOIN users u ON u.id = s.user_id"
                " WHERE u.username = 'owner'"
            ).fetchone()[0]

    def new_user(self) -> str:
        name = f"extra{next(self.names)}"
        response = self.server.client().post(
            "/api/v1/auth/signup",
            json={"username": name, "email": f"{name}@example.org", "password": PASSWORD},
        )
        assert response.status_code == 201, response.text
        return name

    def new_reset_token(self) -> str:
        """The token of a new password-reset link, for a new account."""
        admin = self.client("admin", api=False)
        made = admin.post(
            f"/admin/reset-links/{self.new_user()}", data={"_csrf_token": csrf(admin)}
        )
        assert made.status_code == 200, made.text
        (link,) = parse(made.text).find_all("input", id="reset-url")
        return str(link["value"]).rsplit("/", 1)[1]

    def new_invite(self) -> int:
        """The id of a new pending invitation the administrator makes."""
        admin = self.client("admin", api=False)
        made = admin.post("/admin/invites", data={"_csrf_token": csrf(admin)})
        assert made.status_code == 200, made.text
        forms = parse(made.text).find_all("form")
        withdraw = [str(f["action"]) for f in forms if str(f.get("action")).endswith("/withdraw")]
        return int(withdraw[0].split("/")[3])  # the newest comes first

    def fresh_name(self) -> str:
        return f"new{next(self.names)}"


def path_values(world: World, path: str) -> dict[str, str]:
    photo_id = world.photo_id
    if path in FRESH_PHOTO:
        photo_id = world.new_photo()
    elif path in FRESH_TRASHED:
        photo_id = world.new_trashed()
    values = {
        "photo_id": str(photo_id),
        "username": "owner",
        "name": "original",
        "file_path": "css/app.css",
        "path": "swagger",
        "action": "disable",
    }
    if "{batch_id" in path:
        values["batch_id"] = str(world.new_batch())
    if "{comment_id" in path:
        values["comment_id"] = str(world.new_comment())
    if "{session_id" in path:
        values["session_id"] = str(world.new_owner_session())
    if "{token_id" in path:
        values["token_id"] = str(world.new_owner_session())
    if path.startswith(("/admin/users/", "/admin/quotas/", "/api/v1/admin/users/")):
        values["username"] = world.new_user()
    if "{share_id" in path or "{share_token" in path:
        values["share_id"], values["share_token"] = (str(v) for v in world.new_share())
    if "{invite_id" in path:
        values["invite_id"] = str(world.new_invite())
    if "{token:" in path:
        values["token"] = world.new_reset_token()
    if "{album_id" in path:
        values["album_id"] = str(world.new_album() if path in FRESH_ALBUM else world.album_id)
    if path in FRESH_MEMBER:
        values["username"] = world.add_member(world.album_id, world.new_user())
    return values


def fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        for kind in ("int", "str", "path"):
            path = path.replace(f"{{{name}:{kind}}}", value)
    return path


def body(world: World, method: str, path: str, role: str) -> dict[str, Any]:
    """Keyword arguments for the request: a valid body, so only permission decides."""
    if path in ("/upload", "/api/v1/photos") and method == "POST":
        return {"files": [("file", ("up.jpg", jpeg()))], "data": {"caption": "matrix"}}
    if path in ("/login", "/api/v1/auth/login") and method == "POST":
        return {"data": {"login": "owner", "password": PASSWORD}}
    if path in ("/signup", "/api/v1/auth/signup"):
        name = world.fresh_name()
        return {"data": {"username": name, "email": f"{name}@example.org", "password": PASSWORD}}
    if path == "/settings/profile":
        email = f"{role}@example.org"
        return {"data": {"display_name": f"{role} renamed", "email": email}}
    if path == "/settings/password":  # refused for the mismatch, after the permission check
        return {
            "data": {
                "current_password": PASSWORD,
                "new_password": "x" * 12,
                "new_password_again": "",
            }
        }
    forms = {
        "/photos/{photo_id:int}/like": {"liked": "1"},
        "/photos/{photo_id:int}/favorite": {"favorite": "1"},
        "/photos/{photo_id:int}/archive": {"archived": "1"},
        "/photos/{photo_id:int}/rotation": {"turn": "right"},
        "/photos/{photo_id:int}/taken": {"taken_at": "2024-07-01T14:03"},
        "/photos/{photo_id:int}/comments": {"text": "a comment"},
        "/photos/{photo_id:int}/caption": {"caption": "a caption"},
        "/batches/{batch_id:int}/caption": {"caption": "a caption"},
        "/api/v1/batches/{batch_id:int}": {"caption": "a caption"},
        "/photos/{photo_id:int}/visibility": world.visibility(),
        "/settings/visibility": {"visibility": "family"},
        "/api/v1/photos/{photo_id:int}/comments": {"text": "a comment"},
        "/api/v1/photos/{photo_id:int}": {"caption": "a caption"},
        "/api/v1/photos/bulk": {"photo_ids": [world.photo_id], "action": "favorite"},
        "/confirm": {"login": "owner", "code": "123456"},
        "/confirm/resend": {"login": "owner"},
        "/forgot": {"login": "owner"},
        "/reset": {"login": "owner", "code": "123456", "password": PASSWORD},
        "/api/v1/auth/confirm": {"username": "owner", "code": "123456"},
        "/password-reset/{token:str}": {"password": "a brand new passphrase"},
        "/settings/time-zone": {"time_zone": "Europe/Paris"},
        "/settings/digest": {"digest": "on"},
        "/settings/places": {"place_sharing": "on"},
        "/api/v1/notifications/read": {"ids": None},
        "/admin/users/{username:str}/{action:str}": {"confirmed": "1"},
        "/admin/invites/{invite_id:int}/withdraw": {"confirmed": "1"},
        "/admin/quotas/{username:str}": {"quota_mb": "100"},
        "/api/v1/admin/users/{username:str}": {"quota_mb": 100},
        "/s/{share_token:str}/unlock": {"password": SHARE_PASSWORD},
        "/api/v1/shares/{share_id:int}": {"show_metadata": True},
        "/albums": {"title": "an album"},
        "/api/v1/albums": {"title": "an album"},
        "/albums/{album_id:int}/edit": {"title": "renamed", "sort": "taken_asc"},
        "/api/v1/albums/{album_id:int}": {"title": "renamed"},
        "/api/v1/albums/{album_id:int}/photos": {"photo_ids": [world.family_photo_id]},
        "/api/v1/albums/{album_id:int}/photos/remove": {"photo_ids": [world.family_photo_id]},
        "/albums/{album_id:int}/photos/remove": {"photo_ids": str(world.family_photo_id)},
        "/api/v1/trash/restore": {"photo_ids": [world.family_photo_id]},
        "/photos/{photo_id:int}/albums": {"album_id": str(world.album_id)},
        "/downloads": {"photo_ids": str(world.photo_id)},
        "/api/v1/downloads": {"photo_ids": [world.photo_id]},
    }
    if path == "/albums/{album_id:int}/members":
        return {"data": {"username": world.new_user(), "role": "viewer"}}
    if path == "/api/v1/albums/{album_id:int}/owner":
        return {"data": {"username": world.new_user()}}
    if path == "/api/v1/albums/{album_id:int}/members/{username:str}" and method == "PUT":
        return {"data": {"role": "contributor"}}
    if path in ("/shares", "/api/v1/shares") and method == "POST":
        ids = str(world.photo_id) if path == "/shares" else [world.photo_id]
        return {"data": {"photo_ids": ids}}
    if method in ("POST", "PATCH", "PUT") and path in forms:
        return {"data": forms[path]}
    return {}


def perform(world: World, role: str, method: str, path: str) -> int:
    """Make one request of the matrix; returns its status after checking what it changed."""
    server = world.server
    is_api = path.startswith("/api/")
    url = fill(path, path_values(world, path))
    if path in ("/search", "/api/v1/search"):
        url += "?q=matrix"
    kwargs = body(world, method, path, role)
    client = world.client(role, api=is_api, fresh=(method, path) in SESSION_ENDERS)
    if is_api and "data" in kwargs and "files" not in kwargs:
        kwargs["json"] = kwargs.pop("data")
    if not is_api and method != "GET":
        kwargs.setdefault("data", {})["_csrf_token"] = csrf(client)
    before = snapshot(server)
    with client.stream(method, url, **kwargs) as response:
        status = response.status_code
        if path != "/events":  # an endless stream: the status line is all we need
            response.read()
    if method == "GET" or status >= 400:
        changes = before.diff(snapshot(server))
        assert not changes, (role, method, url, status, changes)
    return status


@pytest.fixture(scope="module", params=[False, True], ids=["private", "public"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    module_database: Callable[[], str],
) -> Iterator[World]:
    public_view = request.param
    data_dir: Path = tmp_path_factory.mktemp("matrix") / "data"
    settings = make_settings(
        data_dir, public_view=public_view, registration="open", database_url=module_database()
    )
    with live_server(settings) as server:
        for name in ("admin", "owner", "other"):  # the first account becomes the admin
            response = server.client().post(
                "/api/v1/auth/signup",
                json={"username": name, "email": f"{name}@example.org", "password": PASSWORD},
            )
            assert response.status_code == 201, response.text
        live = World(server, public_view)
        live.family_photo_id = live.new_photo()
        live.new_comment()
        live.private = True
        live.private_photo_id = live.new_photo()
        live.new_comment()
        live.private = False
        live.album_id = live.new_album()
        yield live


def test_every_route_has_a_row(tmp_path: Path) -> None:
    routes = app_routes(make_settings(tmp_path))
    rows = {RENDITION_ROWS.get(row, row) for row in MATRIX}
    missing = sorted(routes - rows, key=lambda r: (r[1], r[0]))
    stale = sorted(rows - routes, key=lambda r: (r[1], r[0]))
    assert not missing, f"routes without a row in MATRIX: {missing}"
    assert not stale, f"rows for routes that do not exist: {stale}"


@pytest.mark.parametrize(("method", "path"), list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_matrix(world: World, method: str, path: str) -> None:
    guest_private, guest_public, *signed_in = MATRIX[(method, path)]
    expected = {
        "guest": guest_public if world.public_view else guest_private,
        **dict(zip(ROLES[1:], signed_in, strict=True)),
    }
    door = world.server.app.media_door
    before = door.answered
    actual = {role: perform(world, role, method, path) for role in ROLES}
    assert actual == expected
    answered = door.answered - before
    # The door answers every rendition that may be seen, and nothing else.
    assert answered == (list(actual.values()).count(200) if (method, path) in RENDITION_ROWS else 0)


def test_every_photo_route_has_a_private_row() -> None:
    photo_routes = {
        (method, path)
        for method, path in MATRIX
        if "{photo_id" in path or "{batch_id" in path or "{comment_id" in path
    }
    assert photo_routes == set(PRIVATE_MATRIX)


@pytest.mark.parametrize(
    ("method", "path"), list(PRIVATE_MATRIX), ids=[f"{m} {p}" for m, p in PRIVATE_MATRIX]
)
def test_private_matrix(world: World, method: str, path: str) -> None:
    guest_private, guest_public, *signed_in = PRIVATE_MATRIX[(method, path)]
    expected = {
        "guest": guest_public if world.public_view else guest_private,
        **dict(zip(ROLES[1:], signed_in, strict=True)),
    }
    door = world.server.app.media_door
    before = door.answered
    world.private = True
    try:
        actual = {role: perform(world, role, method, path) for role in ROLES}
    finally:
        world.private = False
    assert actual == expected
    answered = door.answered - before
    assert answered == (list(actual.values()).count(200) if (method, path) in RENDITION_ROWS else 0)
