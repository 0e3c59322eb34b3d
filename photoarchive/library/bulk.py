"""One action on many photos at once: favorite, archive, make private, add to an album...

Each photo goes through the very domain call a request about that photo alone would make, so it
is decided exactly as it would be alone (library/access.py, through that call): a photo the
person may not see fails with the same NotFound, another person's photo with the same
Forbidden. One refusal does not stop the rest; the answer lists what was done and what failed,
and why. What a whole request needs (the album to add to) is decided once, before any photo.
Adding to an album goes through the album's own "add these photos" call, all of them at once:
each decided as alone, in one transaction.

An action is a row of ACTIONS: the dataclass of its parameters and its step for one photo or
for all of them (and, when it needs one, what it makes of its parameters first). No HTTP here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from photoarchive.accounts.users import User
from photoarchive.errors import AppError, Forbidden, Invalid, NotFound
from photoarchive.library import (
    album_photos,
    albums,
    archive,
    favorites,
    notifications,
    photos,
    taken_dates,
    trash,
    visibility,
)
from photoarchive.library.access import Visibility
from photoarchive.library.albums import Album
from photoarchive.services import Services

log = logging.getLogger(__name__)

IDS_MAX = album_photos.IDS_MAX  # photos in one request
NOT_YOURS = "Only the photo's owner can put it in an album."


@dataclass(frozen=True, slots=True)
class NoParams:
    """An action that needs nothing but the photos."""


@dataclass(frozen=True, slots=True)
class VisibilityParams:
    visibility: Visibility

    def __post_init__(self) -> None:
        visibility.check(self.visibility)  # a wrong value fails the request, not each photo


@dataclass(frozen=True, slots=True)
class AlbumParams:
    album_id: int


@dataclass(frozen=True, slots=True)
class Told:
    """Those whose notifications the request's photos changed so far: their badges hear of it
    once, when the request ends, not once per photo."""

    told: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlbumToAddTo(Told):
    """The album a bulk add puts photos in."""

    album: Album


@dataclass(frozen=True, slots=True)
class ShiftParams:
    seconds: int

    def __post_init__(self) -> None:
        taken_dates.check_seconds(self.seconds)  # a wrong amount fails the request, not each photo


@dataclass(frozen=True, slots=True)
class Failure:
    id: int
    status: int
    detail: str


@dataclass(frozen=True, slots=True)
class Outcome:
    done: list[int]
    failed: list[Failure]


# One photo's step: (services, the person acting, the photo's id, what `prepare` made of the
# parameters). It raises the refusal a request about that photo alone would get.
Step = Callable[[Services, User, int, Any], Awaitable[object]]
# Every photo's step at once, for an action the domain does for many as it does for one (the
# same decision for each) at a fraction of the cost: the refusal of each photo, None for one
# done. A refusal it raises is every photo's (nothing was done).
Together = Callable[[Services, User, list[int], Any], Awaitable[dict[int, AppError | None]]]
# Once per request, before any photo: the parameters made ready (an album found and allowed).
Prepare = Callable[[Services, User, Any], Awaitable[Any]]


async def _as_given(svc: Services, actor: User, params: Any) -> Any:
    return params


async def _nothing_left(svc: Services, prepared: Any) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Action:
    params: type[Any]
    step: Step | None  # None: `together` does them all
    prepare: Prepare = _as_given
    # Once per request, after every photo (what the steps left to do together).
    finish: Callable[[Services, Any], Awaitable[None]] = _nothing_left
    together: Together | None = None  # in place of `step`, where it exists


async def _favorite(svc: Services, actor: User, photo_id: int, _: NoParams) -> None:
    await favorites.set_favorite(svc, actor, photo_id, True)


async def _unfavorite(svc: Services, actor: User, photo_id: int, _: NoParams) -> None:
    await favorites.set_favorite(svc, actor, photo_id, False)


async def _archive(svc: Services, actor: User, photo_id: int, _: NoParams) -> None:
    await archive.set_archived(svc, actor, photo_id, True)


async def _unarchive(svc: Services, actor: User, photo_id: int, _: NoParams) -> None:
    await archive.set_archived(svc, actor, photo_id, False)


async def _set_visibility(
    svc: Services, actor: User, photo_id: int, params: VisibilityParams
) -> None:
    await visibility.set_visibility(svc, actor, photo_id, params.visibility)


async def _album_to_add_to(svc: Services, actor: User, params: AlbumParams) -> AlbumToAddTo:
    """The album, for the whole request: NotFound to anyone not a member, Forbidden to a
    member who may not add."""
    album = await albums.find(svc.db, params.album_id, actor)
    if not album.may_add:
        raise Forbidden("Only the album's owner and contributors can add photos.")
    return AlbumToAddTo(album=album)


async def _add_all_to_album(
    svc: Services, actor: User, photo_ids: list[int], to: AlbumToAddTo
) -> dict[int, AppError | None]:
    """As "Add to album" on each photo's page, in one transaction: a photo they may not see is
    NotFound (access.visible_sql, photos.find's rule, and its words), another's Forbidden. Photo
    by photo, 1,000 photos were a thousand transactions, each telling every member anew (20
    members: 40,000 notification writes); now one, and one notice per member."""
    try:
        _, skipped = await album_photos.add(svc, to.album, actor, photo_ids, told=to.told)
    except AppError as refusal:
        if refusal.status >= 500:
            raise
        # The album's refusal (its person's role changed since `prepare`, the album gone):
        # as alone, a photo they may not see is not found first, another's not theirs.
        return {photo_id: await _alone(svc, to, actor, photo_id, refusal) for photo_id in photo_ids}
    why = dict(skipped)
    refusals = {
        album_photos.NOT_FOUND: NotFound(photos.PHOTO_GONE),
        album_photos.NOT_YOURS: Forbidden(NOT_YOURS),
    }
    # Already in the album is done: the photo is where it was asked to be.
    return {photo_id: refusals.get(why.get(photo_id, "")) for photo_id in photo_ids}


async def _alone(
    svc: Services, to: AlbumToAddTo, actor: User, photo_id: int, refusal: AppError
) -> AppError | None:
    try:
        photo = await photos.find(svc, photo_id, actor)
    except NotFound as gone:
        return gone
    if photo.owner_id != actor.id:
        return Forbidden(NOT_YOURS)
    there = await svc.db.fetchone(
        "SELECT 1 FROM album_photos WHERE album_id = ? AND photo_id = ?", (to.album.id, photo_id)
    )
    return None if there else refusal  # already in it is done, as alone


async def _tell(svc: Services, to: Told) -> None:
    await notifications.announce_all(svc, to.told)


async def _collecting(svc: Services, actor: User, params: NoParams) -> Told:
    return Told()


async def _trash(svc: Services, actor: User, photo_id: int, to: Told) -> None:
    await trash.move(svc, actor, photo_id, told=to.told)


async def _restore(svc: Services, actor: User, photo_id: int, to: Told) -> None:
    await trash.restore_one(svc, actor, photo_id, told=to.told)


async def _shift_date(svc: Services, actor: User, photo_id: int, params: ShiftParams) -> None:
    await taken_dates.shift_date(svc, actor, photo_id, params.seconds)


ACTIONS: dict[str, Action] = {
    "favorite": Action(NoParams, _favorite),
    "unfavorite": Action(NoParams, _unfavorite),
    "archive": Action(NoParams, _archive),
    "unarchive": Action(NoParams, _unarchive),
    "set_visibility": Action(VisibilityParams, _set_visibility),
    "add_to_album": Action(AlbumParams, None, _album_to_add_to, _tell, _add_all_to_album),
    "trash": Action(NoParams, _trash, _collecting, _tell),
    "restore": Action(NoParams, _restore, _collecting, _tell),
    "shift_date": Action(ShiftParams, _shift_date),
}


def parse(action: str, given: Mapping[str, object]) -> tuple[Action, Any]:
    """The action and its parameters, or Invalid naming the field at fault: an unknown action,
    a parameter it needs and did not get, or one it does not take."""
    found = ACTIONS.get(action)
    if found is None:
        raise Invalid(f"action must be one of: {', '.join(ACTIONS)}.", field="action")
    wanted = [f.name for f in fields(found.params)]
    for name in given:
        if name not in wanted:
            raise Invalid(f"{action} takes no {name}.", field=name)
    for name in wanted:
        if name not in given:
            raise Invalid(f"{action} needs {name}.", field=name)
    return found, found.params(**given)


async def apply(
    svc: Services,
    actor: User,
    action: str,
    photo_ids: Sequence[Any],
    given: Mapping[str, object] | None = None,
) -> Outcome:
    """`action` on each photo (each id once, in the order given); what was done and what failed."""
    chosen, params = parse(action, given or {})
    ids = album_photos.check_ids(photo_ids)
    prepared = await chosen.prepare(svc, actor, params)
    outcome = Outcome([], [])
    try:
        if chosen.step is not None:
            await _one_by_one(svc, actor, chosen.step, ids, prepared, outcome)
        elif chosen.together is not None:
            await _all_at_once(svc, actor, chosen.together, ids, prepared, outcome)
    except BaseException:
        try:  # what was done is told, and the refusal stays the answer
            await chosen.finish(svc, prepared)
        except Exception:
            log.exception("bulk %s: telling what was done failed", action)
        raise
    await chosen.finish(svc, prepared)
    return outcome


async def _one_by_one(
    svc: Services, actor: User, step: Step, ids: list[int], prepared: Any, outcome: Outcome
) -> None:
    for at, photo_id in enumerate(ids):
        try:
            await step(svc, actor, photo_id, prepared)
        except AppError as refusal:
            outcome.failed.append(Failure(photo_id, refusal.status, refusal.message))
            if refusal.status >= 500:
                # The archive's trouble, not this photo's: stop here, and say which were done
                # (a bare 503 left them unknown, and shifting dates again on a retry would
                # shift the done ones twice).
                outcome.failed.extend(
                    Failure(left, refusal.status, refusal.message) for left in ids[at + 1 :]
                )
                return
        else:
            outcome.done.append(photo_id)


async def _all_at_once(
    svc: Services, actor: User, together: Together, ids: list[int], prepared: Any, outcome: Outcome
) -> None:
    try:
        refused = await together(svc, actor, ids, prepared)
    except AppError as refusal:  # every photo's, a 5xx too: nothing was done
        refused = dict.fromkeys(ids, refusal)
    for photo_id in ids:
        if (why := refused[photo_id]) is None:
            outcome.done.append(photo_id)
        else:
            outcome.failed.append(Failure(photo_id, why.status, why.message))
