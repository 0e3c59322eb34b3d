"""The app's Request class: how a body is read, in our words when it cannot be.

* JSON is read only from a body that says it is JSON (`application/json`, or a `+json` type):
  anything else is 415 before a byte is decoded. A `text/plain` body is one any web page can
  send cross-site without a preflight; a JSON one is not.
* A JSON body the decoder refuses gets our own 400, whatever it said. The decoder underneath
  (msgspec, through Litestar) is fast and strict, but its wording and even which error it
  raises change between releases. So when it refuses a body we look again with the standard
  library, on that failure path only, and say in our words what is wrong.
* A multipart form's text fields are decoded as every form of this app decodes them (see
  `forms`), so a part in a charset that is no text is a 400 naming the field, not a 500.
* No text of a body, JSON or form, may hold a NUL character (see `forms.checked_text`): a 400
  naming the field, rather than a 500 from PostgreSQL, which cannot keep one.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.types import Empty

from photoarchive.errors import BadRequest, UnsupportedMedia
from photoarchive.web.forms import checked_text, read_text_fields


def describe_malformed_json(body: bytes) -> str:
    """A person's explanation of why `body` is not a JSON document."""
    if not body.strip():
        return "The request is not valid: send a JSON object as the body."
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"The JSON body is not valid UTF-8 (byte {exc.start})."
    try:
        json.loads(text)
    except RecursionError:
        return "The JSON body is nested too deeply."
    except json.JSONDecodeError as exc:
        return f"The JSON body is malformed at line {exc.lineno}, column {exc.colno}: {exc.msg}."
    except ValueError:
        pass
    return "The JSON body is malformed."


def is_json(content_type: str) -> bool:
    """`application/json` or `application/<something>+json`, in any case, with any parameters."""
    media_type = content_type.partition(";")[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


class AppRequest(Request[Any, Any, Any]):
    async def form(self) -> FormMultiDict:
        content_type, options = self.content_type
        if content_type == "multipart/form-data" and self._connection_state.form is Empty:
            boundary = options.get("boundary")
            if not boundary:
                raise BadRequest("The form's Content-Type names no multipart boundary.")
            self._connection_state.form = await read_text_fields(self.stream(), boundary)
        form = await super().form()
        for name, value in form.multi_items():
            if isinstance(value, str):
                checked_text(name, value, f"The form field {name!r}")
        return form

    async def json(self) -> Any:
        if not is_json(self.headers.get("content-type", "")):
            raise UnsupportedMedia(
                "Send the body as JSON, with the header Content-Type: application/json."
            )
        body = await self.body()  # a body over the size limit or cut short stays that error
        try:
            document = await super().json()
        except Exception:  # whatever the decoder raised, the body is the client's error
            raise BadRequest(describe_malformed_json(body)) from None
        if b"\\u0000" in body:  # the only way JSON writes a NUL inside its text
            refuse_nul(document)
        return document


def refuse_nul(document: Any) -> None:
    """BadRequest if any text of the JSON `document` holds a NUL character, naming the body's
    field it is in (a key holding one is named by no field)."""
    pending: list[tuple[str | None, Any]] = [
        (key if isinstance(key, str) and "\x00" not in key else None, value)
        for key, value in (document.items() if isinstance(document, dict) else [(None, document)])
    ]
    if isinstance(document, dict):
        pending += [(None, key) for key in document if isinstance(key, str)]
    while pending:
        field, value = pending.pop()
        if isinstance(value, str):
            checked_text(field, value, f"`{field}`" if field else "The body")
        elif isinstance(value, dict):
            pending += [(field, item) for pair in value.items() for item in pair]
        elif isinstance(value, list):
            pending += [(field, item) for item in value]
