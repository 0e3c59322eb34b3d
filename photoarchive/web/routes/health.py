"""/healthz: the liveness probe of a container or load balancer."""

from __future__ import annotations

from litestar import get


@get("/healthz", include_in_schema=False, cache=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


HANDLERS = [healthz]
