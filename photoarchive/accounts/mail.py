"""The mail this archive sends, and the sending: a password-reset link to whoever asks on
/forgot, an invite link an administrator addresses to someone, a link to confirm a new email
(to it), a word to the old address when a change of email is asked and when it is made, and
one to a person an administrator made a reset link for. Plain text, in our words.

Mail a visitor asks for goes through the outbox: a queue that one task works through in
order, after the answer has gone out. How long the answer takes then never tells whether an
account has the address asked about, and a flood of requests opens one connection to the
mail server at a time. Nothing here logs a link: it is as good as a password until used.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

import aiosmtplib

from photoarchive.settings import MailServer, Settings

log = logging.getLogger("photoarchive.mail")

SEND_TIMEOUT_SECONDS = 30.0
OUTBOX_SIZE = 100  # requests beyond this are dropped (and logged) until the queue drains
DRAIN_SECONDS = 10.0  # at shutdown, mail still queued gets this long to go out

Job = Callable[[], Awaitable[None]]


class MailFailed(Exception):
    """A mail was not sent; the message says why in words an administrator can act on.
    `refused`: the server refused the address itself (sending again will not help)."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


# --- what is sent -------------------------------------------------------------------------


def site_name(settings: Settings) -> str:
    """How a mail names this archive: the host people reach it at."""
    return urlsplit(settings.public_url).netloc


def until(moment: float) -> str:
    """An expiry as every reader's mail client shows it alike: in UTC, spelled out."""
    at = datetime.fromtimestamp(moment, UTC)
    return f"{at:%A} {at.day} {at:%B %Y} at {at:%H:%M} UTC"


def compose(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    # Tells mail servers and vacation responders that no person wrote this: no auto-replies.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def reset_mail(
    settings: Settings, *, email: str, name: str, username: str, link: str, expires_at: float
) -> EmailMessage:
    site = site_name(settings)
    body = f"""Hello {name},

someone asked for a new password for the account "{username}" on the photo archive at
{site}. If that was you, open this link and choose the new password:

{link}

The link works once, until {until(expires_at)}. Asking again sends a new link, and
this one then stops working.

If you did not ask for this, ignore this mail: your password stays as it is.

The photo archive at {site}
"""
    return compose(settings, email, f"A new password for {site}", body)


def invite_mail(
    settings: Settings, *, email: str, inviter: str, link: str, expires_at: float
) -> EmailMessage:
    site = site_name(settings)
    body = f"""Hello,

{inviter} invites you to the photo archive at {site}, to see the photos kept
there and add your own. Open this link to choose a name and a password:

{link}

The link works once, until {until(expires_at)}.

If you did not expect this invitation, ignore this mail: without the link, no account
is made.

The photo archive at {site}
"""
    return compose(settings, email, f"{inviter} invites you to {site}", body)


def email_changed_mail(
    settings: Settings, *, old: str, new: str, name: str, username: str
) -> EmailMessage:
    site = site_name(settings)
    body = f"""Hello {name},

the email address of the account "{username}" on the photo archive at {site}
was changed from this address to {new}. Links for a new password now go there.

If that was you, there is nothing to do. If not, sign in and change your password
and your email back, or ask the archive's administrator to help at once.

The photo archive at {site}
"""
    return compose(settings, old, f"Your email address on {site} was changed", body)


def email_confirm_mail(
    settings: Settings, *, email: str, link: str, expires_at: float
) -> EmailMessage:
    """To the new address, which may be a stranger's (a typing slip): it names nobody."""
    site = site_name(settings)
    body = f"""Hello,

an account on the photo archive at {site} asked to use this address from now
on. If that was you, open this link while signed in to that account, and confirm:

{link}

The link works once, until {until(expires_at)}. Until then the account keeps its
old address.

If you did not ask for this, ignore this mail: nothing changes.

The photo archive at {site}
"""
    return compose(settings, email, f"Confirm your new email for {site}", body)


def email_change_asked_mail(
    settings: Settings, *, old: str, new: str, name: str, username: str
) -> EmailMessage:
    site = site_name(settings)
    body = f"""Hello {name},

someone signed in to the account "{username}" on the photo archive at {site}
with its password asked to change its email from this address to {new}. It
changes once that address confirms it.

If that was you, there is nothing to do. If not, sign in and change your password:
that stops the change, and signs everyone else out.

The photo archive at {site}
"""
    return compose(settings, old, f"A change of your email on {site} was asked for", body)


