"""Accounts: the rules for names, emails and passwords, sign-up policy, profiles."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from photoarchive import clock
from photoarchive.accounts import invites
from photoarchive.accounts.passwords import Passwords
from photoarchive.db import Database, Transaction
from photoarchive.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
PASSWORD_MIN = 8
PASSWORD_MAX = 1024
WRONG_LOGIN = "Wrong username or password."
DISPLAY_NAME_MAX = 64


@dataclass(frozen=True)
class User:
    id: int
    username: str
    email: str
    display_name: str
    is_admin: bool
    disabled: bool
    created_at: str

    @property
    def initial(self) -> str:
        return (self.display_name or self.username)[:1].upper()

    def public(self) -> dict[str, object]:
        return {"username": self.username, "display_name": self.display_name}

    def private(self) -> dict[str, object]:
        return {
            **self.public(),
            "id": self.id,
            "email": self.email,
            "is_admin": self.is_admin,
            "created_at": self.created_at,
        }


def user_from_row(row: sqlite3.Row) -> User:
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
            "Usernames are 3 to 32 characters: letters, digits, '_', '.' or '-'.", field="username"
        )
    return username


def check_email(email: str) -> str:
    email = email.strip() if isinstance(email, str) else ""
    if len(email) > 320 or not EMAIL_RE.fullmatch(email):
        raise Invalid("Enter a valid email address.", field="email")
    return email


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
    db: Database,
    passwords: Passwords,
    *,
    username: str,
    email: str,
    password: str,
    registration: str = "open",
    invite: str | None = None,
    is_admin: bool = False,
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
    )


async def insert(
    db: Database,
    *,
    username: str,
    email: str,
    password_hash: str | None,
    registration: str,
    invite: str | None = None,
    is_admin: bool = False,
    external_id: str | None = None,
    first_is_admin: bool = True,
) -> User:
    async with db.transaction() as tx:
        first = await check_registration(
            tx, username=username, email=email, registration=registration, invite=invite
        )
        user_id = await tx.insert(
            "INSERT INTO users (username, username_key, email, email_key, password_hash,"
            " external_id, is_admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
        if invite and not first and registration == "invite":
            await invites.mark_used(tx, invite, user_id)
        row = await tx.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
    assert row is not None
    return user_from_row(row)


async def check_registration(
    db: Database | Transaction,
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
    first = await db.fetchone("SELECT 1 FROM users LIMIT 1") is None
    if not first and registration != "open":
        if registration == "closed":
            raise Forbidden("Sign-up is closed on this archive. Ask its administrator.")
        if not invite:
            raise Forbidden("Sign-up needs an invite link from an administrator.", field="invite")
        await invites.consume(db, invite)  # type: ignore[arg-type]  # only reads
    taken = await db.fetchone(
        "SELECT username_key = ? AS same_name FROM users WHERE username_key = ? OR email_key = ?",
        (username.lower(), username.lower(), email.lower()),
    )
    if taken is not None:
        if taken["same_name"]:
            raise Conflict("That username is taken.", field="username")
        raise Conflict("An account with that email already exists.", field="email")
    return first


async def authenticate(db: Database, passwords: Passwords, login: str, password: str) -> User:
    """The user for this login and password, or NotAuthenticated with one message for every miss."""
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
    if new_hash:
        await db.execute("UPDATE users SET password_hash = ? WHERE id = ?", (new_hash, row["id"]))
    return user_from_row(row)


async def by_username(db: Database, username: str) -> User:
    row = await db.fetchone("SELECT * FROM users WHERE username_key = ?", (username.lower(),))
    if row is None:
        raise NotFound(f"There is no user called {username!r}.")
    return user_from_row(row)


async def by_id(db: Database, user_id: int) -> User | None:
    row = await db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
    return None if row is None else user_from_row(row)


async def profile_counts(db: Database, user_id: int) -> dict[str, int]:
    row = await db.fetchone(
        "SELECT COUNT(*) AS photos, COALESCE(SUM(like_count), 0) AS likes,"
        " COALESCE(SUM(comment_count), 0) AS comments FROM photos WHERE owner_id = ?",
        (user_id,),
    )
    assert row is not None
    return {"photos": row["photos"], "likes": row["likes"], "comments": row["comments"]}


async def list_all(db: Database) -> list[User]:
    return [user_from_row(r) for r in await db.fetchall("SELECT * FROM users ORDER BY id")]


async def update_profile(db: Database, user: User, *, email: str, display_name: str) -> User:
    email = check_email(email)
    display_name = check_display_name(display_name)
    async with db.transaction() as tx:
        taken = await tx.fetchone(
            "SELECT 1 FROM users WHERE email_key = ? AND id != ?", (email.lower(), user.id)
        )
        if taken is not None:
            raise Conflict("An account with that email already exists.", field="email")
        await tx.execute(
            "UPDATE users SET email = ?, email_key = ?, display_name = ? WHERE id = ?",
            (email, email.lower(), display_name, user.id),
        )
    updated = await by_id(db, user.id)
    assert updated is not None
    return updated


async def set_password(
    db: Database, passwords: Passwords, user: User, password: str, *, keep_session: int | None
) -> None:
    """Store a new password and end every other session of the user, bearer tokens too.
    The caller has confirmed the current password."""
    check_password(password)
    password_hash = await passwords.hash(password)
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user.id)
        )
        await tx.execute(
            "DELETE FROM sessions WHERE user_id = ? AND id IS NOT ?", (user.id, keep_session)
        )


async def set_disabled(db: Database, actor: User, username: str, disabled: bool) -> User:
    if not actor.is_admin:
        raise Forbidden("Only administrators can disable accounts.")
    target = await by_username(db, username)
    if target.id == actor.id:
        raise Invalid("You cannot disable your own account.")
    async with db.transaction() as tx:
        await tx.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), target.id))
        if disabled:
            await tx.execute("DELETE FROM sessions WHERE user_id = ?", (target.id,))
    return await by_username(db, username)
