"""Text holding a NUL character (U+0000), on both engines: PostgreSQL cannot keep one in a text
column at all, so it is refused where a request is read, with a 400 naming the field, never a
500 from the database (and no row, blob or temp file left)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.state import snapshot
from tests.support import LiveServer, api_login, form_post, sign_up, upload_bytes
from tests.test_bad_input import noise_jpeg, unchanged

pytestmark = pytest.mark.usefixtures("engine")

NUL = "a\x00b"


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["status"] == 400 and answer["field"] == field, answer
    assert "NUL" in answer["detail"], answer


def test_json_text_with_a_nul_is_refused_and_kept_nowhere(server: LiveServer) -> None:
    sign_up(server, "ann")
    ann = api_login(server, "ann")
    photo = upload_bytes(ann, "p.jpg", noise_jpeg()).json()["items"][0]["id"]
    album = ann.post("/api/v1/albums", json={"title": "Summer"}).json()["id"]
    before = snapshot(server)
    for method, url, body, field in [
        ("PATCH", f"/api/v1/photos/{photo}", {"caption": NUL}, "caption"),
        ("POST", f"/api/v1/photos/{photo}/comments", {"text": NUL}, "text"),
        ("POST", "/api/v1/albums", {"title": NUL}, "title"),
        ("PATCH", f"/api/v1/albums/{album}", {"description": NUL}, "description"),
        ("POST", "/api/v1/shares", {"photo_ids": [photo], "password": NUL * 4}, "password"),
    ]:
        _refused(ann.request(method, url, json=body), field)
    # A stranger's sign-in is read the same way: no error of ours for anyone to provoke.
    stranger = server.client()
    _refused(stranger.post("/api/v1/auth/login", json={"login": NUL, "password": "x"}), "login")
    unchanged(server, before)


def test_form_text_with_a_nul_is_refused_and_kept_nowhere(server: LiveServer) -> None:
    ann = sign_up(server, "ann")
    before = snapshot(server)
    upload = upload_bytes(ann, "p.jpg", noise_jpeg(), caption=NUL)
    assert upload.status_code == 400, upload.text
    assert upload.json()["field"] == "caption" and "NUL" in upload.json()["detail"]
    page = form_post(server.client(), "/login", {"login": NUL, "password": "x"})
    assert page.status_code == 400 and "NUL" in page.text, page.text[:300]
    unchanged(server, before)


def test_a_username_with_a_nul_is_nobody(server: LiveServer) -> None:
    sign_up(server, "ann")
    ann = api_login(server, "ann")
    album = ann.post("/api/v1/albums", json={"title": "Summer"}).json()["id"]
    for answer in (
        ann.get("/api/v1/users/ann%00"),
        ann.get("/api/v1/users/ann%00/photos"),
        ann.put(f"/api/v1/albums/{album}/members/ann%00", json={"role": "viewer"}),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json() == {"status": 404, "detail": "There is no user called 'ann\\x00'."}