def admin_reset_mail(
    settings: Settings, *, email: str, name: str, username: str, admin: str, expires_at: float
) -> EmailMessage:
    site = site_name(settings)
    body = f"""Hello {name},

the administrator {admin} made a link to set a new password for the account
"{username}" on the photo archive at {site}. Whoever opens it until {until(expires_at)}
can choose the password and sign in as you, and then sees all your photos, private ones
too.

If you asked them for it, there is nothing to do. If not, ask them why, or sign in and
change your password: that stops the link at once.

The photo archive at {site}
"""
    return compose(settings, email, f"A link for a new password on {site} was made", body)


# --- sending ------------------------------------------------------------------------------


def _address_refused(exc: BaseException) -> bool:
    """Whether the server refused the address for good (5xx), not for now (4xx: its DNS, a
    greylist) nor by its own policy (5.7.x: a relay that wants a login), which are the
    server's to mend, not the person's."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refusals = list(exc.recipients)
    elif isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        refusals = [exc]
    else:
        return False
    return bool(refusals) and all(
        500 <= r.code < 600 and "5.7." not in str(r.message) for r in refusals
    )


def _reason(exc: BaseException) -> str:
    causes = [exc]
    while causes[-1].__cause__ is not None and len(causes) < 5:
        causes.append(causes[-1].__cause__)
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return "no TLS connection could be made to the mail server (is its certificate valid?)"
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return "the mail server did not accept the user and password"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPRecipientRefused):
        return "the mail server refused the address"
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return "the mail server did not answer in time"
    if isinstance(exc, aiosmtplib.SMTPConnectError | OSError):
        return "the mail server could not be reached"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"the mail server refused the mail ({exc.code} {exc.message})"
    return "the conversation with the mail server failed"


class Mailer:
    """Sends through the configured server; without one, `configured` is false and nothing
    is sent."""

    def __init__(self, server: MailServer | None = None) -> None:
        self.server = server
        self._queue: asyncio.Queue[Job] = asyncio.Queue(OUTBOX_SIZE)
        self._worker: asyncio.Task[None] | None = None

    @property
    def configured(self) -> bool:
        return self.server is not None

    async def send(self, message: EmailMessage) -> None:
        """Hand `message` to the mail server, or raise MailFailed."""
        server = self.server
        if server is None:
            raise MailFailed("no mail server is set (PHOTOARCHIVE_SMTP_URL)")
        client = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            use_tls=server.implicit_tls,
            start_tls=False,  # decided below, once the server has said what it offers
            timeout=SEND_TIMEOUT_SECONDS,
        )
        try:
            async with client:
                if not server.implicit_tls:
                    await client.ehlo()
                    if client.supports_extension("starttls"):
                        await client.starttls()  # the certificate is checked
                    elif server.username:
                        raise MailFailed(
                            "the mail server does not offer STARTTLS, and the password is"
                            " never sent unencrypted (use smtps:// if it speaks TLS)"
                        )
                if server.username:
                    await client.login(server.username, server.password)
                await client.send_message(message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailFailed(_reason(exc), refused=_address_refused(exc)) from exc

    # The outbox -------------------------------------------------------------------------

    def post(self, job: Job) -> None:
        """Queue `job` (which may send mail) to run after the current request."""
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            log.warning("The mail outbox is full; a request for mail was dropped.")

    def post_message(self, message: EmailMessage, what: str) -> None:
        """Queue `message` to be sent after the current request; a failure is logged as
        "<what> was not sent: <why>" (never with the message, which may hold a link)."""

        async def send() -> None:
            try:
                await self.send(message)
            except MailFailed as exc:
                log.warning("%s was not sent: %s", what, exc)

        self.post(send)

    async def start(self) -> None:
        self._worker = asyncio.create_task(self._work(), name="mail outbox")

    async def close(self) -> None:
        if self._worker is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), DRAIN_SECONDS)
        except TimeoutError:
            log.warning("Mail still queued at shutdown was not sent.")
        self._worker.cancel()
        await asyncio.gather(self._worker, return_exceptions=True)
        self._worker = None

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await job()
            except Exception:
                log.exception("A queued mail job failed.")
            finally:
                self._queue.task_done()
