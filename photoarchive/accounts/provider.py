"""Who keeps the accounts: this app (passwords in our database) or an identity provider.

Pages and API call these methods and never ask which provider runs; `build_accounts` is the one
place that decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from photoarchive.accounts import users
from photoarchive.accounts.users import User
from photoarchive.errors import NotFound
from photoarchive.settings import Settings

if TYPE_CHECKING:
    from photoarchive.accounts.sessions import Session
    from photoarchive.services import Services


class AccountsUnavailable(Exception):
    """The account provider cannot be used as configured; the message says what to fix."""


@dataclass(frozen=True)
class SignedUp:
    """A new account: signed in at once, or waiting for the emailed code to be confirmed."""

    user: User
    confirmation_required: bool = False
    refresh_token: str | None = None  # when signed in at once with a provider


@dataclass(frozen=True)
class SignedIn:
    user: User
    # Kept with the session (sealed), to re-check the account with the provider later.
    refresh_token: str | None = None
    # A local account's password hash the password was checked against: its session is made
    # only while the account still has it (sessions.create).
    password_hash: str | None = None


class Accounts(Protocol):
    # Whether accounts are confirmed by an emailed code (and passwords reset the same way).
    uses_email_codes: bool
    # Whether the first account signed up here is the administrator: then a fresh install sends
    # its first visitor to sign up. (A provider may grant the role at sign-in instead, and may
    # have people who already hold accounts and just sign in.)
    first_sign_up_is_admin: bool

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def sign_up(
        self, svc: Services, *, username: str, email: str, password: str, invite: str | None
    ) -> SignedUp: ...

    async def confirm(self, svc: Services, login: str, code: str) -> None: ...

    async def resend_code(self, svc: Services, login: str) -> None: ...

    async def sign_in(self, svc: Services, login: str, password: str) -> SignedIn: ...

    async def forgot_password(self, svc: Services, login: str) -> None: ...

    async def reset_password(self, svc: Services, login: str, code: str, password: str) -> None: ...

    async def still_valid(self, svc: Services, session: Session) -> bool:
        """False when the provider no longer vouches for the session's user."""
        ...

    async def sign_out(self, svc: Services, session: Session) -> None: ...


NO_EMAIL_CODES = "This archive does not send codes by email; ask an administrator for help."


class LocalAccounts:
    """Accounts and argon2id password hashes in our own database."""

    uses_email_codes = False
    first_sign_up_is_admin = True

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def sign_up(
        self, svc: Services, *, username: str, email: str, password: str, invite: str | None
    ) -> SignedUp:
        user = await users.create(
            svc.db,
            svc.passwords,
            username=username,
            email=email,
            password=password,
            registration=svc.settings.registration,
            invite=invite,
            quota_bytes=svc.settings.default_quota_bytes,
        )
        return SignedUp(user)

    async def confirm(self, svc: Services, login: str, code: str) -> None:
        raise NotFound("Accounts on this archive need no confirmation code.")

    async def resend_code(self, svc: Services, login: str) -> None:
        raise NotFound(NO_EMAIL_CODES)

    async def sign_in(self, svc: Services, login: str, password: str) -> SignedIn:
        user, checked = await users.verify_login(svc.db, svc.passwords, login, password)
        return SignedIn(user, password_hash=checked)

    async def forgot_password(self, svc: Services, login: str) -> None:
        raise NotFound(NO_EMAIL_CODES)

    async def reset_password(self, svc: Services, login: str, code: str, password: str) -> None:
        raise NotFound(NO_EMAIL_CODES)

    async def still_valid(self, svc: Services, session: Session) -> bool:
        return True

    async def sign_out(self, svc: Services, session: Session) -> None:
        return None


async def awaits_first_admin(svc: Services) -> bool:
    """True on a fresh install whose first sign-up will administer it: nobody can sign in yet,
    so the pages send visitors to make that account."""
    return svc.accounts.first_sign_up_is_admin and not await users.has_accounts(svc.db)


def build_accounts(settings: Settings) -> Accounts:
    if settings.auth == "cognito":
        from photoarchive.accounts.cognito import CognitoAccounts

        return CognitoAccounts(settings)
    return LocalAccounts()
