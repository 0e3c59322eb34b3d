"""Request parameters shared by pages, API and media: their bounds are checked before any query.

Every `{name:int}` in a route's path is a row id. The framework reads such a segment with
Python's int(), which also takes ` 1`, `+1`, `01`, `1_0` and other scripts' digits; `PathIds`
holds each to the one spelling of an id (`db.row_id`), so no other address names that row.
`ApiQuery` refuses a query parameter that an /api route does not take, and a whole number
written other than in plain digits.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qsl

from litestar.openapi.spec import Operation, Schema
from litestar.openapi.spec import Parameter as OpenAPIParameter
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import Parameter
from litestar.types import ASGIApp, Receive, Scope, Send

from photoarchive.db import MAX_ROWID, row_id
from photoarchive.errors import BadRequest, NotFound

# An id in a path: a positive integer SQLite can hold (a larger one would not fit a query).
RowId = Annotated[int, Parameter(ge=1, le=MAX_ROWID)]

NOT_AN_ID = "There is nothing at this address: an id is written in plain digits, such as 17."


def ids_as_written(scope: Scope) -> bool:
    """Whether each id the route read from the path is written there as an id."""
    ids = {name: v for name, v in scope.get("path_params", {}).items() if type(v) is int}
    if not ids:
        return True
    written = dict(zip(scope["path_template"].split("/"), scope["path"].split("/"), strict=False))
    return all(row_id(written.get(f"{{{name}}}")) == value for name, value in ids.items())


class PathIds:
    """Answers 404 for a path whose id is not written as one (before anyone is asked who may
    see it: the answer depends on the address alone)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not ids_as_written(scope):
            raise NotFound(NOT_AN_ID)
        await self.app(scope, receive, send)


# A whole number as the app writes one. The framework reads a query value more loosely
# (`1.0` and `1e0` are 1), so an /api script's typo would pass for a number.
_WHOLE_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)")


def query_pairs(scope: Scope) -> list[tuple[str, str]]:
    """The request's query parameters, (name, value) in order, as the framework decodes them."""
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def documented_query(scope: Scope, method: str) -> dict[str, OpenAPIParameter] | None:
    """The query parameters the OpenAPI document gives the route's operation (what its handler
    reads), by name; None for an operation the document does not hold."""
    paths = scope["litestar_app"].openapi_schema.paths or {}
    item = paths.get(scope["path_template"])
    operation = getattr(item, method.lower(), None)
    if not isinstance(operation, Operation):
        return None
    return {
        p.name: p
        for p in operation.parameters or ()
        if isinstance(p, OpenAPIParameter) and p.param_in == "query"
    }


def _whole_number(parameter: OpenAPIParameter) -> Schema | None:
    """The parameter's schema when it is a whole number (or one or nothing), else None."""
    schema = parameter.schema
    if not isinstance(schema, Schema):
        return None
    for kind in (schema, *(schema.one_of or ()), *(schema.any_of or ())):
        if isinstance(kind, Schema) and kind.type == OpenAPIType.INTEGER:
            return schema
    return None


class ApiQuery:
    """Refuses (400, naming it) a query parameter that an /api route does not take: a script's
    misspelt `?limt=5` or `?curser=` would otherwise be ignored without a word, and a loop over
    pages that never advance is the worse for it. The pages take anything (links from mail,
    other sites' tracking parameters). A parameter is given once (a list, as often as it
    likes), and a whole number in plain decimal digits (a minus sign where the route allows
    one)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            sent = query_pairs(scope)
            taken = documented_query(scope, str(scope.get("method", ""))) if sent else None
            if taken is not None:
                _refuse_unknown(list(dict.fromkeys(name for name, _ in sent)), taken)
                _refuse_repeats(sent, taken)
                _refuse_loose_numbers(sent, taken)
        await self.app(scope, receive, send)


def _refuse_unknown(names: list[str], taken: dict[str, OpenAPIParameter]) -> None:
    unknown = [name for name in names if name not in taken]
    if unknown:
        named = ", ".join(f"`{name[:40]}`" for name in unknown[:5])
        offered = ", ".join(f"`{name}`" for name in sorted(taken)) or "none"
        raise BadRequest(
            f"This address takes no query parameter {named}; the ones it takes: {offered}.",
            field=unknown[0][:40],
        )


def _refuse_repeats(sent: list[tuple[str, str]], taken: dict[str, OpenAPIParameter]) -> None:
    """One value per parameter unless it takes a list: the framework keeps one of
    `?limit=1&limit=2` without a word, and which one a script meant is anyone's guess."""
    seen: set[str] = set()
    for name, _ in sent:
        schema = taken[name].schema
        listed = isinstance(schema, Schema) and schema.type == OpenAPIType.ARRAY
        if name in seen and not listed:
            raise BadRequest(
                f"The query parameter `{name}` is given more than once; give it once.",
                field=name,
            )
        seen.add(name)


def _refuse_loose_numbers(sent: list[tuple[str, str]], taken: dict[str, OpenAPIParameter]) -> None:
    for name, value in sent:
        schema = _whole_number(taken[name])
        if schema is not None and not _WHOLE_NUMBER.fullmatch(value):
            example = schema.default if isinstance(schema.default, int) else 1
            raise BadRequest(
                f"The query parameter `{name}` is a whole number written in plain digits,"
                f" such as {example}.",
                field=name,
            )
