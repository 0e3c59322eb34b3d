"""Who may act as an administrator at the moment an act is written.

The account a request resolved when it began may have been disabled (or demoted) since, by
another administrator a moment before: every administrator's act therefore checks its actor
again inside its own transaction, under one named lock that every such act holds. With the
rule that nobody disables their own account, this keeps an enabled administrator always: of
two administrators disabling each other at once, the second finds itself disabled."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from photoarchive.db import Backend, Row, Transaction, placeholders
from photoarchive.errors import Forbidden

log = logging.getLogger("photoarchive")

# Held by every transaction that an administrator's act writes in.
ADMINS_LOCK = "accounts:admins"
NOT_ADMIN = "Only administrators can do this."


async def confirm(tx: Transaction, actor_id: int, refusal: str = NOT_ADMIN) -> None:
    """Hold the administrators' lock for the rest of `tx`, and refuse (Forbidden) unless the
    account `actor_id` is, as of now, an enabled administrator."""
    await tx.lock(ADMINS_LOCK)
    row = await tx.fetchone("SELECT is_admin, disabled FROM users WHERE id = ?", (actor_id,))
    if row is None or not row["is_admin"] or row["disabled"]:
        raise Forbidden(refusal)


def listed(admins: tuple[str, ...], username: str, verified_email: str | None) -> bool:
    """Whether PHOTOARCHIVE_ADMINS (lower-cased) names this person: by their user name, or by
    an email address the identity provider has verified as theirs. An address nobody proved
    theirs names nobody: anyone may sign up giving it."""
    if username.lower() in admins:
        return True
    email = (verified_email or "").lower()
    return "@" in email and email in admins


async def follow_list(db: Backend, admins: tuple[str, ...]) -> None:
    """At start, with PHOTOARCHIVE_ADMINS set: an administrator the list no longer names is one
    no more, at once (sessions read the account on every request), not at their next sign-in.
    Those it names become administrators at their sign-in, where their address is proved.

    A listed user name that no account has yet is said in the log: whoever signs up with it
    first becomes an administrator, which an email address in the list would not allow."""
    marks = placeholders(len(admins))
    async with db.transaction() as tx:
        await tx.lock(ADMINS_LOCK)
        demoted = await tx.fetchall(
            # "?" placeholders only; every value is bound.
            "UPDATE users SET is_admin = 0 WHERE is_admin = 1"  # noqa: S608
            f" AND lower(username) NOT IN ({marks}) AND lower(email) NOT IN ({marks})"
            " RETURNING username",
            [*admins, *admins],
        )
        names = [name for name in admins if "@" not in name]
        taken: Sequence[Row] = ()
        if names:
            taken = await tx.fetchall(
                # "?" placeholders only; every value is bound.
                "SELECT lower(username) FROM users"  # noqa: S608
                f" WHERE lower(username) IN ({placeholders(len(names))})",
                names,
            )
    for row in demoted:
        log.warning(
            "%s is no administrator any more: PHOTOARCHIVE_ADMINS does not name them", row[0]
        )
    unused = sorted(set(names) - {row[0] for row in taken})
    if unused:
        log.warning(
            "PHOTOARCHIVE_ADMINS names %s, which no account has yet: whoever signs up with that"
            " name first becomes an administrator. List their email address instead.",
            ", ".join(unused),
        )
