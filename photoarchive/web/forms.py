"""Text fields of multipart forms, decoded the one way every form of this app shares.

A part may name its own charset. Python's codecs include transforms that are no charset at
all (`rot13`, `base64`, `hex`, `zlib`: the last one a decompression bomb) and text codecs no
browser uses and that turn harmless bytes into markup (`utf-7`, `unicode_escape`, `idna`). So a
part is decoded only in a charset of the web's own list; a name Python does not know at all
is read as UTF-8 (browsers send none, and odd clients odd names); bytes that do not decode,
or a charset outside that list, are the client's error, naming the field.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator
from typing import Any

from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from photoarchive.db import row_id
from photoarchive.errors import BadRequest, Invalid, PayloadTooLarge

# Python's names (`codecs.lookup(label).name`) of the WHATWG Encoding Standard's charsets.
TEXT_CHARSETS = frozenset(
    {
        "utf-8",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "ascii",
        *(f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
        *(f"cp{n}" for n in (866, 874, 1250, 1251, 1252, 1253, 1254, 1255, 1256, 1257, 1258)),
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "shift_jis",
        "euc_jp",
        "iso2022_jp",
        "euc_kr",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
    }
)
MAX_TEXT_PARTS = 200


def charset_of(field: str, label: str | None) -> str:
    """The codec to decode the part `field` with; BadRequest for a charset that is no text."""
    try:
        name = codecs.lookup(label or "utf-8").name
    except LookupError:
        return "utf-8"
    if name not in TEXT_CHARSETS:
        raise BadRequest(
            f"The form field {field!r} declares the charset {label!r}, which is not a text "
            "encoding this archive reads. Send it as UTF-8.",
            field=field,
        )
    return name


def decode_field(field: str, data: bytes, label: str | None) -> str:
    """The part's text; BadRequest naming the field when its bytes are not in its charset."""
    charset = charset_of(field, label)
    try:
        text = data.decode(charset)
    except UnicodeError:
        raise BadRequest(
            f"The form field {field!r} is not valid {charset} text.", field=field
        ) from None
    return checked_text(field, text, f"The form field {field!r}")


def checked_text(field: str | None, text: str, name: str) -> str:
    """`text`, unless it holds a NUL character: no person types one, and PostgreSQL cannot keep
    one in a text column, so neither engine is ever sent one (BadRequest naming `field`)."""
    if "\x00" in text:
        raise BadRequest(
            f"{name} contains a NUL character (U+0000), which is not text: remove it and send"
            " again.",
            field=field,
        )
    return text


async def read_text_fields(stream: AsyncIterator[bytes], boundary: str) -> dict[str, Any]:
    """The text fields of a multipart body whose route takes no files (files are skipped
    unread into memory: only the upload routes keep them). The body's size is bounded by the
    route before this reads it."""
    fields: dict[str, list[str]] = {}
    segment: MultipartSegment | None = None
    value = bytearray()
    received = 0
    try:
        with PushMultipartParser(
            boundary.encode("latin-1"), max_segment_count=MAX_TEXT_PARTS
        ) as parser:
            async for chunk in stream:
                received += len(chunk)
                for event in parser.parse(chunk):
                    if isinstance(event, MultipartSegment):
                        segment, value = event, bytearray()
                    elif event:
                        if segment is not None and segment.filename is None:
                            value.extend(event)
                    elif segment is not None:
                        if segment.filename is None:
                            text = decode_field(segment.name, bytes(value), segment.charset)
                            fields.setdefault(segment.name, []).append(text)
                        segment = None
                if parser.closed:
                    break
            if received and not parser.closed:
                raise BadRequest("The form was cut off before it finished. Try again.")
    except ParserLimitReached:
        raise PayloadTooLarge("The form has too many parts.") from None
    except (ParserError, UnicodeEncodeError) as exc:
        raise BadRequest(f"The form is not a valid multipart form ({exc}).") from None
    return {name: values if len(values) > 1 else values[0] for name, values in fields.items()}


def typed_twice(form: dict[str, str], name: str, again: str) -> str:
    """A new password a form asks for twice (field `name`, then `again`): a typo there would
    lock the person out. A client that sends it once (a script) is taken at its word."""
    password = form.get(name, "")
    if form.get(again, password) != password:
        raise Invalid("The two passwords are not the same.", field=again)
    return password


def row_id_field(field: str, value: object, message: str) -> int:
    """The id a form field names (`db.row_id`: plain decimal digits, nothing else); for any
    other value, `message` as a refusal (422) naming the field."""
    found = row_id(value)
    if found is None:
        raise Invalid(message, field=field)
    return found
