"""How many notices members' acts may send one address (that an account's email changed, or
a change of it was asked, that an administrator made a reset link for it): at most
`throttle.MAILS_PER_ADDRESS` an hour,
counted in the throttle's table under a key of their own. Without it, changing one's email
back and forth sent the old address a notice each time: a way to fill a stranger's inbox,
and the outbox's queue, whose overflow drops other mail. Reset links asked for on /forgot
have their own budget (throttle.asking_for_reset_mail): asking for those can never use up
the notices that tell of a takeover. Nor can links to confirm a new email, counted per
address and per account under keys of their own (profiles.py)."""

from __future__ import annotations

import logging
from email.message import EmailMessage

from photoarchive import clock
from photoarchive.accounts import throttle
from photoarchive.db import Backend, Transaction
from photoarchive.services import Services

log = logging.getLogger("photoarchive.mail")
_COUNTED = "mail:notice"  # what a counted mail's row says in place of a client's address


def key(address: str, purpose: str = "notice") -> str:
    """The budget of mail of `purpose` to `address`. Each purpose has one of its own: notices
    of an ask ("asked") or links ("confirm") can never use up those that tell of a takeover."""
    return f"{purpose}:" + throttle.mail_key(address)


async def spend(db: Backend, address: str, purpose: str = "notice") -> bool:
    """Count one mail of `purpose` to `address`; False (and nothing counted) once its hour's
    are spent."""
    async with db.transaction() as tx:
        return await spend_in(tx, key(address, purpose))


async def spend_in(tx: Transaction, *keys: str) -> bool:
    """Count one mail on each of `keys` (an address's, an account's), in `tx`; False, with
    nothing counted, when any of them has had its hour's."""
    moment = clock.now()
    for key in sorted(keys):  # always in the same order: two askers never wait on each other
        await tx.lock(key)
    for key in keys:
        sent = await tx.fetchval(
            "SELECT COUNT(*) FROM login_failures WHERE account_key = ? AND failed_at > ?",
            (key, moment - throttle.MAIL_WINDOW_SECONDS),
        )
        if int(sent or 0) >= throttle.MAILS_PER_ADDRESS:
            return False
    for key in keys:
        await tx.execute(
            "INSERT INTO login_failures (account_key, client_ip, failed_at) VALUES (?, ?, ?)",
            (key, _COUNTED, moment),
        )
    return True


async def refund(db: Backend, *keys: str) -> None:
    """Give back one mail counted on each of `keys` by `spend_in`: one that was not sent."""
    async with db.transaction() as tx:
        for key in keys:
            await tx.execute(
                "DELETE FROM login_failures WHERE id = (SELECT id FROM login_failures"
                " WHERE account_key = ? AND client_ip = ? ORDER BY failed_at DESC, id DESC"
                " LIMIT 1)",
                (key, _COUNTED),
            )


async def post_notice(
    svc: Services, address: str, message: EmailMessage, what: str, purpose: str = "notice"
) -> None:
    """Send `message` to `address` from the outbox, on the address's budget for `purpose`;
    `what` names it in the log ("The email-change notice for alice"), which says why one
    was not sent."""
    if not await spend(svc.db, address, purpose):
        log.warning("%s was not sent: that address has had its mail for this hour.", what)
        return
    svc.mail.post_message(message, what)
