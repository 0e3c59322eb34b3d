"""The bytes of renditions already read, kept for the next person the media handler lets see them.

This cache decides nothing: the media handler looks the viewer and the photo up and asks
`library.access` first, and only then asks here for the bytes instead of the store. Renditions
are content-addressed (their storage key names their bytes) and never change, so an entry needs
no invalidation, only room: the entries share a byte budget (`PHOTOARCHIVE_MEDIA_CACHE_MB`,
0 turns this off), least recently used first out.

It used to answer before the framework, replaying a rendition to the same credentials while
nothing had been written. In the family benchmark (bench/family.py) that saved about a fifth
of a feed view, at the price of a second authorization path; this store keeps the part that
needs no decision (a thumbnail's file read).
"""

from __future__ import annotations

from collections import OrderedDict


class RenditionBodies:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.entry_limit = budget // 8  # no single file may take most of the budget
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0

    def get(self, key: str) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: str, body: bytes) -> None:
        if len(body) > self.entry_limit or key in self._bodies:
            return
        self._bodies[key] = body
        self._bytes += len(body)
        while self._bytes > self.budget:
            self._bytes -= len(self._bodies.popitem(last=False)[1])
