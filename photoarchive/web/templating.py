"""Jinja set-up: autoescaping everywhere, and the few filters the templates need."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from photoarchive import __version__
from photoarchive.accounts import cognito, quotas, users
from photoarchive.library import albums, comments, photos, shares, usage
from photoarchive.media.images import EARLIEST_YEAR, UPLOAD_FORMATS
from photoarchive.paths import static_dir
from photoarchive.web import dates, selection
from photoarchive.web.cards import CardCache
from photoarchive.web.cards import install as install_cards
from photoarchive.web.static_urls import StaticUrls


@dataclass(frozen=True)
class Limits:
    """The limits the forms show and the scripts check, each taken from the module that enforces
    it: templates read them as `limits.*`, and upload.js reads the file input's `accept`."""

    caption_max: int = photos.CAPTION_MAX
    comment_max: int = comments.TEXT_MAX
    username_min: int = users.USERNAME_MIN
    username_max: int = users.USERNAME_MAX
    username_pattern: str = users.USERNAME_PATTERN
    password_min: int = users.PASSWORD_MIN
    password_max: int = users.PASSWORD_MAX
    display_name_max: int = users.DISPLAY_NAME_MAX
    email_max: int = users.EMAIL_MAX
    # A sign-in field takes a username or an email address.
    login_max: int = max(users.USERNAME_MAX, users.EMAIL_MAX)
    code_max: int = cognito.CODE_MAX
    share_password_min: int = shares.PASSWORD_MIN
    share_password_max: int = shares.PASSWORD_MAX
    album_title_max: int = albums.TITLE_MAX
    album_description_max: int = albums.DESCRIPTION_MAX
    quota_mb_max: int = quotas.QUOTA_MB_MAX
    bytes_per_mb: int = quotas.MB  # a quota is set in MB
    taken_at_min: str = f"{EARLIEST_YEAR}-01-01T00:00"

    @property
    def upload_accept(self) -> str:
        """The file input's `accept`: content types, then file name endings."""
        labels = [label for labels in UPLOAD_FORMATS.values() for label in labels]
        return ",".join(sorted(labels, key=lambda label: label.startswith(".")))

    @property
    def upload_format_names(self) -> str:
        *most, last = UPLOAD_FORMATS
        return f"{', '.join(most)} or {last}"


LIMITS = Limits()


def viewer_zone(context: Context) -> str:
    """The zone setting of the page's viewer: an IANA name, or "" (automatic) for a guest too.
    Cards are kept per viewer (cards.py), so a card made for one zone is never shown in another."""
    return getattr(context.get("viewer"), "time_zone", "") or ""


@pass_context
def time_filter(context: Context, stamp: str | float | None, style: str = "datetime") -> Markup:
    """`{{ stamp | time("date") }}`: a `<time>` element in the viewer's zone (see dates.py)."""
    return dates.time_tag(stamp, viewer_zone(context), style)


@pass_context
def date_filter(context: Context, stamp: str | float | None, style: str = "datetime") -> str:
    """`{{ stamp | date }}`: the text alone, in the viewer's zone (UTC when automatic)."""
    return dates.show(stamp, viewer_zone(context), style)


@pass_context
def dated_filter(context: Context, photo: photos.Photo, style: str = "date") -> Markup:
    """`{{ photo | dated("date") }}`: what a photo is dated by (`Photo.date_label`): when it
    was taken, as the clock read there; else when it was uploaded, in the viewer's zone."""
    if photo.taken_at:
        return dates.taken_tag(photo.taken_at, style)
    return dates.time_tag(photo.created_at, viewer_zone(context), style)


def plural(noun: str, count: int) -> str:
    """The noun as said of `count` things: "1 photo", "2 photos", "0 photos" (the archive's
    nouns all take an s)."""
    return noun if count == 1 else noun + "s"


def configure_environment(engine: object, cards: CardCache) -> None:
    env: Environment = engine.engine  # type: ignore[attr-defined]
    env.autoescape = True
    # Templates change only with a new release: no stat() of every included file per render.
    env.auto_reload = False
    env.filters["size"] = usage.size_text  # "155.4 KB", "100 MB": sizes, quotas, usage
    env.filters["date"] = date_filter
    env.filters["time"] = time_filter
    env.filters["taken"] = dates.taken_tag  # {{ photo.taken_at | taken("datetime-zone") }}
    env.filters["dated"] = dated_filter
    env.filters["plural"] = plural  # {{ "photo" | plural(n) }}
    env.globals["version"] = __version__
    env.globals["static_url"] = StaticUrls(static_dir())
    env.globals["limits"] = LIMITS
    env.globals["default_selection"] = selection.DEFAULT
    install_cards(env, cards)
