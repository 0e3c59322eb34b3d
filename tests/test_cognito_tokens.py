"""Token verification: RS256 against a JWKS served over HTTP on 127.0.0.1, like Cognito's.

Tokens are made here with our own RSA keys, so each way a token can be wrong is made on purpose.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from photoarchive.accounts import tokens
from photoarchive.accounts.tokens import CannotJudge, InvalidToken, TokenVerifier
from tests.cloud import JwksServer, Key

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_testpool"
CLIENT = "photoarchive-client"


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.close()


def claims(kind: str = "id", **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "2f6c3a1e-0000-4000-8000-000000000001",
        "token_use": kind,
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
    }
    if kind == "id":
        base.update(aud=CLIENT, email="alice@example.org", preferred_username="alice")
    else:
        base.update(client_id=CLIENT, username=base["sub"])
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def verify(url: str, token: str, kind: str = "id") -> dict[str, Any]:
    verifier = TokenVerifier(jwks_url=url, issuer=ISSUER, client_id=CLIENT)
    return asyncio.run(verifier.verify(token, kind))


def refused(url: str, token: str, kind: str = "id") -> str:
    with pytest.raises(InvalidToken) as caught:
        verify(url, token, kind)
    return str(caught.value)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_good_id_and_access_tokens_are_accepted(jwks: JwksServer) -> None:
    key = Key("k1")
    jwks.keys = [key.jwk()]
    assert verify(jwks.url, key.sign(claims("id")))["preferred_username"] == "alice"
    assert verify(jwks.url, key.sign(claims("access")), "access")["client_id"] == CLIENT


def test_tampered_token_is_refused(jwks: JwksServer) -> None:
    key = Key("k1")
    jwks.keys = [key.jwk()]
    header, payload, signature = key.sign(claims()).split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["preferred_username"] = "admin"
    assert "Signature" in refused(
        jwks.url, f"{header}.{b64(json.dumps(forged).encode())}.{signature}"
    )


def test_token_signed_by_another_key_with_the_same_id_is_refused(jwks: JwksServer) -> None:
    jwks.keys = [Key("k1").jwk()]
    assert "Signature" in refused(jwks.url, Key("k1").sign(claims()))


def test_expired_token_is_refused(jwks: JwksServer) -> None:
    key = Key("k1")
    jwks.keys = [key.jwk()]
    past = int(time.time()) - 7200
    assert "Expired" in refused(jwks.url, key.sign(claims(iat=past, exp=past + 3600)))


def test_wrong_issuer_is_refused(jwks: JwksServer) -> None:
    key = Key("k1")
    jwks.keys = [key.jwk()]
    other_pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_otherpool"
    assert "Issuer" in refused(jwks.url, key.sign(claims(iss=other_pool)))


def test_wrong_audience_or_client_is_refused(jwks: JwksServer) -> None:
    key = Key("k1")
    jwks.keys = [key.jwk()]
    assert "Audience" in refused(jwks.url, key.sign(claims("id", aud="another-app")))
    other = key.sign(claims("access", client_id="another-app"))
    assert "another client" in refused(jwks.url, other, "access")


def test_wrong_token_use_is_refused(jwks: JwksServer) -> None:
    key = Key("k1")
    jwks.keys = [key.jwk()]
    assert "token_use" in refused(jwks.url, key.sign(claims("id")), "access")
    assert "token_use" in refused(jwks.url, key.sign(claims("access", aud=CLIENT)), "id")


def test_missing_expiry_is_refused(jwks: JwksServer) -> None:
    key = Key("k1")
    jwks.keys = [key.jwk()]
    assert "exp" in refused(jwks.url, key.sign(claims(exp=None)))


def test_alg_none_and_hmac_with_the_public_key_are_refused(jwks: JwksServer) -> None:
    key = Key("k1")
    jwks.keys = [key.jwk()]
    body = b64(json.dumps(claims()).encode())
    unsigned = b64(json.dumps({"alg": "none", "kid": "k1", "typ": "JWT"}).encode())
    assert "'none'" in refused(jwks.url, f"{unsigned}.{body}.")
    header = b64(json.dumps({"alg": "HS256", "kid": "k1", "typ": "JWT"}).encode())
    mac = hmac.new(key.public_pem(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    assert "'HS256'" in refused(jwks.url, f"{header}.{body}.{b64(mac)}")
    assert "not a JWT" in refused(jwks.url, "not-a-token")


def test_unknown_key_id_refetches_the_keys_at_most_once_a_minute(jwks: JwksServer) -> None:
    old, new = Key("old"), Key("new")
    jwks.keys = [old.jwk()]
    verifier = TokenVerifier(jwks_url=jwks.url, issuer=ISSUER, client_id=CLIENT)

    async def run() -> None:
        await verifier.load()
        assert (await verifier.verify(old.sign(claims()), "id"))["sub"]
        jwks.keys = [old.jwk(), new.jwk()]  # the provider rotates in a new key
        assert (await verifier.verify(new.sign(claims()), "id"))["sub"]
        assert jwks.fetches == 2
        for made_up in ("x1", "x2", "x3"):
            with pytest.raises(InvalidToken, match="no signing key"):
                await verifier.verify(new.sign(claims(), kid=made_up), "id")
        assert jwks.fetches == 2  # made-up key ids do not make us fetch again and again

    asyncio.run(run())


def test_unreachable_jwks_is_a_clear_error() -> None:
    verifier = TokenVerifier(
        jwks_url="http://127.0.0.1:9/jwks.json", issuer=ISSUER, client_id=CLIENT
    )
    with pytest.raises(InvalidToken, match=r"cannot load the keys from http://127\.0\.0\.1:9/"):
        asyncio.run(verifier.load())


def test_keys_that_cannot_be_fetched_or_a_clock_behind_are_no_refusal(
    jwks: JwksServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token that could not be checked was refused as one that failed its check: a refresh
    in the minute after a failed fetch of a rotated key, or a token issued ahead of a clock
    more than 30 s slow, ended the session (cognito.still_valid). Now they are CannotJudge,
    for which a session is trusted a while."""
    old, new = Key("old"), Key("new")
    jwks.keys = [old.jwk()]
    verifier = TokenVerifier(jwks_url=jwks.url, issuer=ISSUER, client_id=CLIENT)

    async def run() -> None:
        await verifier.load()
        jwks.keys, jwks.failing = [old.jwk(), new.jwk()], True  # rotated, and down
        with pytest.raises(CannotJudge, match="cannot load the keys"):
            await verifier.verify(new.sign(claims()), "id")
        with pytest.raises(CannotJudge, match="no signing key with id 'new' yet"):
            await verifier.verify(new.sign(claims()), "id")  # not asked again so soon
        jwks.failing = False
        monkeypatch.setattr(tokens, "REFETCH_SECONDS", 0.0)
        assert (await verifier.verify(new.sign(claims()), "id"))["sub"]
        with pytest.raises(InvalidToken) as made_up:  # fetched afresh: that one is refused
            await verifier.verify(new.sign(claims(), kid="x1"), "id")
        assert not isinstance(made_up.value, CannotJudge)
        ahead = int(time.time()) + 300
        with pytest.raises(CannotJudge, match="iat"):
            await verifier.verify(new.sign(claims(iat=ahead, exp=ahead + 3600)), "id")

    asyncio.run(run())
