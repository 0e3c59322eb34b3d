"""Request parameters shared by pages, API and media: their bounds are checked before any query.

Every `{name:int}` in a route's path is a row id. The framework reads such a segment with
Python's int(), which also takes ` 1`, `+1`, `01`, `1_0` and other scripts' digits; `PathIds`
holds each to the one spelling of an id (`db.row_id`), so no other address names that row.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter
from litestar.types import ASGIApp, Receive, Scope, Send

from photoarchive.db import MAX_ROWID, row_id
from photoarchive.errors import NotFound

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
