"""Who may act as an administrator at the moment an act is written.

The account a request resolved when it began may have been disabled (or demoted) since, by
another administrator a moment before: every administrator's act therefore checks its actor
again inside its own transaction, under one named lock that every such act holds. With the
rule that nobody disables their own account, this keeps an enabled administrator always: of
two administrators disabling each other at once, the second finds itself disabled."""

from __future__ import annotations

from photoarchive.db import Transaction
from photoarchive.errors import Forbidden

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
