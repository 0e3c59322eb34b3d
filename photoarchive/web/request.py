"""The app's Request class: a JSON body the decoder chokes on is the client's error (400)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException


class AppRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise SerializationException("The JSON body is not valid UTF-8.") from None
        except RecursionError:
            raise SerializationException("The JSON body is nested too deeply.") from None
