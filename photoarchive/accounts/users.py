"""Accounts: the rules for names, emails and passwords, sign-up policy, profiles."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from photoarchive import clock
from photoarchive.accounts import admins, invites, names, quotas
from photoarchive.accounts.passwords import Passwords
from photoarchive.db import Backend, Reader, Row, Transaction
from photoarchive.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound

USERNAME_MIN = 3
USERNAME_MAX = 32
# Also the sign-up form's `pattern`: valid both here and in a browser's (v-flag) RegExp.
USERNAME_PATTERN = rf"[A-Za-z0-9_.\-]{{{USERNAME_MIN},{USERNAME_MAX}}}"
USERNAME_RE = re.compile(f"^{USERNAME_PATTERN}$")
EMAIL_MAX = 320
# One plain address: none of the characters with which a mail header names several (`a,b@x`,
# `a:b@x` is a group, `"a@x" <b@y>` a display name), or the mail would go elsewhere than the
# address kept and shown; nor control characters.
_EMAIL_CHAR = r"[^@\s\"(),:;<>\[\\\]\x00-\x1f\x7f]"
EMAIL_RE = re.compile(rf"^{_EMAIL_CHAR}{{1,64}}@{_EMAIL_CHAR}{{1,255}}\.{_EMAIL_CHAR}{{1,63}}$")
PASSWORD_MIN = 8
PASSWORD_MAX = 1024
WRONG_LOGIN = "Wrong username or password."
DISPLAY_NAME_MAX = 64
# A person's time zone setting: this, or an IANA name from the server's tz database.
TIME_ZONE_AUTOMATIC = ""
# Held by every transaction that adds an account: the first account becomes admin, names and
# emails stay unique and an invite is used once, even with two sign-ups at the same moment.
SIGN_UP_LOCK = "accounts:sign-up"
# Held while an identity provider's first user to sign in claims the administrator role.
FIRST_ADMIN_LOCK = "accounts:first-admin"


@dataclass(frozen=True)
class User:
    id: int
    username: str
    email: str
    display_name: str
    is_admin: bool
    disabled: bool
    created_at: str
    # The zone instants are shown in to this person; TIME_ZONE_AUTOMATIC: their browser's.
    # Read with the session (sessions.COLUMNS); an account looked up otherwise has the default.
    time_zone: str = TIME_ZONE_AUTOMATIC

    @property
    def initial(self) -> str:
        return (self.display_name or self.username)[:1].upper()


def user_from_row(row: Row | Mapping[str, Any]) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        email=row["email"],
        display_name=row["display_name"],
        is_admin=bool(row["is_admin"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
    )


def check_username(username: str) -> str:
    if not isinstance(username, str) or not USERNAME_RE.fullmatch(username):
        raise Invalid(
            f"Usernames are {USERNAME_MIN} to {USERNAME_MAX} characters:"
            " letters, digits, '_', '.' or '-'.",
            field="username",
        )
    return username


def check_email(email: str) -> str:
    email = email.strip() if isinstance(email, str) else ""
    if len(email) > EMAIL_MAX or not EMAIL_RE.fullmatch(email) or any(map(_unseen, email)):
        raise Invalid("Enter a valid email address.", field="email")
    return email


def _unseen(ch: str) -> bool:
    """A character no address is written with that shows it otherwise than it is: a mark that
    turns text round (U+202E), a zero-width one, a control, a private or unassigned one."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn")


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise Invalid(f"Passwords need at least {PASSWORD_MIN} characters.", field="password")
    if len(password) > PASSWORD_MAX:
        raise Invalid(f"Passwords can have at most {PASSWORD_MAX} characters.", field="password")
    return password


def check_display_name(name: str) -> str:
    if not isinstance(name, str):
        raise Invalid("The display name must be text.", field="display_name")
    name = " ".join(name.split())
    if len(name) > DISPLAY_NAME_MAX:
        raise Invalid(
            f"Display names can have at most {DISPLAY_NAME_MAX} characters.", field="display_name"
        )
    if any(not ch.isprintable() for ch in name):
        raise Invalid("The display name has characters that cannot be shown.", field="display_name")
    return name


async def create(
    db: Backend,
    passwords: Passwords,
    *,
    username: str,
    email: str,
    password: str,
    registration: str = "open",
    invite: str | None = None,
    is_admin: bool = False,
    quota_bytes: int | None = None,
) -> User:
    """Create an account under the registration policy; the very first account becomes admin."""
    check_username(username)
    email = check_email(email)
    check_password(password)
    # Refused sign-ups (closed, no invite, a taken name) must not cost an argon2 hash each.
    await check_registration(
        db, username=username, email=email, registration=registration, invite=invite
    )
    password_hash = await passwords.hash(password)
    return await insert(
        db,
        username=username,
        email=email,
        password_hash=password_hash,
        registration=registration,
        invite=invite,
        is_admin=is_admin,
        quota_bytes=quota_bytes,
    )


