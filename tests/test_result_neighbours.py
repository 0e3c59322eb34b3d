"""Previous and next in the timeline and in a search's results, on the domain function with a
real SQLite file: stepping older from the newest photo, or newer from the oldest, visits exactly
the list its pages show (dates taken, upload times, ties on one date), never a photo the viewer
may not see or one the list leaves out; the way back names the page a photo is on. The links
are tested over HTTP in test_photo_links.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from photoarchive.accounts.users import User
from photoarchive.library import archive, neighbours, photos, search, timeline, visibility
from photoarchive.library.neighbours import PhotoList
from photoarchive.services import Services
from tests.test_neighbours import person, scenario
from tests.test_search import shot

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


async def _pages(svc: Services, viewer: User | None, within: PhotoList) -> list[int]:
    """The list as its pages show it (pages of three, so that pages end inside a date)."""
    ids, cursor = [], None
    while True:
        if within.search is not None:
            items, cursor = await search.page(svc, viewer, within.search, cursor=cursor, limit=3)
        else:
            items, cursor = await timeline.page(svc, viewer, cursor=cursor, limit=3)
        ids += [p.id for p in items]
        if cursor is None:
            return ids


async def _walk(
    svc: Services, viewer: User, within: PhotoList, start: int, older: bool
) -> list[int]:
    ids = [start]
    while True:
        photo = await photos.get(svc, ids[-1], viewer)
        around = await neighbours.around(svc, photo, viewer, within)
        assert around is not None
        step = around.older if older else around.newer
        if step is None:
            return ids
        ids.append(step.id)


async def _archive_of(svc: Services) -> tuple[User, User, list[int]]:
    ann, bob = await person(svc, "ann"), await person(svc, "bob")
    made = []
    for n in range(40):
        owner = ann if n % 3 else bob
        taken = None if n % 7 == 0 else f"2024-0{1 + n % 4}-1{n % 3}T10:00:00"
        caption = "beach walk" if n % 2 else "garden"
        made.append(
            await shot(
                svc,
                owner,
                caption=caption,
                taken_at=taken,
                created_at=f"2024-0{1 + n % 5}-05T08:00:00.000000Z",
            )
        )
    # bob's private photo (ann may not see it) and ann's archived one (out of the timeline).
    await visibility.set_visibility(svc, bob, made[3], "private")
    await archive.set_archived(svc, ann, made[4], True)
    return ann, bob, made


def test_stepping_visits_exactly_what_the_pages_show(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann, _, made = await _archive_of(svc)
        for key in ("timeline", "search:beach", "search:beach -walk", "search:garden"):
            within = await neighbours.parse_list(svc, key, ann)
            assert within is not None and within.key == key
            shown = await _pages(svc, ann, within)
            assert made[3] not in shown and (key != "timeline" or made[4] not in shown)
            if not shown:
                continue
            assert await _walk(svc, ann, within, shown[0], older=True) == shown, key
            assert await _walk(svc, ann, within, shown[-1], older=False) == shown[::-1], key

    scenario(tmp_path, body)


def test_the_way_back_names_the_page_a_photo_is_on(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann, _, _ = await _archive_of(svc)
        within = PhotoList(timeline=True)
        shown = await _pages(svc, ann, within)
        assert len(shown) > photos.PAGE_DEFAULT
        for place, photo_id in enumerate(shown):
            photo = await photos.get(svc, photo_id, ann)
            around = await neighbours.around(svc, photo, ann, within)
            assert around is not None
            assert around.on_first_page == (place < photos.PAGE_DEFAULT)
            if not around.on_first_page:
                page, _ = await timeline.page(svc, ann, cursor=around.page_cursor)
                assert page[0].id == photo_id

    scenario(tmp_path, body)


def test_a_photo_outside_the_list_has_no_neighbours_there(tmp_path: Path) -> None:
    async def body(svc: Services) -> None:
        ann, bob, made = await _archive_of(svc)
        garden = await photos.get(svc, made[0], ann)  # caption "garden"
        assert await neighbours.around(svc, garden, ann, PhotoList(search="beach")) is None
        archived = await photos.get(svc, made[4], ann)
        assert await neighbours.around(svc, archived, ann, PhotoList(timeline=True)) is None
        # Words that cannot be read, or none: the photo is shown on its own.
        assert await neighbours.around(svc, garden, ann, PhotoList(search="from:")) is None
        assert await neighbours.parse_list(svc, "search:   ", ann) is None
        assert await neighbours.parse_list(svc, "search:", ann) is None
        # A guest (the archive lets guests look) walks the family's photos only.
        family = await _pages(svc, None, PhotoList(search="beach"))
        assert made[3] not in family and family
        first = await photos.get(svc, family[0], None)
        around = await neighbours.around(svc, first, None, PhotoList(search="beach"))
        assert around is not None and around.newer is None
        assert bob  # the owner of the private photo

    scenario(tmp_path, body, public_view=True)
