"""Verifying an identity provider's JWTs: RS256 against its published keys (JWKS).

The keys are fetched once and kept; a token signed with a key id we have not seen makes us
fetch them again (providers rotate keys); such fetches happen at most once a minute, so that
made-up key ids cannot turn us into a request amplifier.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt

ALGORITHM = "RS256"
REFETCH_SECONDS = 60.0
LEEWAY_SECONDS = 30


class InvalidToken(Exception):
    """The token is not one we accept; the message says why (for logs, not for users)."""


class CannotJudge(InvalidToken):
    """The token could not be checked just now: the keys could not be fetched (or were asked
    for a moment ago), or it was issued ahead of our clock. Neither accepted nor refused: a
    session is not ended for it."""


class TokenVerifier:
    def __init__(self, *, jwks_url: str, issuer: str, client_id: str) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.client_id = client_id
        self.http: httpx.AsyncClient | None = None
        self._keys: dict[str, Any] = {}
        self._missed_at = float("-inf")  # when an unknown key id last made us fetch
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Fetch the keys now; InvalidToken says why that failed."""
        async with self._lock:
            await self._fetch()

    async def _fetch(self) -> None:
        try:
            if self.http is None:
                async with httpx.AsyncClient(timeout=10) as http:
                    answer = await http.get(self.jwks_url)
            else:
                answer = await self.http.get(self.jwks_url)
            answer.raise_for_status()
            document = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise CannotJudge(f"cannot load the keys from {self.jwks_url}: {exc}") from None
        keys = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA":
                continue
            if entry.get("use", "sig") != "sig" or entry.get("alg", ALGORITHM) != ALGORITHM:
                continue
            try:
                keys[str(entry["kid"])] = jwt.PyJWK(entry, ALGORITHM).key
            except (KeyError, jwt.PyJWKError):
                continue
        if not keys:
            raise InvalidToken(f"{self.jwks_url} holds no RS256 signing keys")
        self._keys = keys

    async def _key(self, kid: str) -> Any:
        key = self._keys.get(kid)
        if key is not None:
            return key
        fetched = False
        async with self._lock:
            if kid not in self._keys and time.monotonic() - self._missed_at >= REFETCH_SECONDS:
                self._missed_at = time.monotonic()
                await self._fetch()
                fetched = True
        key = self._keys.get(kid)
        if key is None:
            if not fetched and kid:  # the keys were asked for a moment ago: not asked again
                raise CannotJudge(f"no signing key with id {kid!r} yet")
            raise InvalidToken(f"no signing key with id {kid!r}")
        return key

    async def verify(self, token: str, kind: str) -> dict[str, Any]:
        """The claims of a valid, unexpired `kind` ("id" or "access") token for our client."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"not a JWT: {exc}") from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not {ALGORITHM}")
        key = await self._key(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.client_id if kind == "id" else None,
                leeway=LEEWAY_SECONDS,
                options={
                    "require": ["exp", "iat", "iss", "sub", "token_use"],
                    "verify_aud": kind == "id",
                },
            )
        except jwt.ImmatureSignatureError as exc:  # issued ahead of our clock: ours is behind
            raise CannotJudge(f"{type(exc).__name__}: {exc}") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"{type(exc).__name__}: {exc}") from None
        if claims.get("token_use") != kind:
            raise InvalidToken(f"token_use is {claims.get('token_use')!r}, not {kind!r}")
        if kind == "access" and claims.get("client_id") != self.client_id:
            raise InvalidToken("the access token was issued to another client")
        return claims