async def insert(
    db: Backend,
    *,
    username: str,
    email: str,
    password_hash: str | None,
    registration: str,
    invite: str | None = None,
    is_admin: bool = False,
    external_id: str | None = None,
    first_is_admin: bool = True,
    quota_bytes: int | None = None,  # no limit; else PHOTOARCHIVE_DEFAULT_QUOTA_MB's bytes
) -> User:
    async with db.transaction() as tx:
        await tx.lock(SIGN_UP_LOCK)
        first = await check_registration(
            tx, username=username, email=email, registration=registration, invite=invite
        )
        user_id = await tx.fetchval(
            "INSERT INTO users (username, username_key, email, email_key, password_hash,"
            " external_id, is_admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                username,
                username.lower(),
                email,
                email.lower(),
                password_hash,
                external_id,
                int((first and first_is_admin) or is_admin),
                clock.now_iso(),
            ),
        )
        await quotas.write(tx, user_id, quota_bytes)
        if invite and not first and registration == "invite":
            await invites.mark_used(tx, invite, user_id)
        row = await tx.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
    assert row is not None
    return user_from_row(row)


async def check_registration(
    db: Reader,
    *,
    username: str,
    email: str,
    registration: str,
    invite: str | None,
) -> bool:
    """Refuse a sign-up the policy or a taken name forbids; True for the very first account.

    Checked again inside the inserting transaction; outside it, it lets a sign-up that also
    creates an account elsewhere (an identity provider) be refused before that happens.
    """
    first = not await has_accounts(db)
    if not first and registration != "open":
        if registration == "closed":
            raise Forbidden("Sign-up is closed on this archive. Ask its administrator.")
        if not invite:
            raise Forbidden("Sign-up needs an invite link from an administrator.", field="invite")
        await invites.consume(db, invite)
    taken = await db.fetchone(
        "SELECT username_key = ? AS same_name FROM users WHERE username_key = ? OR email_key = ?",
        (username.lower(), username.lower(), email.lower()),
    )
    if taken is not None:
        if taken["same_name"]:
            raise Conflict("That username is taken.", field="username")
        raise Conflict("An account with that email already exists.", field="email")
    if await names.taken(db, username):  # another member's display name
        raise Conflict(f"{names.CALLED_SO} Choose another username.", field="username")
    return first


async def has_accounts(db: Reader) -> bool:
    """False on a fresh install: the next account is the first (see `check_registration`)."""
    return await db.fetchone("SELECT 1 FROM users LIMIT 1") is not None


async def authenticate(db: Backend, passwords: Passwords, login: str, password: str) -> User:
    """The user for this login and password, or NotAuthenticated with one message for every miss."""
    return (await verify_login(db, passwords, login, password))[0]


async def verify_login(
    db: Backend, passwords: Passwords, login: str, password: str
) -> tuple[User, str]:
    """`authenticate`, and the password hash the password was checked against as the account
    keeps it now: a session is made only while it still is (see `sessions.create`), so a
    sign-in whose check overlapped a change of password does not outlive the change."""
    if not isinstance(login, str) or not isinstance(password, str) or len(password) > PASSWORD_MAX:
        raise NotAuthenticated(WRONG_LOGIN)
    key = login.strip().lower()
    row = await db.fetchone(
        "SELECT * FROM users WHERE username_key = ? OR email_key = ?", (key, key)
    )
    ok, new_hash = await passwords.verify(row["password_hash"] if row else None, password)
    if row is None or not ok:
        raise NotAuthenticated(WRONG_LOGIN)
    if row["disabled"]:
        raise Forbidden("This account is disabled.")
    stored = str(row["password_hash"])
    # Stronger parameters than the hash was made with: hashed anew, unless the password was
    # changed meanwhile (the new one stays, and this sign-in's session will not be made).
    if new_hash and await db.execute(
        "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?",
        (new_hash, row["id"], stored),
    ):
        stored = new_hash
    return user_from_row(row), stored


async def by_username(db: Backend, username: str) -> User:
    # No name holds a NUL character, and PostgreSQL cannot even compare text holding one.
    row = (
        None
        if "\x00" in username
        else await db.fetchone("SELECT * FROM users WHERE username_key = ?", (username.lower(),))
    )
    if row is None:
        raise NotFound(f"There is no user called {username!r}.")
    return user_from_row(row)


async def by_id(db: Backend, user_id: int) -> User | None:
    row = await db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
    return None if row is None else user_from_row(row)


async def list_all(db: Backend) -> list[User]:
    return [user_from_row(r) for r in await db.fetchall("SELECT * FROM users ORDER BY id")]


