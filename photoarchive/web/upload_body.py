"""The upload's multipart body, as the OpenAPI document describes it.

The upload route reads its body as a stream (web/uploads.py), so Litestar sees no `data`
parameter to describe: without this, a client generator would make a call that sends nothing.
Each field's bounds come from the rule that checks it, so the document cannot drift from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from photoarchive.library import access, batches, photos
from photoarchive.media.images import UPLOAD_FORMATS

UPLOAD_BODY = Schema(
    type=OpenAPIType.OBJECT,
    required=["file"],
    properties={
        "file": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(
                type=OpenAPIType.STRING,
                format=OpenAPIFormat.BINARY,
                content_media_type="application/octet-stream",
            ),
            min_items=1,
            description="The photos, one part named `file` each: "
            + ", ".join(UPLOAD_FORMATS)
            + ".",
        ),
        "caption": Schema(
            type=OpenAPIType.STRING,
            max_length=photos.CAPTION_MAX,
            description="A caption for every new photo of this request (a duplicate keeps its"
            " own).",
        ),
        "batch_caption": Schema(
            type=OpenAPIType.STRING,
            max_length=photos.CAPTION_MAX,
            description="The caption of the whole upload, which its post in the feed shows;"
            " left out: `caption`. For photos sent in several requests (`batch`), each with"
            " its own caption; the first request's stays.",
        ),
        "visibility": Schema(
            type=OpenAPIType.STRING,
            enum=list(access.VISIBILITIES),
            description="Who sees the new photos; left out: the uploader's default.",
        ),
        "batch": Schema(
            type=OpenAPIType.STRING,
            pattern=f"^[A-Za-z0-9_-]{{1,{batches.TOKEN_MAX}}}$",
            description="A name the client makes up for photos it sends in several requests,"
            " so that they show as one post; left out: the files of this request are one.",
        ),
        "_csrf_token": Schema(
            type=OpenAPIType.STRING,
            description="A browser's CSRF token, before the files (or the x-csrftoken header);"
            " not needed with a Bearer token.",
        ),
    },
)


@dataclass
class UploadOperation(Operation):
    """POST /api/v1/photos, with its multipart body."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="The photos and their text fields, as multipart/form-data.",
            content={"multipart/form-data": OpenAPIMediaType(schema=UPLOAD_BODY)},
        )
