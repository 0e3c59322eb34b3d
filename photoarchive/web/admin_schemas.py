"""The administration API's bodies and answers as types (see schemas.py for the rest)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from msgspec import UNSET, UnsetType

from photoarchive.web.schemas import UsageOut

if TYPE_CHECKING:
    from photoarchive.accounts.users import User
    from photoarchive.library.usage import Usage


class AdminUserBody(msgspec.Struct, forbid_unknown_fields=True):
    """Either or both: what is left out stays as it is."""

    # A whole number of MB from 0 (a negative one is 422); null: no limit.
    quota_mb: int | UnsetType | None = UNSET
    # True signs the person out everywhere, as /admin's Disable does.
    disabled: bool | UnsetType = UNSET


class AdminUserOut(msgspec.Struct):
    """An account as its administrators see it: its state, what it keeps and may keep."""

    username: str
    display_name: str
    is_admin: bool
    disabled: bool
    usage: UsageOut
    # How many bytes of originals the person may keep; null: no limit.
    quota_bytes: int | None
    created_at: str

    @classmethod
    def of(cls, user: User, usage: Usage, quota_bytes: int | None) -> AdminUserOut:
        return cls(
            username=user.username,
            display_name=user.display_name,
            is_admin=user.is_admin,
            disabled=user.disabled,
            usage=UsageOut.of(usage),
            quota_bytes=quota_bytes,
            created_at=user.created_at,
        )


class AdminUserList(msgspec.Struct):
    items: list[AdminUserOut]
