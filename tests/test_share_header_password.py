"""A protected link's password sent by a script with every request (X-Share-Password): checked
once with argon2 on the link's throttle, then known for a while, so a gallery's media are not
each a password check (nor, fetched a dozen at once, refused as guesses). A new password, or
a wrong one, is checked again. On the domain functions, both engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from photoarchive.errors import NotAuthenticated
from photoarchive.library import share_holders, shares
from photoarchive.services import Services
from tests.test_neighbours import person, photo_of, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def test_a_right_password_is_checked_once_and_a_new_one_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        photo = await photo_of(svc, ann)
        made = await shares.create(svc, ann, photo_ids=[photo], password="a long secret")
        checks: list[str] = []
        real = svc.passwords.verify

        async def counted(stored: Any, password: str) -> Any:
            checks.append(password)
            return await real(stored, password)

        monkeypatch.setattr(svc.passwords, "verify", counted)
        link = await shares.open_link(svc, made.token)
        for _ in range(12):
            await share_holders.try_header_password(svc, link, "a long secret", "192.0.2.1")
        assert checks == ["a long secret"]
        for _ in range(2):
            with pytest.raises(NotAuthenticated):
                await share_holders.try_header_password(svc, link, "a guess", "192.0.2.1")
        assert checks == ["a long secret", "a guess", "a guess"]

        await shares.update(svc, ann, made.id, password="another secret")
        link = await shares.open_link(svc, made.token)
        with pytest.raises(NotAuthenticated):
            await share_holders.try_header_password(svc, link, "a long secret", "192.0.2.1")
        await share_holders.try_header_password(svc, link, "another secret", "192.0.2.1")
        assert checks[-2:] == ["a long secret", "another secret"]

    scenario(tmp_path, body)
