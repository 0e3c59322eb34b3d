"""Accounts in an AWS Cognito user pool (spoken to through `cognito_pool`).

Cognito keeps the passwords and sends the emails; this app keeps its own session (cookie or
Bearer token, as in local mode) and a user row linked to the pool by the token's `sub`. The
refresh token is kept with the session, sealed with the app's secret key, and used once per
access-token lifetime to ask Cognito whether the account is still good.

The pool is expected to sign users in by email, with `preferred_username` as the name shown
here: the Cognito username is the email, the archive's username is `preferred_username`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from photoarchive import clock
from photoarchive.accounts import users
from photoarchive.accounts.admins import listed
from photoarchive.accounts.cognito_pool import CognitoFailure, CognitoPool, explain
from photoarchive.accounts.provider import AccountsUnavailable, SignedIn, SignedUp
from photoarchive.accounts.tokens import CannotJudge, InvalidToken, TokenVerifier
from photoarchive.accounts.users import PASSWORD_MAX, WRONG_LOGIN, User
from photoarchive.errors import (
    Forbidden,
    Invalid,
    NotAuthenticated,
    Unavailable,
)
from photoarchive.settings import Settings

if TYPE_CHECKING:
    from photoarchive.accounts.sessions import Session
    from photoarchive.services import Services

log = logging.getLogger("photoarchive.cognito")

CODE_MAX = 64
CODE_RE = re.compile(rf"^[0-9A-Za-z-]{{1,{CODE_MAX}}}$")
# When Cognito cannot be asked, a session is trusted this much longer before asking again.
RETRY_SECONDS = 60.0
# Held by a sign-up from its checks to its local row (not users.SIGN_UP_LOCK, which the
# row's own transaction takes: on PostgreSQL a second holder of one name would wait on us).
PROVIDER_SIGN_UP_LOCK = "accounts:provider-sign-up"


class CognitoAccounts:
    uses_email_codes = True
    first_sign_up_is_admin = False  # the first to sign in is (see _grant_admin)

    def __init__(self, settings: Settings) -> None:
        region, pool = settings.cognito_region, settings.cognito_user_pool_id
        self.pool = CognitoPool(settings)
        self.client_id = self.pool.client_id
        self.client_secret = self.pool.client_secret
        issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool}"
        self.tokens = TokenVerifier(
            jwks_url=settings.cognito_jwks_url or f"{issuer}/.well-known/jwks.json",
            issuer=issuer,
            client_id=self.client_id,
        )
        key = hashlib.sha256(b"photoarchive refresh token\0" + settings.secret_key.encode())
        self._sealer = AESGCM(key.digest())
        # sha256 of a session's sealed refresh token -> when to ask Cognito again
        self._fresh_until: dict[str, float] = {}

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self.tokens.http = self.pool.open()
        try:
            await self.tokens.load()
        except InvalidToken as exc:
            raise AccountsUnavailable(
                f"Cognito's signing keys could not be loaded: {exc}. Check "
                "PHOTOARCHIVE_COGNITO_REGION and PHOTOARCHIVE_COGNITO_USER_POOL_ID "
                "(or PHOTOARCHIVE_COGNITO_JWKS_URL)."
            ) from exc

    async def close(self) -> None:
        await self.pool.close()

    async def _pool_username(self, svc: Services, login: str) -> str:
        """The name Cognito knows the user by: the email (our username maps to it)."""
        return await users.provider_login(svc.db, login)

    # --- accounts -------------------------------------------------------------------------

    async def sign_up(
        self, svc: Services, *, username: str, email: str, password: str, invite: str | None
    ) -> SignedUp:
        users.check_username(username)
        email = users.check_email(email)
        users.check_password(password)
        # One provider sign-up at a time, from the check to the local row: two at once (one
        # invite shared in a family chat, one name) both passed the check and both made a
        # Cognito account; the second's row was refused, and its account, left in the pool
        # with no way to use or remove it from here, kept that address out for good.
        async with svc.db.lock(PROVIDER_SIGN_UP_LOCK):
            user, confirmed = await self._sign_up(svc, username, email, password, invite)
        if not confirmed:
            return SignedUp(user, confirmation_required=True)
        signed = await self.sign_in(svc, email, password)  # a pool that confirms by itself
        return SignedUp(signed.user, refresh_token=signed.refresh_token)

    async def _sign_up(
        self, svc: Services, username: str, email: str, password: str, invite: str | None
    ) -> tuple[User, bool]:
        """The local user made for a new pool account, and whether the pool confirmed it."""
        registration = svc.settings.registration
        # Refused here, before Cognito has an account we would have to take back.
        await users.check_registration(
            svc.db, username=username, email=email, registration=registration, invite=invite
        )
        answer = await self.pool.ask(
            "SignUp",
            self.pool.with_hash(
                {
                    "ClientId": self.client_id,
                    "Username": email,
                    "Password": password,
                    "UserAttributes": [
                        {"Name": "email", "Value": email},
                        {"Name": "preferred_username", "Value": username},
                    ],
                },
                email,
            ),
        )
        user = await users.insert(
            svc.db,
            username=username,
            email=email,
            password_hash=None,
            registration=registration,
            invite=invite,
            external_id=str(answer["UserSub"]),
            first_is_admin=False,  # granted at the first sign-in, see _grant_admin
            quota_bytes=svc.settings.default_quota_bytes,
        )
        return user, bool(answer.get("UserConfirmed"))

    async def confirm(self, svc: Services, login: str, code: str) -> None:
        code = code.strip()
        if not CODE_RE.fullmatch(code):
            raise Invalid("Enter the code from the email we sent you.", field="code")
        name = await self._pool_username(svc, login)
        await self.pool.ask(
            "ConfirmSignUp",
            self.pool.with_hash(
                {"ClientId": self.client_id, "Username": name, "ConfirmationCode": code}, name
            ),
        )

    async def resend_code(self, svc: Services, login: str) -> None:
        name = await self._pool_username(svc, login)
        try:
            await self.pool.call(
                "ResendConfirmationCode",
                self.pool.with_hash({"ClientId": self.client_id, "Username": name}, name),
            )
        except CognitoFailure as failure:
            if failure.code != "UserNotFoundException":  # not told apart from a sent code
                raise explain(failure, "ResendConfirmationCode") from None

    async def sign_in(self, svc: Services, login: str, password: str) -> SignedIn:
        if not login.strip() or not password or len(password) > PASSWORD_MAX:
            raise NotAuthenticated(WRONG_LOGIN)
        name = await self._pool_username(svc, login)
        params = {"USERNAME": name, "PASSWORD": password}
        if secret_hash := self.pool.secret_hash(name):
            params["SECRET_HASH"] = secret_hash
        answer = await self.pool.ask(
            "InitiateAuth",
            {
                "ClientId": self.client_id,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": params,
            },
        )
        if "AuthenticationResult" not in answer:
            challenge = answer.get("ChallengeName", "an extra step")
            raise Forbidden(
                f"This account must first complete {challenge}, which this archive does not "
                "support. Ask its administrator."
            )
        result = answer["AuthenticationResult"]
        try:
            claims = await self._verified(result)
            if not result.get("RefreshToken"):
                raise InvalidToken("the answer has no refresh token")
        except InvalidToken as exc:
            log.error("Cognito's sign-in tokens were refused: %s", exc)
            raise Unavailable(
                "The sign-in answer could not be verified. Tell the archive's administrator."
            ) from None
        user = await self._grant_admin(svc, await self._link(svc, claims), claims)
        sealed = self._seal(result["RefreshToken"], str(claims.get("cognito:username") or name))
        self._fresh_until[_digest(sealed)] = clock.now() + _lifetime(result)
        return SignedIn(user, refresh_token=sealed)

    async def forgot_password(self, svc: Services, login: str) -> None:
        name = await self._pool_username(svc, login)
        try:
            await self.pool.call(
                "ForgotPassword",
                self.pool.with_hash({"ClientId": self.client_id, "Username": name}, name),
            )
        except CognitoFailure as failure:
            # Whether the account exists is not told to whoever asks.
            if failure.code not in ("UserNotFoundException", "InvalidParameterException"):
                raise explain(failure, "ForgotPassword") from None

    async def reset_password(self, svc: Services, login: str, code: str, password: str) -> None:
        code = code.strip()
        if not CODE_RE.fullmatch(code):
            raise Invalid("Enter the code from the email we sent you.", field="code")
        users.check_password(password)
        name = await self._pool_username(svc, login)
        await self.pool.ask(
            "ConfirmForgotPassword",
            self.pool.with_hash(
                {
                    "ClientId": self.client_id,
                    "Username": name,
                    "ConfirmationCode": code,
                    "Password": password,
                },
                name,
            ),
        )
        # A new password ends every session the old one opened here.
        await users.end_external_sessions(svc.db, name)

    async def still_valid(self, svc: Services, session: Session) -> bool:
        if not session.refresh_token:
            return False  # a session from before Cognito was switched on
        key = _digest(session.refresh_token)
        if clock.now() < self._fresh_until.get(key, 0.0):
            return True
        opened = self._unseal(session.refresh_token)
        if opened is None:
            return False  # sealed under another secret key
        refresh_token, pool_username = opened
        params = {"REFRESH_TOKEN": refresh_token}
        if secret_hash := self.pool.secret_hash(pool_username):
            params["SECRET_HASH"] = secret_hash
        try:
            answer = await self.pool.call(
                "InitiateAuth",
                {
                    "ClientId": self.client_id,
                    "AuthFlow": "REFRESH_TOKEN_AUTH",
                    "AuthParameters": params,
                },
            )
            result = answer["AuthenticationResult"]
            claims = await self._verified(result)
        except CognitoFailure as failure:
            if failure.code in ("NotAuthorizedException", "UserNotFoundException"):
                self._fresh_until.pop(key, None)
                return False  # revoked, expired, signed out everywhere or user disabled
            log.warning("Cognito refresh failed (%s); trusting the session a while", failure)
            self._fresh_until[key] = clock.now() + RETRY_SECONDS
            return True
        except Unavailable:
            self._fresh_until[key] = clock.now() + RETRY_SECONDS
            return True
        except CannotJudge as exc:  # not a refusal: the keys, or our clock, are not there yet
            log.warning(
                "Cognito's refreshed tokens could not be checked (%s); trusting a while", exc
            )
            self._fresh_until[key] = clock.now() + RETRY_SECONDS
            return True
        except (InvalidToken, KeyError) as exc:
            log.error("Cognito's refreshed tokens were refused: %s", exc)
            return False
        linked = await users.external_id_of(svc.db, session.user.id)
        if linked != claims["sub"]:
            return False
        if len(self._fresh_until) > 100_000:
            self._fresh_until.clear()
        self._fresh_until[key] = clock.now() + _lifetime(result)
        return True

    async def sign_out(self, svc: Services, session: Session) -> None:
        if not session.refresh_token:
            return
        self._fresh_until.pop(_digest(session.refresh_token), None)
        opened = self._unseal(session.refresh_token)
        if opened is None:
            return
        body = {"ClientId": self.client_id, "Token": opened[0]}
        if self.client_secret:
            body["ClientSecret"] = self.client_secret
        try:
            await self.pool.call("RevokeToken", body)
        except (CognitoFailure, Unavailable) as exc:
            # Our session ends regardless; the refresh token then dies with its own expiry.
            log.warning("Cognito could not revoke the refresh token: %s", exc)

    # --- tokens and the local user row ----------------------------------------------------

    async def _verified(self, result: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, once the ID and access tokens both check out."""
        try:
            claims = await self.tokens.verify(str(result["IdToken"]), "id")
            access = await self.tokens.verify(str(result["AccessToken"]), "access")
        except KeyError as exc:
            raise InvalidToken(f"the answer has no {exc.args[0]}") from None
        if access["sub"] != claims["sub"]:
            raise InvalidToken("the ID and access tokens name different users")
        return claims

    async def _link(self, svc: Services, claims: dict[str, Any]) -> User:
        """The local user for the token's `sub`, created (under the sign-up policy) if new."""
        sub = str(claims["sub"])
        found = await users.by_external_id(svc.db, sub)
        if found is not None:
            user = found
        else:
            email = str(claims.get("email") or "")
            username = str(claims.get("preferred_username") or email.split("@")[0])
            user = await users.insert(
                svc.db,
                username=users.check_username(username),
                email=users.check_email(email),
                password_hash=None,
                registration=svc.settings.registration,
                external_id=sub,
                first_is_admin=False,
                quota_bytes=svc.settings.default_quota_bytes,
            )
        if user.disabled:
            raise Forbidden("This account is disabled.")
        return user

    async def _grant_admin(self, svc: Services, user: User, claims: dict[str, Any]) -> User:
        """PHOTOARCHIVE_ADMINS decides who is an admin (by user name, or by the email address
        the pool verified); without it, the first to sign in is."""
        admins = svc.settings.admins
        if admins:
            verified = claims.get("email_verified") in (True, "true")
            email = str(claims.get("email") or "") if verified else None
            wanted = listed(admins, user.username, email)
            if wanted != user.is_admin:
                await users.set_admin(svc.db, user.id, wanted)
            return replace(user, is_admin=wanted)
        if user.is_admin:
            return user
        return replace(user, is_admin=await users.claim_first_admin(svc.db, user.id))

    def _seal(self, refresh_token: str, pool_username: str) -> str:
        nonce = os.urandom(12)
        plain = json.dumps({"t": refresh_token, "u": pool_username}).encode()
        return base64.urlsafe_b64encode(nonce + self._sealer.encrypt(nonce, plain, None)).decode()

    def _unseal(self, sealed: str) -> tuple[str, str] | None:
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
            data = json.loads(self._sealer.decrypt(raw[:12], raw[12:], None))
            return str(data["t"]), str(data["u"])
        except (InvalidTag, ValueError, KeyError, TypeError):
            return None


def _digest(sealed: str) -> str:
    return hashlib.sha256(sealed.encode()).hexdigest()


def _lifetime(result: dict[str, Any]) -> float:
    try:
        return max(60.0, float(result.get("ExpiresIn", 3600)) - 60)
    except (TypeError, ValueError):
        return 3600.0
