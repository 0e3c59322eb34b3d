"""/settings: one's own profile, password, time zone, the daily e-mail digest (where the
archive can send mail), and the sessions signed in as oneself."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from litestar import Response, get, post
from litestar.response import Redirect, Template

from photoarchive.accounts import email_changes, profiles, sessions, time_zones, users
from photoarchive.accounts.sessions import Session
from photoarchive.errors import AppError, Conflict, Forbidden, Invalid, NotAuthenticated
from photoarchive.library import digests, places, shares, usage, visibility
from photoarchive.web import devices
from photoarchive.web.params import RowId
from photoarchive.web.render import Req, form_fields, render
from photoarchive.web.viewer import (
    clear_session_cookie,
    current_session,
    device,
    services,
    session_cookie,
)

PROVIDER_KEEPS_PASSWORDS = (
    "This archive's sign-in provider keeps your password and email: to change your password,"
    " sign out and use “Forgot your password?”."
)
NOTICES = {
    "profile": "Your profile is saved.",
    "time-zone": "Your time zone is saved.",
    "visibility": "Your choice for new photos is saved.",
    "digest-on": "You will get a daily e-mail summary when there is something new.",
    "digest-off": "You will get no more e-mail summaries.",
    "places-on": "Others now see the town and country of your photos.",
    "places-off": "Only you see the town and country of your photos.",
    "password": "Your password is changed, and you are signed out everywhere else.",
    "email": "Your profile is saved. Your email is changed, and you are signed out everywhere else.",
    "email-waiting": (
        "Your profile is saved. We sent a link to your new email: your email changes when you"
        " open it and confirm."
    ),
    "email-confirmed": "Your new email is confirmed, and you are signed out everywhere else.",
    "email-cancelled": "The change of email is cancelled: your email stays as it was.",
    "email-not-waiting": (
        "No change of email was waiting any more: it was confirmed, replaced or has expired."
        " Your email is the one shown below."
    ),
    "others": "You are signed out everywhere else.",
    "session": "That session has ended.",
    "share": shares.MADE_NOTICE,
    "share-revoked": shares.TURNED_OFF_NOTICE,
}
NO_MAIL = "This archive cannot send e-mail, so there is no daily summary to turn on."


async def _session(request: Req) -> Session:
    session = await current_session(request)
    if session is None:
        raise NotAuthenticated("Sign in to change your settings.")
    return session


async def _page(
    request: Req,
    session: Session,
    *,
    status: int = 200,
    notice: str | None = None,
    section: str | None = None,
    error: AppError | None = None,
    values: dict[str, str] | None = None,
    time_zone: str | None = None,
) -> Template:
    svc = services(request)
    settings = svc.settings
    user = session.user
    active = await sessions.active_for_user(
        svc.db, user.id, settings.session_idle_seconds, settings.session_max_seconds
    )
    active.sort(key=lambda item: item.id != session.id)  # this device first
    names = await devices.describe_all([item.user_agent for item in active])
    used, quota = await usage.standing(svc.db, user.id)
    return render(
        request,
        "settings.html",
        user=user,
        status=status,
        notice=notice,
        section=section,
        error=error.message if error else None,
        field=error.field if error else None,
        values=values or {"display_name": user.display_name, "email": user.email},
        # What the form shows as chosen: the setting, or a refused choice to correct.
        time_zone=user.time_zone if time_zone is None else time_zone,
        time_zones=_zone_groups(),
        active_sessions=list(zip(active, names, strict=True)),
        current_id=session.id,
        # With an identity provider, the password and the email (the sign-in name) are its.
        local_account=settings.auth == "local",
        provider_note=PROVIDER_KEEPS_PASSWORDS,
        # The digest's setting is shown only where a mail could be sent.
        can_mail=svc.mail.configured,
        # A new email waiting for the link mailed to it (accounts/email_changes.py).
        email_waiting=(
            await email_changes.pending(svc.db, user.id)
            if email_changes.required(settings, svc.mail.configured)
            else None
        ),
        digest_on=svc.mail.configured and await digests.is_on(svc.db, user.id),
        new_photos=await visibility.default_of(svc.db, user),
        place_sharing=await places.shares(svc, user),
        shared_links=await shares.mine(svc, user),
        public_url=settings.public_url.rstrip("/"),
        usage=used,
        quota=quota,
    )


@lru_cache(maxsize=1)
def _zone_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The zones one may choose, grouped by region for the list: ("Europe", ("Europe/Paris", ...))."""
    groups: dict[str, list[str]] = {}
    for name in time_zones.time_zone_names():
        groups.setdefault(name.split("/", 1)[0] if "/" in name else "Other", []).append(name)
    return tuple((region, tuple(names)) for region, names in groups.items())


def _retry_after(page: Template, exc: AppError) -> None:
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        page.headers["Retry-After"] = str(retry_after)


