"""What a photo grid's selection bar offers (templates/_photo_grid.html, static/js/select.js).

Each button is one bulk action (library/bulk.py, through POST /api/v1/photos/bulk); a grid lists
the ones that fit it, and those after which a photo no longer belongs in it (archived photos
leave a profile). The bar is a signed-in viewer's; every photo is still decided by the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from photoarchive.accounts.users import User
from photoarchive.library import albums, bulk
from photoarchive.library.albums import Album
from photoarchive.services import Services


@dataclass(frozen=True, slots=True)
class Button:
    action: str  # a key of bulk.ACTIONS
    label: str
    done: str  # what the photos it did are now, for the announcement: "12 archived"
    params: dict[str, Any] = field(default_factory=dict)


BUTTONS = {
    "favorite": Button("favorite", "Favorite", "added to favorites"),
    "unfavorite": Button("unfavorite", "Unfavorite", "removed from favorites"),
    "archive": Button("archive", "Archive", "archived"),
    "unarchive": Button("unarchive", "Unarchive", "unarchived"),
    "private": Button("set_visibility", "Make private", "made private", {"visibility": "private"}),
    "family": Button("set_visibility", "Family", "shown to the family", {"visibility": "family"}),
    "trash": Button("trash", "Delete", "moved to the trash"),
    "restore": Button("restore", "Restore", "restored"),
}
ADD_TO_ALBUM = Button("add_to_album", "Add", "added to the album")
# Only for one's own photos: a grid that can hold none of the viewer's offers none of these.
OWNERS_ONLY = ("archive", "unarchive", "private", "family", "trash", "restore")


@dataclass(frozen=True, slots=True)
class Selection:
    buttons: tuple[str, ...] = ("favorite", "unfavorite")  # keys of BUTTONS
    drops: tuple[str, ...] = ()  # bulk actions after which a photo leaves this grid
    albums: tuple[Album, ...] = ()  # where Add to album may put photos (none: no such control)
    max_ids: int = bulk.IDS_MAX  # photos in one request; the script sends more in turns
    download: bool = True  # offer Download (not in the trash, whose photos nobody may have)
    remove_from: Album | None = None  # offer "Remove from album" (a plain form) for this album

    @property
    def offered(self) -> list[Button]:
        return [BUTTONS[key] for key in self.buttons]

    @property
    def add_to_album(self) -> Button:
        return ADD_TO_ALBUM


# A grid that says nothing of its own: what any viewer may do to any photo they see.
DEFAULT = Selection()


async def for_grid(
    svc: Services,
    viewer: User | None,
    *,
    buttons: tuple[str, ...] = DEFAULT.buttons,
    drops: tuple[str, ...] = (),
    owns: bool = False,
    remove_from: Album | None = None,
) -> Selection | None:
    """The bar for `viewer` (None for a guest: no bar), with the owner's buttons and the albums
    to add to when the grid may hold photos of their own (`owns`), and "Remove from album"
    when the grid is an album they may take photos out of (`remove_from`)."""
    if viewer is None:
        return None
    if not owns:
        return Selection(
            buttons=tuple(b for b in buttons if b not in OWNERS_ONLY),
            drops=drops,
            remove_from=remove_from,
        )
    return Selection(
        buttons=(*buttons, "private", "family", "trash"),
        drops=(*drops, "trash"),  # a photo in the trash is in no grid but the trash's
        albums=tuple(await albums.to_add_to(svc, viewer)),
        remove_from=remove_from,
    )


# The trash's own bar: restore what is chosen; it leaves the trash.
TRASH = Selection(buttons=("restore",), drops=("restore",), download=False)
