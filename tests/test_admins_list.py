"""PHOTOARCHIVE_ADMINS as a rule (accounts.admins.listed): a user name, or an email address the
identity provider verified, names an administrator; an address nobody proved names nobody."""

from __future__ import annotations

import pytest

from photoarchive.accounts.admins import listed

ADMINS = ("carol", "dora@example.org")


@pytest.mark.parametrize(
    ("username", "verified_email", "expected"),
    [
        ("carol", None, True),
        ("Carol", None, True),  # names are matched without regard to case
        ("dora", None, False),  # her address, not yet proved hers, names nobody
        ("dora", "Dora@Example.org", True),
        ("dora", "", False),
        ("mallory", "carol", False),  # an address is matched as an address only
        ("mallory", "mallory@example.org", False),
    ],
)
def test_who_the_list_names(username: str, verified_email: str | None, expected: bool) -> None:
    assert listed(ADMINS, username, verified_email) is expected
