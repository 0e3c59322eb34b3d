"""Throttles kept in the database: sign-in failures per account and per client, share-link
password failures per link and client and per link, sign-ups per client; over the budget ->
429 with the wait.

Each sign-in attempt is counted as a failure *before* the password is checked and forgiven
after a success, so a burst of parallel guesses cannot slip past the limit while argon2 is busy.
Counting and adding an attempt happen under the named locks of the budgets they draw on, so two
attempts at once cannot both see room for one more.
A client is its IPv4 address, or its IPv6 /64: one household or host is given a whole /64 and
could otherwise spend a fresh budget on every address in it.

A browser the account has signed in from before carries a known-device token (a cookie
signed over the account's password hash, so a new password ends it): its attempts draw on a
budget of that account on that device instead of the account's own. Someone guessing from elsewhere then spends the account's budget alone, and
cannot keep its owner out of the devices they use.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from photoarchive import clock
from photoarchive.accounts import users
from photoarchive.accounts.users import User
from photoarchive.db import Backend, Reader, Transaction
from photoarchive.errors import Invalid, NotAuthenticated, TooManyRequests
from photoarchive.services import Services
from photoarchive.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    max_failures: int
    window_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.login_max_failures, settings.login_window_minutes * 60)


# Reset mails to one address: at most this many an hour (fewer if sign-in allows fewer).
MAILS_PER_ADDRESS = 3
MAIL_WINDOW_SECONDS = 3600.0


def mail_key(address: str) -> str:
    """The budget of mail to one address (see mail_budget.py)."""
    return f"mail:{address.strip().lower()[:320]}"


def client_key(client_ip: str) -> str:
    """The budget a client address draws on: the address (IPv4), or its /64 (IPv6)."""
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip  # not an address (a test client's name): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


# The cookie of a known device, and how long a browser keeps it.
DEVICE_COOKIE = "known_device"
DEVICE_SECONDS = 365 * 24 * 3600
_DEVICE = re.compile(r"([0-9]{1,18})\.([A-Za-z0-9_-]{16})\.([0-9a-f]{32})")


@dataclass(frozen=True)
class Device:
    """A known-device token as a browser sent it: checked only against its account."""

    user_id: int
    nonce: str
    mac: str


def parse_device(token: str | None) -> Device | None:
    found = _DEVICE.fullmatch(token or "")
    return None if found is None else Device(int(found[1]), found[2], found[3])


async def device_binding(db: Reader, user_id: int) -> str:
    """What a known-device token of the user is signed over besides its nonce: the password
    hash (else the provider's id), so a new password ends every device's standing."""
    value = await db.fetchval(
        "SELECT COALESCE(password_hash, external_id, '') FROM users WHERE id = ?", (user_id,)
    )
    return str(value or "")


def device_token(secret: str, user_id: int, binding: str, kept: str | None = None) -> str:
    """A known-device token for `user_id`: `kept` when it is a valid one of theirs already
    (its budget stays the same), else a new one."""
    device = parse_device(kept)
    ours = device is not None and device.user_id == user_id
    if kept is not None and device is not None and ours and _device_valid(secret, device, binding):
        return kept
    nonce = secrets.token_urlsafe(12)
    return f"{user_id}.{nonce}.{_device_mac(secret, user_id, nonce, binding)}"


def _device_valid(secret: str, device: Device, binding: str) -> bool:
    expected = _device_mac(secret, device.user_id, device.nonce, binding)
    return hmac.compare_digest(device.mac, expected)


def _device_mac(secret: str, user_id: int, nonce: str, binding: str) -> str:
    message = f"known-device\0{user_id}\0{nonce}\0{binding}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


async def _account_key(tx: Transaction, login: str) -> str:
    """One key per account whichever name it is signed in with; the typed login otherwise."""
    key = login.strip().lower()[:320]
    row = await tx.fetchone(
        "SELECT id FROM users WHERE username_key = ? OR email_key = ?", (key, key)
    )
    return f"user:{row['id']}" if row is not None else f"login:{key}"


async def _forget_old(tx: Transaction, limits: Limits, moment: float) -> None:
    """Drop counts no budget looks at any more: sign-in's window, or the hour of reset mails
    (kept in the same table), whichever is longer."""
    oldest = moment - max(limits.window_seconds, MAIL_WINDOW_SECONDS)
    await tx.execute("DELETE FROM login_failures WHERE failed_at <= ?", (oldest,))


SIGN_INS = "Too many failed sign-ins."
LINK_GUESSES = "Too many wrong passwords for this link."
# A link's budget over all clients, in budgets of one client.
LINK_WIDE = 10


def _wait_message(seconds: int, what: str = SIGN_INS) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"{what} Try again in {minutes} {unit}."


def _wait(failures: list[float], limits: Limits, moment: float) -> int:
    """Seconds until enough of these failures age out to allow one more attempt (0: now)."""
    if len(failures) < limits.max_failures:
        return 0
    frees_at = failures[len(failures) - limits.max_failures] + limits.window_seconds
    return max(1, math.ceil(frees_at - moment))


async def _begin_attempt(
    db: Backend,
    limits: Limits,
    login: str,
    client: str,
    *,
    key: str | None = None,
    client_counts: bool = True,
    client_factor: int = 1,
    what: str = SIGN_INS,
    device: Device | None = None,
    secret: str = "",
) -> tuple[int, str]:
    """Refuse when a budget the attempt draws on is spent; else count this attempt as a
    failure for now. Returns the attempt's row id and the account key (`key` when given).

    `client` is the key the attempt is kept under as a client; with `client_counts` false the
    client's budget is neither asked nor spent by this row (see `confirm_password`); with a
    `client_factor` the client's budget is that many times the account's. A
    `device` known to the account draws on that account's budget on that device."""
    moment = clock.now()
    since = moment - limits.window_seconds
    async with db.transaction() as tx:
        await _forget_old(tx, limits, moment)
        account = key if key is not None else await _account_key(tx, login)
        if device is not None and account == f"user:{device.user_id}":
            binding = await device_binding(tx, device.user_id)
            account += f":device:{device.nonce}" if _device_valid(secret, device, binding) else ""
        budgets = [f"sign-in:{account}"]
        if client_counts:
            budgets.append(f"sign-in:client:{client}")
        for budget in sorted(budgets):
            await tx.lock(budget)  # always in the same order: two attempts cannot deadlock
        by_account = await tx.fetchall(
            "SELECT failed_at FROM login_failures WHERE account_key = ? AND failed_at > ?"
            " ORDER BY failed_at",
            (account, since),
        )
        waits = [_wait([r["failed_at"] for r in by_account], limits, moment)]
        if client_counts:
            by_client = await tx.fetchall(
                "SELECT failed_at FROM login_failures WHERE client_ip = ? AND failed_at > ?"
                " ORDER BY failed_at",
                (client, since),
            )
            client_limits = Limits(limits.max_failures * client_factor, limits.window_seconds)
            waits.append(_wait([r["failed_at"] for r in by_client], client_limits, moment))
        wait = max(waits)
        if wait:
            raise TooManyRequests(_wait_message(wait, what), retry_after=wait)
        attempt = await tx.fetchval(
            "INSERT INTO login_failures (account_key, client_ip, failed_at) VALUES (?, ?, ?)"
            " RETURNING id",
            (account, client, moment),
        )
    return attempt, account


async def _guarded(
    svc: Services,
    check: Callable[[], Awaitable[T]],
    login: str,
    client: str,
    *,
    key: str | None = None,
    client_counts: bool = True,
    client_factor: int = 1,
    what: str = SIGN_INS,
    device: Device | None = None,
) -> T:
    limits = Limits.from_settings(svc.settings)
    attempt, account = await _begin_attempt(
        svc.db,
        limits,
        login,
        client,
        key=key,
        client_counts=client_counts,
        client_factor=client_factor,
        what=what,
        device=device,
        secret=svc.settings.secret_key,
    )
    try:
        result = await check()
    except NotAuthenticated:
        raise
    except BaseException:
        await svc.db.execute("DELETE FROM login_failures WHERE id = ?", (attempt,))
        raise
    await svc.db.execute(
        "DELETE FROM login_failures WHERE id = ? OR account_key = ?", (attempt, account)
    )
    return result


async def guarded(
    svc: Services,
    login: str,
    client_ip: str,
    check: Callable[[], Awaitable[T]],
    *,
    device_cookie: str | None = None,
) -> T:
    """Run `check` (a password check for `login`) under the throttle: a NotAuthenticated
    from it stays counted as a failure; success forgives the account's failures (on that
    device only, from a device the account knows: see DEVICE_COOKIE)."""
    login = login if isinstance(login, str) else ""
    device = parse_device(device_cookie)
    return await _guarded(svc, check, login, client_key(client_ip), device=device)


async def guarding_link(
    svc: Services, share_id: int, client_ip: str, check: Callable[[], Awaitable[T]]
) -> T:
    """Run `check` (a share link's password check) on two budgets of that link: that client's
    (as slow as guessing an account's password) and the link's as a whole, LINK_WIDE times
    larger, so that guesses spread over many addresses (an IPv6 /48 holds 65,536 clients)
    still meet a limit. Neither is the sign-in budget of the household behind the address,
    nor another link's."""
    key = f"share:{share_id}:{client_key(client_ip)}"
    return await _guarded(
        svc,
        check,
        "",
        f"share:{share_id}",  # kept as the attempt's client: every client's guesses at the link
        key=key,
        client_factor=LINK_WIDE,
        what=LINK_GUESSES,
    )


async def sign_in(svc: Services, login: str, password: str, client_ip: str) -> User:
    """A local account's password check behind the throttle."""
    return await guarded(
        svc, login, client_ip, lambda: users.authenticate(svc.db, svc.passwords, login, password)
    )


async def confirm_password(svc: Services, user: User, password: str, client_ip: str) -> None:
    """Check a signed-in user's current password (before a change of password or email).

    Failures count on the account's sign-in budget, so a stolen session cannot be used to
    guess the password; the client's budget is not asked: a member at home is not refused
    for what others behind the same address got wrong, nor do their slips count for others."""

    async def check() -> User:
        return await users.authenticate(svc.db, svc.passwords, user.username, password)

    try:
        await _guarded(
            svc,
            check,
            user.username,
            f"confirm:{client_key(client_ip)}",
            key=f"user:{user.id}",
            client_counts=False,
        )
    except NotAuthenticated:
        raise Invalid("That is not your current password.", field="current_password") from None


SIGNUP_WINDOW_SECONDS = 3600.0


async def signing_up(svc: Services, client_ip: str, sign_up: Callable[[], Awaitable[T]]) -> T:
    """Run `sign_up` unless the client has spent its sign-up budget for the hour.

    Every attempt counts, kept or refused: a flood of refused sign-ups costs the server work
    too, and a family signs up a handful of people, not dozens an hour.
    """
    limits = Limits(svc.settings.signup_max_per_hour, SIGNUP_WINDOW_SECONDS)
    key = client_key(client_ip)
    moment = clock.now()
    since = moment - limits.window_seconds
    async with svc.db.transaction() as tx:
        await tx.lock(f"sign-up:client:{key}")
        await tx.execute("DELETE FROM signup_attempts WHERE at <= ?", (since,))
        rows = await tx.fetchall(
            "SELECT at FROM signup_attempts WHERE client_key = ? AND at > ? ORDER BY at",
            (key, since),
        )
        wait = _wait([row["at"] for row in rows], limits, moment)
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            unit = "minute" if minutes == 1 else "minutes"
            raise TooManyRequests(
                f"Too many sign-ups from your network. Try again in {minutes} {unit}.",
                retry_after=wait,
            )
        await tx.execute(
            "INSERT INTO signup_attempts (client_key, at) VALUES (?, ?)", (key, moment)
        )
    return await sign_up()


async def asking_for_reset_mail(
    svc: Services, address: str, client_ip: str, what: str = "a reset link"
) -> None:
    """Count a request for a password-reset mail; 429 once the typed address, or the client,
    has asked as many times in the sign-in window as sign-in allows failures. The address is
    counted as typed, whether or not an account has it, so a refusal tells nothing either.

    Kept beside sign-in failures under keys of their own ('mail:'), so asking for mail and
    signing in never spend each other's budget."""
    limits = Limits.from_settings(svc.settings)
    # A mailbox gets at most a few of these an hour, however many clients ask: the form must
    # not become a way to fill someone's inbox.
    per_address = Limits(min(limits.max_failures, MAILS_PER_ADDRESS), MAIL_WINDOW_SECONDS)
    moment = clock.now()
    address_key = mail_key(address)
    client = f"mail:{client_key(client_ip)}"
    async with svc.db.transaction() as tx:
        for budget in sorted((f"reset-mail:{address_key}", f"reset-mail:client:{client}")):
            await tx.lock(budget)
        await _forget_old(tx, limits, moment)
        by_address = await tx.fetchall(
            "SELECT failed_at FROM login_failures WHERE account_key = ? AND failed_at > ?"
            " ORDER BY failed_at",
            (address_key, moment - per_address.window_seconds),
        )
        by_client = await tx.fetchall(
            "SELECT failed_at FROM login_failures WHERE client_ip = ? AND failed_at > ?"
            " ORDER BY failed_at",
            (client, moment - limits.window_seconds),
        )
        wait = max(
            _wait([r["failed_at"] for r in by_address], per_address, moment),
            _wait([r["failed_at"] for r in by_client], limits, moment),
        )
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            unit = "minute" if minutes == 1 else "minutes"
            raise TooManyRequests(
                f"Too many requests for {what}. Try again in {minutes} {unit}.",
                retry_after=wait,
            )
        await tx.execute(
            "INSERT INTO login_failures (account_key, client_ip, failed_at) VALUES (?, ?, ?)",
            (address_key, client, moment),
        )
