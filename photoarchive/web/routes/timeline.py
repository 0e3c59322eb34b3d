"""The timeline page: the viewer's photos by the month they were taken, a list of years and
months to jump to one, infinite scroll across months (htmx; without script, a link to the
next page), and the memories strip, which the feed shows too."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from litestar import get
from litestar.response import Template

from photoarchive.library import neighbours, timeline
from photoarchive.web import selection
from photoarchive.web.render import Req, is_htmx, render
from photoarchive.web.viewer import require_reader, services

LIST = neighbours.TIMELINE  # the grid's list: a photo opened from it walks it


@get("/timeline", name="timeline")
async def timeline_page(
    request: Req, month: str | None = None, cursor: str | None = None
) -> Template:
    user = await require_reader(request)
    svc = services(request)
    items, next_cursor = await timeline.page(svc, user, month=month, cursor=cursor)
    more = is_htmx(request) and bool(cursor)  # the grid's next items, scrolled into view
    # A page of its own (no script) names the month it starts in; more items only a new one.
    starts = {
        photo_id: (start, timeline.month_label(start))
        for photo_id, start in timeline.month_starts(
            items, cursor if more else None, svc.settings.timezone
        ).items()
    }
    shown: dict[str, Any] = {
        "photos": items,
        "next_cursor": next_cursor,
        "list_key": LIST,
        "list_path": "/timeline",
        "month_starts": starts,
    }
    if more:
        return render(request, "_grid_page.html", user=user, **shown)
    months = await timeline.buckets(svc, user)
    current = (
        timeline.month_of(items[0], svc.settings.timezone) if items else timeline.check_month(month)
    )
    return render(
        request,
        "timeline.html",
        user=user,
        years=[(year, list(group)) for year, group in groupby(months, key=lambda b: b.year)],
        current=current,
        newer=bool(month or cursor),
        memories=await timeline.memories_today(svc, user, with_marks=False),
        selection=await selection.for_grid(
            svc, user, buttons=("favorite", "unfavorite", "archive"), drops=("archive",)
        ),
        **shown,
    )


HANDLERS = [timeline_page]