def _done(what: str) -> Redirect:
    return Redirect(f"/settings?saved={what}", status_code=303)


def _renewed(request: Req, response: Redirect, token: str | None) -> Redirect:
    """The response, carrying the browser's new session when a change renewed it."""
    if token is not None:
        response.set_cookie(session_cookie(request, token))
    return response


@get("/settings")
async def settings_page(request: Req, saved: str | None = None) -> Template:
    return await _page(request, await _session(request), notice=NOTICES.get(saved or ""))


@post("/settings/profile")
async def save_profile(request: Req) -> Response[Any]:
    session = await _session(request)
    form = await form_fields(request)
    try:
        saved = await profiles.save(
            services(request),
            session,
            email=form.get("email", ""),
            display_name=form.get("display_name", ""),
            current_password=form.get("current_password", ""),
            device=device(request),
        )
    except AppError as exc:
        values = {k: form.get(k, "")[:320] for k in ("display_name", "email")}
        page = await _page(
            request, session, status=exc.status, section="profile", error=exc, values=values
        )
        _retry_after(page, exc)
        return page
    done = "email-waiting" if saved.waiting else "email" if saved.email_changed else "profile"
    return _renewed(request, _done(done), saved.token)


@post("/settings/email-change/cancel")
async def cancel_email_change(request: Req) -> Redirect:
    """Forget the new email waiting for its link (the link stops working)."""
    session = await _session(request)
    cancelled = await email_changes.cancel(services(request).db, session.user.id)
    return _done("email-cancelled" if cancelled else "email-not-waiting")


@post("/settings/time-zone")
async def save_time_zone(request: Req) -> Response[Any]:
    session = await _session(request)
    form = await form_fields(request)
    try:
        await time_zones.set_time_zone(
            services(request).db, session.user, form.get("time_zone", "")
        )
    except AppError as exc:
        return await _page(
            request,
            session,
            status=exc.status,
            section="time_zone",
            error=exc,
            time_zone=form.get("time_zone", "")[:100],
        )
    return _done("time-zone")


@post("/settings/visibility")
async def save_visibility(request: Req) -> Response[Any]:
    """Who sees one's new photos unless the upload says otherwise."""
    session = await _session(request)
    wanted = (await form_fields(request)).get("visibility", "")
    await visibility.set_default(services(request).db, session.user, wanted)
    return _done("visibility")


@post("/settings/digest")
async def save_digest(request: Req) -> Response[Any]:
    session = await _session(request)
    svc = services(request)
    if not svc.mail.configured:
        raise Conflict(NO_MAIL)
    on = (await form_fields(request)).get("digest", "") == "on"
    await digests.set_on(svc, session.user, on)
    return _done("digest-on" if on else "digest-off")


@post("/settings/places")
async def save_place_sharing(request: Req) -> Response[Any]:
    session = await _session(request)
    on = (await form_fields(request)).get("place_sharing", "") == "on"
    await places.set_sharing(services(request), session.user, on)
    return _done("places-on" if on else "places-off")


@post("/settings/password")
async def change_password(request: Req) -> Response[Any]:
    session = await _session(request)
    svc = services(request)
    form = await form_fields(request)
    new = form.get("new_password", "")
    try:
        if svc.settings.auth != "local":
            raise Forbidden(PROVIDER_KEEPS_PASSWORDS)
        users.check_password(new)
        if form.get("new_password_again", "") != new:
            raise Invalid("The two new passwords are not the same.", field="new_password_again")
        # A browser goes on under a new session: a copy of its cookie (the reason some change
        # their password) ends with the others. A Bearer token asking keeps its own.
        token = await profiles.change_password(
            svc,
            session,
            current_password=form.get("current_password", ""),
            new_password=new,
            device=device(request),
        )
    except AppError as exc:
        page = await _page(request, session, status=exc.status, section="password", error=exc)
        _retry_after(page, exc)
        return page
    return _renewed(request, _done("password"), token)


@post("/settings/sessions/{session_id:int}/end")
async def end_session(request: Req, session_id: RowId) -> Response[Any]:
    session = await _session(request)
    await sessions.end_for_user(services(request).db, session.user.id, session_id)
    if session_id == session.id:
        response: Response[Any] = Redirect("/login", status_code=303)
        clear_session_cookie(response)
        return response
    return _done("session")


@post("/settings/sessions/end-others")
async def end_other_sessions(request: Req) -> Response[Any]:
    session = await _session(request)
    await sessions.end_all_for_user(services(request).db, session.user.id, except_id=session.id)
    return _done("others")


HANDLERS = [
    settings_page,
    save_profile,
    cancel_email_change,
    save_time_zone,
    save_visibility,
    save_digest,
    save_place_sharing,
    change_password,
    end_session,
    end_other_sessions,
]
