"""A photo deleted for good (no trash, or purged) between the moment a request found it and
the moment it writes a row about it: NotFound, as for a photo never there, and no 500. On the
domain functions, both engines; the deletion is made to fall in that moment."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from photoarchive.errors import NotFound
from photoarchive.library import album_photos, albums, archive, bulk, favorites, photos, visibility
from photoarchive.services import Services
from tests.test_neighbours import person, photo_of, scenario

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL


def deleted_once_found(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """`photos.<name>` finds the photo, which is then deleted for good at once."""
    real: Callable[..., Awaitable[Any]] = getattr(photos, name)

    async def then_gone(svc: Services, photo_id: int, *args: Any, **kwargs: Any) -> Any:
        found = await real(svc, photo_id, *args, **kwargs)
        await svc.db.execute("DELETE FROM photos WHERE id = ?", (photo_id,))
        return found

    monkeypatch.setattr(photos, name, then_gone)


@pytest.mark.parametrize("act", ["favorite", "archive", "private"])
def test_a_photo_deleted_meanwhile_is_not_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, act: str
) -> None:
    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        photo = await photo_of(svc, ann)
        deleted_once_found(monkeypatch, "get" if act == "private" else "find")
        with pytest.raises(NotFound, match="deleted"):
            if act == "favorite":
                await favorites.set_favorite(svc, ann, photo, True)
            elif act == "archive":
                await archive.set_archived(svc, ann, photo, True)
            else:
                await visibility.set_visibility(svc, ann, photo, "private")

    scenario(tmp_path, body)


def test_in_a_bulk_request_it_is_one_failure_among_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ForeignKeyViolation is no AppError: it ended the whole bulk request with a 500,
    the photos done before it untold."""

    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        first, doomed, last = [await photo_of(svc, ann) for _ in range(3)]
        real = photos.find

        async def doomed_goes(svc: Services, photo_id: int, *args: Any, **kwargs: Any) -> Any:
            found = await real(svc, photo_id, *args, **kwargs)
            if photo_id == doomed:
                await svc.db.execute("DELETE FROM photos WHERE id = ?", (photo_id,))
            return found

        monkeypatch.setattr(photos, "find", doomed_goes)
        result = await bulk.apply(svc, ann, "favorite", [first, doomed, last], {})
        assert sorted(result.done) == [first, last]
        assert [(f.id, f.status) for f in result.failed] == [(doomed, 404)]

    scenario(tmp_path, body)


def test_added_to_an_album_it_is_not_found_not_added(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its row was inserted from the ids given: a photo gone since they were read broke the
    foreign key (a 500), or, read from the photos row, was reported added though it was not."""

    async def body(svc: Services) -> None:
        ann = await person(svc, "ann")
        kept, doomed = await photo_of(svc, ann), await photo_of(svc, ann)
        album = await albums.create(svc, ann, "Summer")
        real = album_photos._insert

        async def doomed_goes(svc: Services, *args: Any) -> Any:
            await svc.db.execute("DELETE FROM photos WHERE id = ?", (doomed,))
            return await real(svc, *args)

        monkeypatch.setattr(album_photos, "_insert", doomed_goes)
        added, skipped = await album_photos.add(svc, album, ann, [kept, doomed])
        assert added == [kept] and skipped == [(doomed, album_photos.NOT_FOUND)]

    scenario(tmp_path, body)
