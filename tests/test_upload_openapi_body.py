"""The upload's OpenAPI entry describes its multipart body, so a client generator can call it.

Read from the served document (/schema/openapi.json), as a generator reads it; the bounds it
gives are the ones the upload enforces, and a body made from the document alone is accepted.
"""

from __future__ import annotations

import re
from typing import Any

from photoarchive.library import access, batches, photos
from tests.support import PHOTOS, LiveServer, api_login, sign_up


def upload_body(server: LiveServer) -> dict[str, Any]:
    document = server.client().get("/schema/openapi.json")
    assert document.status_code == 200
    body: dict[str, Any] = document.json()["paths"]["/api/v1/photos"]["post"]["requestBody"]
    return body


def test_the_upload_documents_its_multipart_body(server: LiveServer) -> None:
    body = upload_body(server)
    assert body["required"] is True
    assert list(body["content"]) == ["multipart/form-data"]
    schema = body["content"]["multipart/form-data"]["schema"]
    assert schema["type"] == "object"
    assert schema["required"] == ["file"]
    fields = schema["properties"]
    assert set(fields) == {"file", "caption", "batch_caption", "visibility", "batch", "_csrf_token"}
    assert fields["file"]["type"] == "array"
    assert fields["file"]["minItems"] == 1
    assert fields["file"]["items"] == {
        "type": "string",
        "format": "binary",
        "contentMediaType": "application/octet-stream",
    }
    assert fields["caption"]["type"] == "string"
    assert fields["caption"]["maxLength"] == photos.CAPTION_MAX
    assert fields["batch_caption"]["maxLength"] == photos.CAPTION_MAX
    assert fields["visibility"]["enum"] == list(access.VISIBILITIES)
    batch = re.compile(fields["batch"]["pattern"])
    assert batch.fullmatch("a" * batches.TOKEN_MAX)
    assert not batch.fullmatch("a" * (batches.TOKEN_MAX + 1))
    assert not batch.fullmatch("two words")
    for field in fields.values():
        assert field.get("description"), field


def test_a_body_made_from_the_document_is_accepted(server: LiveServer) -> None:
    """Each documented field sent as the document describes it: the upload keeps them all."""
    fields = upload_body(server)["content"]["multipart/form-data"]["schema"]["properties"]
    sign_up(server, "alice")
    script = api_login(server, "alice")
    photo = (PHOTOS / "cameras" / "Canon_40D.jpg").read_bytes()
    values = {
        "caption": "x" * fields["caption"]["maxLength"],
        "visibility": fields["visibility"]["enum"][-1],
        "batch": "holiday-2024",
    }
    made = script.post(
        "/api/v1/photos", files=[("file", ("one.jpg", photo, "image/jpeg"))], data=values
    )
    assert made.status_code == 201, made.text
    kept = made.json()["items"][0]
    assert kept["caption"] == values["caption"]
    assert kept["visibility"] == values["visibility"]
    too_long = script.post(
        "/api/v1/photos",
        files=[("file", ("one.jpg", photo, "image/jpeg"))],
        data={"caption": "x" * (fields["caption"]["maxLength"] + 1)},
    )
    assert too_long.status_code == 422
