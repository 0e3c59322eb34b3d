"""/healthz: the liveness probe of a container (the process answers, whatever its database
does); /readyz: the readiness probe of a load balancer (the database answers and is up to date,
so requests sent here can be served)."""

from __future__ import annotations

import msgspec
from litestar import Response, get
from msgspec import UNSET, UnsetType

from photoarchive.db.readiness import Readiness, readiness
from photoarchive.web.render import Req
from photoarchive.web.viewer import services

# Seconds a balancer or client may wait before asking again.
RETRY_AFTER = 2
# All a probe is told: never the database's address or the driver's words.
NOT_READY = {
    Readiness.UNREACHABLE: "The database is not reachable.",
    Readiness.OUTDATED: "The database schema is older than this version of the app.",
}


class ReadinessOut(msgspec.Struct):
    status: str
    detail: str | UnsetType = UNSET


@get("/healthz", include_in_schema=False, cache=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", include_in_schema=False, cache=False)
async def readyz(request: Req) -> Response[ReadinessOut]:
    state = await readiness(services(request).db)
    if state is Readiness.READY:
        return Response(ReadinessOut(state.value))
    return Response(
        ReadinessOut(state.value, NOT_READY[state]),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER)},
    )


HANDLERS = [healthz, readyz]
