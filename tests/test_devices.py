"""Naming a session's device from its User-Agent header (photoarchive/web/devices.py)."""

from __future__ import annotations

import asyncio

import pytest

from photoarchive.web.devices import UNKNOWN, describe, describe_all

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (SAFARI_IPHONE, "Mobile Safari on iPhone"),
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (CHROME_ANDROID, "Chrome Mobile on Android"),
        ("python-httpx/0.28.1", "python-httpx"),  # a script: its own name
        ("curl/8.5.0", "curl"),
        ("", UNKNOWN),
        ("   ", UNKNOWN),
    ],
)
def test_devices_are_named_as_a_person_would(agent: str, name: str) -> None:
    assert describe(agent) == name


def test_odd_headers_give_a_short_name_and_no_error() -> None:
    assert len(describe("x" * 100_000)) <= 40
    assert describe("Mozilla/5.0 (\x00\ufffd") != ""
    assert asyncio.run(describe_all([CHROME_LINUX, ""])) == ["Chrome on Linux", UNKNOWN]
