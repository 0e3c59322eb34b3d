"""Reading `PHOTOARCHIVE_*` values by kind (text, numbers, choices, URLs, networks), each
checked with a message that names the variable. Only `Settings.from_env` (settings.py) uses it."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit
from zoneinfo import available_timezones

PREFIX = "PHOTOARCHIVE_"
# A trusted proxy's address or range (PHOTOARCHIVE_TRUSTED_PROXIES).
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(ValueError):
    """A configuration value is missing or wrong; the message names the variable."""


class EnvReader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def _raw(self, name: str) -> str | None:
        value = self.env.get(PREFIX + name)
        return None if value is None or value.strip() == "" else value.strip()

    def text(self, name: str, default: str) -> str:
        value = self._raw(name)
        return default if value is None else value

    def required(self, name: str, because: str) -> str:
        value = self._raw(name)
        if value is None:
            raise SettingsError(f"{PREFIX}{name} must be set when {because}.")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise SettingsError(f"{PREFIX}{name} must be a whole number, got {value!r}") from None
        if not low <= number <= high:
            raise SettingsError(f"{PREFIX}{name} must be between {low} and {high}, got {number}")
        return number

    def number(self, name: str, default: float) -> float:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise SettingsError(f"{PREFIX}{name} must be a number, got {value!r}") from None
        if number <= 0:
            raise SettingsError(f"{PREFIX}{name} must be positive, got {value!r}")
        return number

    def boolean(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{PREFIX}{name} must be true or false, got {value!r}")

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).lower()
        if value not in choices:
            raise SettingsError(
                f"{PREFIX}{name} must be one of {', '.join(choices)}; got {value!r}"
            )
        return value

    def networks(self, name: str) -> tuple[Network, ...]:
        """Comma-separated IP addresses or CIDR ranges."""
        found = []
        for item in (self._raw(name) or "").split(","):
            if not item.strip():
                continue
            try:
                found.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise SettingsError(
                    f"{PREFIX}{name} must be comma-separated IP addresses or CIDR ranges,"
                    f" got {item.strip()!r}"
                ) from None
        return tuple(found)

    def zone(self, name: str) -> str:
        value = self.text(name, "")
        if value and value not in available_timezones():
            raise SettingsError(f"{PREFIX}{name} must be an IANA zone like Europe/Paris: {value!r}")
        return value

    def url(self, name: str, default: str) -> str:
        value = self.text(name, default).rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SettingsError(f"{PREFIX}{name} must be an http:// or https:// URL, got {value!r}")
        return value
