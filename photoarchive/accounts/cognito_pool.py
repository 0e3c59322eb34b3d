"""Cognito's user-pool API, spoken as plain JSON over HTTPS (no SDK, no SRP): the calls, the
client secret's hash, and what each of Cognito's errors means for the person at the form."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Any

import httpx

from photoarchive.accounts.users import WRONG_LOGIN
from photoarchive.errors import (
    AppError,
    Conflict,
    Forbidden,
    Invalid,
    NotAuthenticated,
    TooManyRequests,
    Unavailable,
)
from photoarchive.settings import Settings

log = logging.getLogger("photoarchive.cognito")

TARGET = "AWSCognitoIdentityProviderService."
TOO_MANY = "Too many attempts. Wait a few minutes and try again."


class CognitoFailure(Exception):
    """Cognito answered with an error; `code` is its exception name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class CognitoPool:
    """One app client of one user pool."""

    def __init__(self, settings: Settings) -> None:
        region = settings.cognito_region
        self.client_id = settings.cognito_client_id
        self.client_secret = settings.cognito_client_secret
        self.endpoint = (
            settings.cognito_endpoint or f"https://cognito-idp.{region}.amazonaws.com"
        ).rstrip("/")
        self.http: httpx.AsyncClient | None = None

    def open(self) -> httpx.AsyncClient:
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False)
        return self.http

    async def close(self) -> None:
        if self.http is not None:
            await self.http.aclose()
            self.http = None

    async def call(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        assert self.http is not None, "CognitoPool.open() was not awaited"
        try:
            answer = await self.http.post(
                self.endpoint + "/",
                content=json.dumps(body),
                headers={
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": TARGET + action,
                },
            )
        except httpx.HTTPError as exc:
            log.warning("Cognito %s: %s: %s", action, type(exc).__name__, exc)
            raise Unavailable(
                "The sign-in service cannot be reached right now. Try again in a minute."
            ) from None
        try:
            data = answer.json()
        except ValueError:
            data = {}
        if answer.status_code == 200 and isinstance(data, dict):
            return data
        code = str(data.get("__type", "") if isinstance(data, dict) else "").rsplit("#", 1)[-1]
        message = str(data.get("message") or data.get("Message") or "") if data else ""
        raise CognitoFailure(code or f"HTTP {answer.status_code}", message)

    def secret_hash(self, username: str) -> str | None:
        """Cognito's SECRET_HASH: HMAC-SHA256 of username + client id under the client secret."""
        if not self.client_secret:
            return None
        digest = hmac.new(
            self.client_secret.encode(), (username + self.client_id).encode(), hashlib.sha256
        ).digest()
        return base64.b64encode(digest).decode()

    def with_hash(self, body: dict[str, Any], username: str) -> dict[str, Any]:
        secret_hash = self.secret_hash(username)
        if secret_hash:
            body["SecretHash"] = secret_hash
        return body

    async def ask(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """`call`, with a failure said as the error a form shows."""
        try:
            return await self.call(action, body)
        except CognitoFailure as failure:
            raise explain(failure, action) from None


def explain(failure: CognitoFailure, action: str) -> AppError:
    """A message for the form from what Cognito said."""
    code, message = failure.code, failure.message
    lowered = message.lower()
    if code == "NotAuthorizedException":
        if "disabled" in lowered:
            return Forbidden("This account is disabled.")
        if "secret hash" in lowered:
            log.error("Cognito %s refused the client secret: %s", action, message)
            return Unavailable("Sign-in is misconfigured on this archive; tell its admin.")
        return NotAuthenticated(WRONG_LOGIN)
    if code == "UserNotFoundException":
        return NotAuthenticated(WRONG_LOGIN)
    if code == "UserNotConfirmedException":
        return Forbidden(
            "Confirm your email address first: enter the code we emailed you.",
            field="confirm",
        )
    if code == "PasswordResetRequiredException":
        return Forbidden("This account needs a new password: use “Forgot your password?”.")
    if code in ("UsernameExistsException", "AliasExistsException"):
        return Conflict("An account with that email already exists.", field="email")
    if code == "InvalidPasswordException":
        detail = message.split(":", 1)[-1].strip() if ":" in message else ""
        return Invalid(
            "That password is too weak for this archive's rules"
            + (f": {detail}" if detail else ". Use a longer one with mixed characters."),
            field="password",
        )
    if code == "CodeMismatchException":
        return Invalid(
            "That code is not right. Check the email we sent and try again.", field="code"
        )
    if code == "ExpiredCodeException":
        return Invalid(
            "That code has expired or was already used. Ask for a new one.", field="code"
        )
    if code == "InvalidParameterException":
        return Invalid(message or "Cognito did not accept those details.")
    if code in (
        "LimitExceededException",
        "TooManyRequestsException",
        "TooManyFailedAttemptsException",
    ):
        return TooManyRequests(TOO_MANY, retry_after=300)
    if code == "CodeDeliveryFailureException":
        return Unavailable("The email with your code could not be sent. Try again later.")
    log.error("Cognito %s failed: %s %s", action, code, message)
    return Unavailable("The sign-in service failed. Try again later.")