async def update_profile(tx: Transaction, user: User, *, email: str, display_name: str) -> bool:
    """Store the email and display name, in `tx`; True when the email changed (profiles.py)."""
    email = check_email(email)
    display_name = check_display_name(display_name)
    # Names are checked against every account, as at sign-up, under the same lock.
    await tx.lock(SIGN_UP_LOCK)
    await check_email_free(tx, user.id, email)
    stored = await tx.fetchone("SELECT email_key, display_name FROM users WHERE id = ?", (user.id,))
    assert stored is not None
    # A name kept as it was stays (it may read as another's by rules newer than it).
    renamed = names.name_key(display_name) != names.name_key(stored["display_name"] or "")
    if display_name and renamed and await names.taken(tx, display_name, other_than=user.id):
        raise Conflict(f"{names.CALLED_SO} Choose another display name.", field="display_name")
    email_changed = stored["email_key"] != email.lower()
    if email_changed:  # whoever reads the old mailbox must not take the account with a link
        await end_recovery_links(tx, user.id)
    await tx.execute(
        "UPDATE users SET email = ?, email_key = ?, display_name = ? WHERE id = ?",
        (email, email.lower(), display_name, user.id),
    )
    return email_changed


async def check_email_free(db: Reader, user_id: int, email: str) -> None:
    """Conflict when an account other than `user_id` has `email`, in any case."""
    sql = "SELECT 1 FROM users WHERE email_key = ? AND id != ?"
    if await db.fetchone(sql, (email.lower(), user_id)) is not None:
        raise Conflict("An account with that email already exists.", field="email")


async def set_password(tx: Transaction, user_id: int, password_hash: str) -> None:
    """Store a new password (hashed by the caller, outside the transaction), in `tx`: the
    caller has confirmed the current one, and ends the person's other sessions in `tx` too."""
    await tx.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
    await end_recovery_links(tx, user_id)  # made for the password it replaces


async def end_recovery_links(tx: Transaction, user_id: int) -> None:
    """End unused reset links and a new email waiting (email_changes.py): see the callers."""
    await tx.execute(
        "DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL", (user_id,)
    )
    await tx.execute("DELETE FROM email_changes WHERE user_id = ?", (user_id,))


async def set_disabled(db: Backend, actor: User, username: str, disabled: bool) -> User:
    """Disable (or enable) an account. The actor is checked again in the transaction, under
    the administrators' lock: one disabled a moment ago can no longer do it (admins.py)."""
    refusal = "Only administrators can disable accounts."
    if not actor.is_admin:
        raise Forbidden(refusal)
    target = await by_username(db, username)
    if target.id == actor.id:
        raise Invalid("You cannot disable your own account.")
    async with db.transaction() as tx:
        await admins.confirm(tx, actor.id, refusal)
        await tx.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), target.id))
        if disabled:
            await tx.execute("DELETE FROM sessions WHERE user_id = ?", (target.id,))
            # Disabling is how a leaked link is stopped: it must not work again on re-enabling.
            await end_recovery_links(tx, target.id)
            # So are the invites they made: withdrawn for good, not until they are enabled.
            await tx.execute(
                "INSERT INTO invite_withdrawals (invite_id, withdrawn_at) SELECT i.id, ?"
                " FROM invites i WHERE i.created_by = ? AND i.used_at IS NULL AND NOT EXISTS"
                " (SELECT 1 FROM invite_withdrawals w WHERE w.invite_id = i.id)",
                (clock.now(), target.id),
            )
    return await by_username(db, username)


# --- accounts kept by an identity provider ------------------------------------------------


async def by_external_id(db: Backend, external_id: str) -> User | None:
    row = await db.fetchone("SELECT * FROM users WHERE external_id = ?", (external_id,))
    return None if row is None else user_from_row(row)


async def external_id_of(db: Backend, user_id: int) -> str | None:
    return await db.fetchval("SELECT external_id FROM users WHERE id = ?", (user_id,))


async def provider_login(db: Backend, login: str) -> str:
    """The name (an email) a provider knows a login by: typed so, or its account's here."""
    login = login.strip()
    return login if "@" in login else await external_email(db, login) or login


async def external_email(db: Backend, username: str) -> str | None:
    """The email of the provider's account called `username` here, if there is one."""
    return await db.fetchval(
        "SELECT email FROM users WHERE username_key = ? AND external_id IS NOT NULL",
        (username.lower(),),
    )


async def end_external_sessions(db: Backend, email: str) -> None:
    """End every session of the provider's account with this email (its password changed)."""
    await db.execute(
        "DELETE FROM sessions WHERE user_id IN"
        " (SELECT id FROM users WHERE email_key = ? AND external_id IS NOT NULL)",
        (email.lower(),),
    )


async def set_admin(db: Backend, user_id: int, is_admin: bool) -> None:
    """Under the administrators' lock, as every administrator's act is: a role changed by the
    sign-in provider lands between two acts, never inside one that has checked its actor."""
    async with db.transaction() as tx:
        await tx.lock(admins.ADMINS_LOCK)
        await tx.execute("UPDATE users SET is_admin = ? WHERE id = ?", (int(is_admin), user_id))


async def claim_first_admin(db: Backend, user_id: int) -> bool:
    """Make the user an administrator if nobody is one yet; True if they now are."""
    async with db.transaction() as tx:
        await tx.lock(FIRST_ADMIN_LOCK)
        if await tx.fetchone("SELECT 1 FROM users WHERE is_admin = 1 LIMIT 1") is not None:
            return False
        return bool(await tx.execute("UPDATE users SET is_admin = 1 WHERE id = ?", (user_id,)))
