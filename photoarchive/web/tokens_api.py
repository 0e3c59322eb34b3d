"""One's own API tokens under /api/v1/tokens: a script lists the tokens its person has signed
in with (POST /api/v1/auth/login), and revokes one, its own or a lost machine's.

A token is a Bearer session (accounts/sessions.py). Its secret is shown once, by the sign-in,
and is not kept (only its hash is): no answer here can hold it. Another person's tokens are
not there for anyone, an administrator included (404).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, delete, get

from photoarchive.accounts import sessions
from photoarchive.web import devices
from photoarchive.web.api import READ, WRITE, refusals
from photoarchive.web.params import RowId
from photoarchive.web.viewer import current_session, require_user, services


class TokenOut(msgspec.Struct):
    id: int
    # The client that signed in, named by its User-Agent ("python-httpx", "curl"); a script
    # that sends its own User-Agent when it signs in is listed by that name.
    name: str
    created_at: str
    # When it was last used, to the minute (a token's use is noted at most once a minute).
    last_used_at: str
    # The token this very request was made with.
    current: bool


class TokenList(msgspec.Struct):
    items: list[TokenOut]  # the live ones, most recently used first


class TokensApi(Controller):
    path = "/api/v1/tokens"
    tags = ["auth"]

    @get("/", responses=refusals(READ))
    async def list_tokens(self, request: Request[Any, Any, Any]) -> TokenList:
        user = await require_user(request)
        asking = await current_session(request)
        svc = services(request)
        settings = svc.settings
        found = await sessions.active_for_user(
            svc.db,
            user.id,
            settings.session_idle_seconds,
            settings.session_max_seconds,
            tokens=True,
        )
        names = await devices.describe_all([token.user_agent for token in found])
        return TokenList(
            items=[
                TokenOut(
                    id=token.id,
                    name=name,
                    created_at=token.created_at,
                    last_used_at=token.last_seen_at,
                    current=asking is not None and token.id == asking.id,
                )
                for token, name in zip(found, names, strict=True)
            ]
        )

    @delete("/{token_id:int}", status_code=204, responses=refusals(WRITE))
    async def revoke_token(self, request: Request[Any, Any, Any], token_id: RowId) -> None:
        """Revoke one of one's own tokens (the one asking too: it is then signed out)."""
        user = await require_user(request)
        await sessions.end_token_for_user(services(request).db, user.id, token_id)


HANDLERS = [TokensApi]
