"""Request parameters shared by pages, API and media: their bounds are checked before any query."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from photoarchive.db import MAX_ROWID

# An id in a path: a positive integer SQLite can hold (a larger one would not fit a query).
RowId = Annotated[int, Parameter(ge=1, le=MAX_ROWID)]
