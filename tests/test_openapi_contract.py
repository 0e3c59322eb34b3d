"""The OpenAPI document promises a shape for every /api/v1 answer, and real answers keep it.

A real server, real uploads and comments; each answer is checked against the schema the
document gives for its operation and status, with every object closed (no key the document
does not name), so a key added, dropped or renamed on either side fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.cloud import JwksServer, Key, S3Server, make_pool
from tests.support import (
    PASSWORD,
    PHOTOS,
    LiveServer,
    api_login,
    live_server,
    make_settings,
    sign_up,
    upload,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

METHODS = ("get", "put", "post", "delete", "patch")


def closed(schema: Any) -> Any:
    """The schema with every object that lists its properties refusing any other key."""
    if isinstance(schema, dict):
        schema = {key: closed(value) for key, value in schema.items()}
        if "properties" in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    return schema


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = doc["components"]["schemas"][name]
    return schema


def api_operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        if path.startswith("/api/v1/"):
            for method in METHODS:
                if method in item:
                    yield method, path, item[method]


@pytest.fixture
def document(server: LiveServer) -> dict[str, Any]:
    response = server.client().get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_api_operation_documents_its_answer(document: dict[str, Any]) -> None:
    operations = list(api_operations(document))
    assert len(operations) >= 17
    for method, path, operation in operations:
        successes = {code: r for code, r in operation["responses"].items() if code < "300"}
        assert successes, f"{method} {path} documents no success"
        for code, response in successes.items():
            if code == "204":
                assert "content" not in response, f"{method} {path}: a 204 has no body"
                continue
            if "application/zip" in response["content"]:  # a download: bytes, not JSON
                assert response["content"]["application/zip"]["schema"]["type"] == "string"
                continue
            schema = resolve(document, response["content"]["application/json"]["schema"])
            assert schema.get("type") == "object", f"{method} {path} {code}: {schema}"
            assert schema.get("properties"), f"{method} {path} {code} promises no keys"


def check(document: dict[str, Any], method: str, path: str, response: httpx.Response) -> None:
    """The answer is one the document gives for that operation and status, key for key."""
    operation = document["paths"][path][method]
    status = str(response.status_code)
    assert status in operation["responses"], f"{method} {path} answered {status}: undocumented"
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    root = {**schema, "components": closed(document["components"])}
    errors = list(Draft202012Validator(root).iter_errors(response.json()))
    assert not errors, f"{method} {path}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


def test_real_answers_match_the_document(server: LiveServer, document: dict[str, Any]) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice = api_login(server, "alice")
    bob = api_login(server, "bob")

    # A photo with a location: its owner's answers carry `sha256` and `location`, others' not.
    kept = upload(alice, PHOTOS / "gps" / "DSCN0010.jpg", caption="harbour")
    check(document, "post", "/api/v1/photos", kept)
    assert kept.status_code == 201
    photo = kept.json()["items"][0]
    assert "location" in photo and "sha256" in photo
    photo_id = photo["id"]

    again = upload(alice, PHOTOS / "gps" / "DSCN0010.jpg")
    check(document, "post", "/api/v1/photos", again)
    assert again.status_code == 200 and again.json()["items"][0]["duplicate"] is True

    # A refusal of every file is an upload answer too, with `detail` and `status` added.
    refused = alice.post("/api/v1/photos", files=[("file", ("notes.txt", b"not a photo"))])
    assert refused.status_code >= 400 and "detail" in refused.json()
    answer = document["paths"]["/api/v1/photos"]["post"]["responses"]["201"]
    root = {
        **answer["content"]["application/json"]["schema"],
        "components": closed(document["components"]),
    }
    Draft202012Validator(root).validate(refused.json())

    one = "/api/v1/photos/{photo_id}"
    check(document, "get", one, alice.get(f"/api/v1/photos/{photo_id}"))
    seen_by_bob = bob.get(f"/api/v1/photos/{photo_id}")
    check(document, "get", one, seen_by_bob)
    assert "location" not in seen_by_bob.json() and "sha256" not in seen_by_bob.json()
    check(
        document, "patch", one, alice.patch(f"/api/v1/photos/{photo_id}", json={"caption": "quay"})
    )

    comments = "/api/v1/photos/{photo_id}/comments"
    added = bob.post(f"/api/v1/photos/{photo_id}/comments", json={"text": "lovely"})
    assert added.status_code == 201
    check(document, "post", comments, added)
    check(document, "get", comments, alice.get(f"/api/v1/photos/{photo_id}/comments"))

    like = "/api/v1/photos/{photo_id}/like"
    check(document, "put", like, bob.put(f"/api/v1/photos/{photo_id}/like"))
    check(document, "delete", like, bob.delete(f"/api/v1/photos/{photo_id}/like"))

    # A favorite is the caller's own; `archived` is in the owner's copy only.
    favorite = "/api/v1/photos/{photo_id}/favorite"
    check(document, "put", favorite, bob.put(f"/api/v1/photos/{photo_id}/favorite"))
    favorites = bob.get("/api/v1/favorites", params={"limit": 1})
    check(document, "get", "/api/v1/favorites", favorites)
    assert favorites.json()["items"][0]["favorite"] is True
    assert "archived" not in favorites.json()["items"][0]
    check(document, "delete", favorite, bob.delete(f"/api/v1/photos/{photo_id}/favorite"))
    archived = alice.patch(f"/api/v1/photos/{photo_id}", json={"archived": True})
    check(document, "patch", one, archived)
    assert archived.json()["archived"] is True and archived.json()["favorite"] is False
    check(
        document, "patch", one, alice.patch(f"/api/v1/photos/{photo_id}", json={"archived": False})
    )

    feed = bob.get("/api/v1/photos", params={"limit": 1})
    check(document, "get", "/api/v1/photos", feed)
    assert len(feed.json()["items"]) == 1
    check(document, "get", "/api/v1/users/{username}/photos", bob.get("/api/v1/users/alice/photos"))
    check(document, "get", "/api/v1/users/{username}", bob.get("/api/v1/users/alice"))
    check(document, "get", "/api/v1/me", alice.get("/api/v1/me"))

    guest = server.client()
    details = {"username": "carol", "email": "carol@example.org", "password": "a long password"}
    check(document, "post", "/api/v1/auth/signup", guest.post("/api/v1/auth/signup", json=details))
    login = {"login": "carol", "password": "a long password"}
    check(document, "post", "/api/v1/auth/login", guest.post("/api/v1/auth/login", json=login))


def test_closed_schemas_refuse_an_undocumented_key(document: dict[str, Any]) -> None:
    # The check above would pass anything if the document's objects were left open.
    answer = document["paths"]["/api/v1/me"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": closed(document["components"])})
    me = {
        "username": "a_b",
        "display_name": "",
        "id": 1,
        "email": "a@example.org",
        "is_admin": False,
        "created_at": "2024-01-01T00:00:00Z",
    }
    space = {"usage": {"photos": 0, "bytes": 0}, "quota_bytes": None}
    assert validator.is_valid({"user": me, **space})
    assert not validator.is_valid({"user": {**me, "password_hash": "x"}, **space})
    assert not validator.is_valid({"user": {k: v for k, v in me.items() if k != "email"}, **space})


def test_every_refusal_is_documented_in_the_api_s_own_shape(document: dict[str, Any]) -> None:
    error = resolve(document, {"$ref": "#/components/schemas/ErrorOut"})
    assert set(error["required"]) == {"status", "detail"}
    for method, path, operation in api_operations(document):
        refusals = {code: r for code, r in operation["responses"].items() if code >= "400"}
        assert {"400", "401"} & set(refusals), f"{method} {path} documents no refusal"
        for code, response in refusals.items():
            text = json.dumps(response["content"])
            # Litestar's default 400 ({status_code, detail, extra}) is never what we send.
            assert "ErrorOut" in text and "status_code" not in text, f"{method} {path} {code}"


def test_real_refusals_match_the_document(server: LiveServer, document: dict[str, Any]) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice = api_login(server, "alice")
    bob = api_login(server, "bob")
    photo_id = upload(alice, PHOTOS / "gps" / "DSCN0010.jpg").json()["items"][0]["id"]
    one = f"/api/v1/photos/{photo_id}"
    seen: set[int] = set()

    def refused(method: str, path: str, response: httpx.Response, status: int) -> None:
        assert response.status_code == status, response.text
        check(document, method, path, response)
        assert response.json()["status"] == status and response.json()["detail"]
        seen.add(status)

    guest = server.client()
    refused("get", "/api/v1/me", guest.get("/api/v1/me"), 401)
    refused("get", "/api/v1/photos", alice.get("/api/v1/photos", params={"limit": 0}), 400)
    refused("get", "/api/v1/photos/{photo_id}", alice.get("/api/v1/photos/987654"), 404)
    patch_path = "/api/v1/photos/{photo_id}"
    json_type = {"Content-Type": "application/json"}
    refused("patch", patch_path, alice.patch(one, content=b'{"caption": ', headers=json_type), 400)
    refused("patch", patch_path, alice.patch(one, json={"caption": "x" * 5000}), 422)
    assert alice.patch(one, json={"caption": "x" * 5000}).json()["field"] == "caption"
    plain = {"Content-Type": "text/plain"}
    refused("patch", patch_path, alice.patch(one, content=b"caption", headers=plain), 415)
    refused("patch", patch_path, bob.patch(one, json={"caption": "mine now"}), 403)
    taken = {"username": "alice", "email": "other@example.org", "password": "a long password"}
    refused("post", "/api/v1/auth/signup", guest.post("/api/v1/auth/signup", json=taken), 409)
    wrong = {"login": "alice", "password": "not the password"}
    refused("post", "/api/v1/auth/login", guest.post("/api/v1/auth/login", json=wrong), 401)
    assert seen == {400, 401, 403, 404, 409, 415, 422}


def test_notification_answers_match_the_document(
    server: LiveServer, document: dict[str, Any]
) -> None:
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice = api_login(server, "alice")
    bob = api_login(server, "bob")
    photo_id = upload(alice, PHOTOS / "gps" / "DSCN0010.jpg").json()["items"][0]["id"]
    bob.post(f"/api/v1/photos/{photo_id}/comments", json={"text": "lovely"})
    bob.put(f"/api/v1/photos/{photo_id}/like")

    listing = "/api/v1/notifications"
    page = alice.get(listing, params={"limit": 1})
    check(document, "get", listing, page)
    assert len(page.json()["items"]) == 1 and page.json()["next_cursor"]
    check(document, "get", listing, bob.get(listing))  # empty
    read = "/api/v1/notifications/read"
    first = page.json()["items"][0]["id"]
    check(document, "post", read, alice.post(read, json={"ids": [first]}))
    check(document, "post", read, alice.post(read, json={}))

    plain = {"Content-Type": "text/plain"}
    for method, path, response, status in (
        ("get", listing, server.client().get(listing), 401),
        ("get", listing, alice.get(listing, params={"limit": 0}), 400),
        ("post", read, alice.post(read, json={"ids": [0]}), 400),
        ("post", read, alice.post(read, content=b"ids", headers=plain), 415),
    ):
        assert response.status_code == status, response.text
        check(document, method, path, response)
    cookie = sign_up(server, "carol")  # signed in by cookie, without the CSRF header
    refused = cookie.post(read, json={})
    assert refused.status_code == 403
    check(document, "post", read, refused)


def test_admin_answers_match_the_document(server: LiveServer, document: dict[str, Any]) -> None:
    sign_up(server, "alice")  # the first account: an administrator
    sign_up(server, "bob")
    alice = api_login(server, "alice")
    bob = api_login(server, "bob")
    upload(bob, PHOTOS / "gps" / "DSCN0010.jpg")
    listing, one = "/api/v1/admin/users", "/api/v1/admin/users/{username}"
    check(document, "get", listing, alice.get(listing))
    check(document, "get", "/api/v1/me", bob.get("/api/v1/me"))
    check(document, "patch", one, alice.patch("/api/v1/admin/users/bob", json={"quota_mb": 9}))
    check(document, "patch", one, alice.patch("/api/v1/admin/users/bob", json={"quota_mb": None}))
    check(document, "get", "/api/v1/me", bob.get("/api/v1/me"))
    plain = {"Content-Type": "text/plain"}
    for method, path, response, status in (
        ("get", listing, server.client().get(listing), 401),
        ("get", listing, bob.get(listing), 403),
        ("patch", one, bob.patch("/api/v1/admin/users/bob", json={"quota_mb": 9}), 403),
        ("patch", one, alice.patch("/api/v1/admin/users/nobody", json={"quota_mb": 9}), 404),
        ("patch", one, alice.patch("/api/v1/admin/users/bob", json={"quota_mb": -9}), 422),
        ("patch", one, alice.patch("/api/v1/admin/users/bob", content=b"x", headers=plain), 415),
    ):
        assert response.status_code == status, response.text
        check(document, method, path, response)


def test_the_sign_in_routes_document_every_refusal(
    server: LiveServer, document: dict[str, Any]
) -> None:
    guest = server.client()
    gone = guest.post("/api/v1/auth/logout")
    assert gone.status_code == 401
    check(document, "post", "/api/v1/auth/logout", gone)
    # An archive whose accounts need no emailed code has nothing to confirm.
    nothing = guest.post("/api/v1/auth/confirm", json={"username": "alice", "code": "123456"})
    assert nothing.status_code == 404
    check(document, "post", "/api/v1/auth/confirm", nothing)


def test_sign_in_through_a_provider_documents_its_refusals(moto: S3Server, tmp_path: Path) -> None:
    """With Cognito: a provider whose tokens cannot be verified is a 503, a code for nobody
    a 401; each is in the document."""
    pool = make_pool(moto)
    impostor = JwksServer()
    impostor.keys = [Key("dummy").jwk()]  # moto's key id, but not moto's key
    try:
        settings = make_settings(tmp_path / "data", **pool.settings(cognito_jwks_url=impostor.url))
        with live_server(settings) as server:
            document = server.client().get("/schema/openapi.json").json()
            guest = server.client()
            body = {"username": "alice", "email": "alice@example.org", "password": PASSWORD}
            assert guest.post("/api/v1/auth/signup", json=body).status_code == 201
            code = {"username": "alice", "code": "123456"}
            assert guest.post("/api/v1/auth/confirm", json=code).status_code == 200
            login = guest.post("/api/v1/auth/login", json={"login": "alice", "password": PASSWORD})
            assert login.status_code == 503
            check(document, "post", "/api/v1/auth/login", login)
            nobody = guest.post(
                "/api/v1/auth/confirm", json={"username": "nobody", "code": "123456"}
            )
            assert nobody.status_code == 401, nobody.text
            check(document, "post", "/api/v1/auth/confirm", nobody)
    finally:
        impostor.close()
