"""Administration under /api/v1/admin: the accounts, what each keeps, and their quotas.

Administrators only: a member is 403, a guest 401, as on /admin. The rules (who may be
disabled, what a quota may be) are the domain's, shared with the /admin page."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, patch
from msgspec import UNSET

from photoarchive.accounts import quotas, users
from photoarchive.errors import Invalid
from photoarchive.library import usage
from photoarchive.web.admin_schemas import AdminUserBody, AdminUserList, AdminUserOut
from photoarchive.web.api import JSON_BODY, READ, WRITE, refusals
from photoarchive.web.viewer import require_admin, services


@get("/api/v1/admin/users", tags=["admin"], responses=refusals(READ, 403))
async def list_users(request: Request[Any, Any, Any]) -> AdminUserList:
    await require_admin(request)
    rows = await usage.accounts(services(request).db)
    return AdminUserList(items=[AdminUserOut.of(*row) for row in rows])


@patch("/api/v1/admin/users/{username:str}", tags=["admin"], responses=refusals(WRITE, JSON_BODY))
async def edit_user(
    request: Request[Any, Any, Any], username: str, data: AdminUserBody
) -> AdminUserOut:
    admin = await require_admin(request)
    db = services(request).db
    if data.quota_mb is UNSET and data.disabled is UNSET:
        raise Invalid("Send a quota_mb, disabled, or both.")
    # The quota is checked first and saved last: a refusal of either leaves the account as it
    # was (disabling refuses one's own account, and 404s an unknown one).
    quota = UNSET if data.quota_mb is UNSET else quotas.check_quota_mb(data.quota_mb)
    target = await users.by_username(db, username)
    if data.disabled is not UNSET:
        target = await users.set_disabled(db, admin, username, data.disabled)
    if quota is not UNSET:
        target = await usage.set_quota(db, admin, username, quota)
    return AdminUserOut.of(*await usage.account(db, target))


HANDLERS = [list_users, edit_user]
