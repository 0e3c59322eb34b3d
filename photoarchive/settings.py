"""Typed settings. `Settings.from_env()` is the only reader of `PHOTOARCHIVE_*` variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from photoarchive.database_url import parse_database_url, redacted, sqlite_path
from photoarchive.env import PREFIX, EnvReader, Network, SettingsError
from photoarchive.secret_key import load_or_create_secret

REGISTRATION_MODES = ("open", "invite", "closed")
STORAGE_KINDS = ("local", "s3")
S3_SERVE_MODES = ("proxy", "presign")
AUTH_KINDS = ("local", "cognito")


@dataclass(frozen=True)
class MailServer:
    """Where mail goes out (`PHOTOARCHIVE_SMTP_URL`). `smtps://` speaks TLS from the first
    byte; `smtp://` upgrades with STARTTLS, which is required when there are credentials (they
    are never sent in the clear) and used whenever offered otherwise. The password stays out of
    every repr and message."""

    host: str
    port: int
    implicit_tls: bool = False
    username: str = ""
    password: str = field(default="", repr=False)

    @property
    def requires_starttls(self) -> bool:
        return not self.implicit_tls and bool(self.username)


# The largest quota, in MB, set here or by an administrator: far beyond any disk, and still a
# 64-bit integer once counted in bytes.
QUOTA_MB_MAX = 1_000_000_000
PORT_MAX = 65535  # a TCP port is 1 to this


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = field(default="", repr=False)  # "": the data dir's SQLite file
    database_pool: int = 10  # PostgreSQL connections per instance
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://localhost:8000"
    secret_key: str = field(default="", repr=False)
    registration: str = "invite"
    public_view: bool = False
    max_upload_mb: int = 100
    max_pixels: int = 100_000_000
    max_files_per_upload: int = 50
    # Days a deleted photo waits in its owner's trash before it goes for good (0: at once).
    trash_days: int = 30
    # Photos in one zip of chosen photos (POST /downloads, /api/v1/downloads).
    max_download_items: int = 5000
    # The quota of each account made from now on; 0: no limit.
    default_quota_mb: int = 0
    strip_location: bool = False
    map_tiles: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"  # or "off": no map
    timezone: str = ""  # whose today memories recall (an IANA name); "": the server's zone
    # argon2id cost; the defaults are OWASP's minimum (19 MiB, t=2, p=1)
    argon2_memory_kib: int = 19 * 1024
    argon2_time_cost: int = 2
    image_workers: int = 2
    media_cache_mb: int = 32
    card_cache_mb: int = 8
    session_idle_days: float = 7
    session_max_days: float = 30
    # Sign-in throttling: this many failures per account or per client address in the window.
    login_max_failures: int = 10
    login_window_minutes: float = 15
    # Sign-up attempts (kept or refused) per client address (IPv6: per /64) in an hour.
    signup_max_per_hour: int = 20
    # Reverse proxies whose X-Forwarded-For names the client; nobody else's is believed.
    trusted_proxies: tuple[Network, ...] = ()
    # A request's head (request line and headers) must arrive within this many seconds.
    request_head_timeout_seconds: float = 20.0
    # seconds between keepalive comments on the live event stream (and session re-checks)
    event_keepalive_seconds: float = 15.0
    # Blob storage: the data dir, or an S3-compatible bucket (MinIO, AWS...).
    storage: str = "local"
    s3_bucket: str = ""
    s3_prefix: str = ""
    s3_region: str = "us-east-1"
    s3_endpoint: str = ""
    s3_path_style: bool | None = None  # None: path style exactly when an endpoint is set
    s3_access_key_id: str = ""
    s3_secret_access_key: str = field(default="", repr=False)
    s3_serve: str = "proxy"
    s3_presign_seconds: int = 900
    # Accounts: this app's own, or an AWS Cognito user pool.
    auth: str = "local"
    cognito_region: str = ""
    cognito_user_pool_id: str = ""
    cognito_client_id: str = ""
    cognito_client_secret: str = field(default="", repr=False)
    cognito_endpoint: str = ""
    cognito_jwks_url: str = ""
    admins: tuple[str, ...] = ()  # lower-cased usernames; empty: the first to sign in
    # Mail (reset links asked for on /forgot, invites): none is sent without a server.
    smtp: MailServer | None = None
    mail_from: str = ""

    @property
    def secure_cookies(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    @property
    def session_idle_seconds(self) -> float:
        return self.session_idle_days * 86400

    @property
    def session_max_seconds(self) -> float:
        return self.session_max_days * 86400

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def default_quota_bytes(self) -> int | None:
        return self.default_quota_mb * 1024 * 1024 or None

    @property
    def database_path(self) -> Path:
        return sqlite_path(self.database_url) or self.data_dir / "photoarchive.sqlite3"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def s3_uses_path_style(self) -> bool:
        return bool(self.s3_endpoint) if self.s3_path_style is None else self.s3_path_style

    def with_secret(self) -> Settings:
        """Return settings whose secret key is set, generating one into the data dir if needed."""
        if self.secret_key:
            return self
        return replace(self, secret_key=load_or_create_secret(self.data_dir))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        from photoarchive import tiles  # the map's own rules (which need these settings' error)

        reader = EnvReader(os.environ if environ is None else environ)
        values: dict[str, object] = {
            "data_dir": Path(reader.text("DATA_DIR", "./data")),
            "database_url": parse_database_url(reader.text("DATABASE_URL", ""), SettingsError),
            "database_pool": reader.integer("DATABASE_POOL", 10, 1, 1000),
            "host": reader.text("HOST", "127.0.0.1"),
            "port": reader.integer("PORT", 8000, 1, PORT_MAX),
            "public_url": reader.url("PUBLIC_URL", "http://localhost:8000"),
            "secret_key": reader.text("SECRET_KEY", ""),
            "registration": reader.choice("REGISTRATION", "invite", REGISTRATION_MODES),
            "public_view": reader.boolean("PUBLIC_VIEW", False),
            "max_upload_mb": reader.integer("MAX_UPLOAD_MB", 100, 1, 1_000_000),
            "max_pixels": reader.integer("MAX_PIXELS", 100_000_000, 1, 10**10),
            "max_download_items": reader.integer("MAX_DOWNLOAD_ITEMS", 5000, 1, 50_000),
            "default_quota_mb": reader.integer("DEFAULT_QUOTA_MB", 0, 0, QUOTA_MB_MAX),
            "strip_location": reader.boolean("STRIP_LOCATION", False),
            "timezone": reader.zone("TIMEZONE"),
            "trash_days": reader.integer("TRASH_DAYS", 30, 0, 36_500),
            "map_tiles": tiles.parse(reader.text("MAP_TILES", tiles.OPENSTREETMAP), SettingsError),
            "image_workers": reader.integer("IMAGE_WORKERS", 2, 1, 64),
            "media_cache_mb": reader.integer("MEDIA_CACHE_MB", 32, 0, 4096),
            "card_cache_mb": reader.integer("CARD_CACHE_MB", 8, 0, 4096),
            "session_idle_days": reader.number("SESSION_IDLE_DAYS", 7.0),
            "session_max_days": reader.number("SESSION_MAX_DAYS", 30.0),
            "login_max_failures": reader.integer("LOGIN_MAX_FAILURES", 10, 1, 1_000_000),
            "login_window_minutes": reader.number("LOGIN_WINDOW_MINUTES", 15.0),
            "signup_max_per_hour": reader.integer("SIGNUP_MAX_PER_HOUR", 20, 1, 1_000_000),
            "trusted_proxies": reader.networks("TRUSTED_PROXIES"),
            "event_keepalive_seconds": reader.number("EVENT_KEEPALIVE_SECONDS", 15.0),
            "request_head_timeout_seconds": reader.number("REQUEST_HEAD_TIMEOUT_SECONDS", 20.0),
        }
        values.update(_cloud_values(reader))
        values.update(_mail_values(reader))
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def _cloud_values(reader: EnvReader) -> dict[str, object]:
    """The S3 and Cognito settings; what a chosen backend cannot do without is required."""
    values: dict[str, object] = {
        "storage": reader.choice("STORAGE", "local", STORAGE_KINDS),
        "auth": reader.choice("AUTH", "local", AUTH_KINDS),
        "admins": tuple(
            name.strip().lower() for name in reader.text("ADMINS", "").split(",") if name.strip()
        ),
    }
    if values["storage"] == "s3":
        endpoint = reader.url("S3_ENDPOINT", "") if reader.text("S3_ENDPOINT", "") else ""
        prefix = reader.text("S3_PREFIX", "").strip("/")
        values.update(
            s3_bucket=reader.required("S3_BUCKET", "PHOTOARCHIVE_STORAGE=s3"),
            s3_prefix=f"{prefix}/" if prefix else "",
            s3_region=reader.text("S3_REGION", "us-east-1"),
            s3_endpoint=endpoint,
            s3_path_style=reader.boolean("S3_PATH_STYLE", bool(endpoint)),
            s3_access_key_id=reader.text("S3_ACCESS_KEY_ID", ""),
            s3_secret_access_key=reader.text("S3_SECRET_ACCESS_KEY", ""),
            s3_serve=reader.choice("S3_SERVE", "proxy", S3_SERVE_MODES),
            s3_presign_seconds=reader.integer("S3_PRESIGN_SECONDS", 900, 60, 7 * 86400),
        )
        if bool(values["s3_access_key_id"]) != bool(values["s3_secret_access_key"]):
            raise SettingsError(
                f"Set both {PREFIX}S3_ACCESS_KEY_ID and {PREFIX}S3_SECRET_ACCESS_KEY, or neither"
                " (then the standard AWS credential chain is used)."
            )
    if values["auth"] == "cognito":
        needed = "PHOTOARCHIVE_AUTH=cognito"
        values.update(
            cognito_region=reader.required("COGNITO_REGION", needed),
            cognito_user_pool_id=reader.required("COGNITO_USER_POOL_ID", needed),
            cognito_client_id=reader.required("COGNITO_CLIENT_ID", needed),
            cognito_client_secret=reader.text("COGNITO_CLIENT_SECRET", ""),
            cognito_endpoint=(
                reader.url("COGNITO_ENDPOINT", "") if reader.text("COGNITO_ENDPOINT", "") else ""
            ),
            cognito_jwks_url=(
                reader.url("COGNITO_JWKS_URL", "") if reader.text("COGNITO_JWKS_URL", "") else ""
            ),
        )
    return values


SMTP_URL_FORM = "smtp://[user:password@]host[:port] or smtps://user:password@host[:port]"


def _mail_values(reader: EnvReader) -> dict[str, object]:
    """The mail server and sender; the sender is required once there is a server."""
    if reader.text("SMTP_URL", "") == "":
        return {}
    return {
        "smtp": parse_smtp_url(reader.text("SMTP_URL", "")),
        "mail_from": _mail_from(reader.required("MAIL_FROM", f"{PREFIX}SMTP_URL is set")),
    }


def parse_smtp_url(value: str) -> MailServer:
    """`smtp://` (port 25, or 587 with credentials) or `smtps://` (port 465). Reserved
    characters in the user or password are percent-encoded (`%40` for `@`)."""
    try:
        parts = urlsplit(value)
    except ValueError:  # such as an unclosed [ of an IPv6 host; the value may hold a password
        raise SettingsError(f"{PREFIX}SMTP_URL is not a URL; expected {SMTP_URL_FORM}") from None

    def wrong(why: str) -> SettingsError:
        return SettingsError(
            f"{PREFIX}SMTP_URL {why}; expected {SMTP_URL_FORM}, got {redacted(parts)!r}"
        )

    if parts.scheme not in ("smtp", "smtps"):
        raise wrong("must start with smtp:// or smtps://")
    if not parts.hostname:
        raise wrong("names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise wrong("has a path, query or fragment, which mean nothing here")
    try:
        port = parts.port
    except ValueError:
        raise wrong("has a port that is not a number from 1 to 65535") from None
    if port == 0:
        raise wrong("has a port that is not a number from 1 to 65535")
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if bool(username) != bool(password):
        raise wrong("needs both a user and a password, or neither")
    implicit_tls = parts.scheme == "smtps"
    default_port = 465 if implicit_tls else 587 if username else 25
    return MailServer(
        host=parts.hostname,
        port=port or default_port,
        implicit_tls=implicit_tls,
        username=username,
        password=password,
    )


def _mail_from(value: str) -> str:
    """A sender such as `photos@example.org` or `Family photos <photos@example.org>`."""
    _name, address = parseaddr(value)
    if "\r" in value or "\n" in value or "@" not in address or address.startswith("@"):
        raise SettingsError(
            f"{PREFIX}MAIL_FROM must be an address such as photos@example.org or"
            f" 'Family photos <photos@example.org>', got {value!r}"
        )
    return value
