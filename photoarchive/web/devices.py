"""A session's device as a person would name it ("Chrome on Linux", "Safari on iPhone"), from
its User-Agent header, read by ua-parser (the maintained uap-core rules, not regexes of ours).

The rules are compiled on first use (about a third of a second), so pages ask through
`describe_all`, which parses in a worker thread; each answer is then remembered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import lru_cache

from ua_parser import parse

UNKNOWN = "Unknown device"
OTHER = "Other"  # what uap-core answers for a family it does not know


@lru_cache(maxsize=512)
def describe(user_agent: str) -> str:
    if not user_agent.strip():
        return UNKNOWN
    result = parse(user_agent[:1000])
    browser = result.user_agent.family if result.user_agent else None
    system = result.os.family if result.os else None
    device = result.device.family if result.device else None
    browser = None if browser == OTHER else browser
    system = None if system == OTHER else system
    # A phone or tablet is named by the device ("iPhone", "iPad"); a computer by its system.
    where = device if device in ("iPhone", "iPad") else system
    if browser and where:
        return f"{browser} on {where}"
    if browser or where:
        return str(browser or where)
    # A script or tool: its own first word ("python-httpx/0.27" -> "python-httpx").
    return user_agent.split("/", 1)[0].split(" ", 1)[0][:40] or UNKNOWN


async def describe_all(user_agents: Sequence[str]) -> list[str]:
    return await asyncio.to_thread(lambda: [describe(agent or "") for agent in user_agents])
