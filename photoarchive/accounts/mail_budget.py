"""How much mail members' acts may send one address: at most `throttle.MAILS_PER_ADDRESS`
an hour, whatever asks for it (a reset link, the notice that an account's email changed),
counted in the throttle's table under the address's own key. Without it, changing one's
email back and forth sent the old address a notice each time: a way to fill a stranger's
inbox, and the outbox's queue, whose overflow drops other mail (reset links)."""

from __future__ import annotations

from photoarchive import clock
from photoarchive.accounts import throttle
from photoarchive.db import Backend


async def spend(db: Backend, address: str) -> bool:
    """Count one mail to `address`; False (and nothing counted) once its hour's are spent."""
    moment = clock.now()
    key = throttle.mail_key(address)
    async with db.transaction() as tx:
        await tx.lock(f"reset-mail:{key}")  # the lock the reset form's count takes
        sent = await tx.fetchval(
            "SELECT COUNT(*) FROM login_failures WHERE account_key = ? AND failed_at > ?",
            (key, moment - throttle.MAIL_WINDOW_SECONDS),
        )
        if int(sent or 0) >= throttle.MAILS_PER_ADDRESS:
            return False
        await tx.execute(
            "INSERT INTO login_failures (account_key, client_ip, failed_at) VALUES (?, ?, ?)",
            (key, "mail:notice", moment),
        )
    return True
