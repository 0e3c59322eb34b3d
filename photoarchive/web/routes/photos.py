"""One photo: its page (or modal), and what can be done to it: like, caption, delete.

Opened from a list (`?from=feed`, `?from=user:alice`, `?from=album:12`, `?from=favorites`,
`?from=archive`, `?from=timeline`, `?from=search:` and the words, quoted), the photo links to
its neighbours in that list and back to the list where it stands in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from litestar import Response, get, post
from litestar.params import QueryParameter
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from photoarchive.library import (
    access,
    album_photos,
    albums,
    captions,
    likes,
    neighbours,
    photos,
    shares,
    trash,
    visibility,
)
from photoarchive.library.neighbours import Neighbours
from photoarchive.library.photos import Photo
from photoarchive.library.search_query import Q_MAX
from photoarchive.web.confirming import Question, asked
from photoarchive.web.params import RowId
from photoarchive.web.render import (
    Req,
    back_to,
    form_fields,
    is_htmx,
    referring_page,
    render,
    safe_next,
)
from photoarchive.web.viewer import require_reader, require_user, services

# `?saved=` on a photo's page after its owner chose who sees it.
VISIBILITY_SAVED = "visibility"
# The like form in the photo window, over a card with one of its own (_like_button.html).
LIKE_OPEN = "-open"
# The longest list key: a search's, "search:" and the longest words a search may be.
FROM_MAX = len(neighbours.SEARCH) + Q_MAX


@dataclass(frozen=True, slots=True)
class Navigation:
    """The links of a photo opened from a list: its neighbours' and the way back."""

    around: Neighbours
    photo: Photo

    def href(self, photo: Photo) -> str:
        # List keys are "feed", "favorites", "archive", "timeline", "album:" and a number,
        # "user:" and a username (letters, digits, _ . -), or "search:" and any words: quoted.
        return f"/photos/{photo.id}?from={quote(self.around.within.key, safe=':')}"

    def _place(self) -> tuple[str, str]:
        """The list's page and the prefix of a photo's anchor on it."""
        within = self.around.within
        if within.timeline:
            return "/timeline", "grid"
        if within.search is not None:
            return f"/search?q={quote(within.search)}", "grid"
        if within.mine is not None:
            return f"/{within.mine}", "grid"
        owner = within.owner
        return ("/", "photo") if owner is None else (f"/u/{owner.username}", "grid")

    @property
    def _by_date_taken(self) -> bool:
        return self.around.within.timeline or self.around.within.search is not None

    @property
    def back(self) -> str:
        """The list, scrolled to this photo: from its first page when that page shows it,
        else from the photo on (a list by id: its cursor is the id the page starts below;
        an album's or the favorites' own order: the cursor the neighbours gave)."""
        album = self.around.within.album
        if album is not None or self.around.within.mine == neighbours.FAVORITES:
            start = self.around.page_cursor
            query = "" if start is None else f"?cursor={start}"
            path = f"/albums/{album.id}" if album is not None else "/favorites"
            return f"{path}{query}#grid-{self.photo.id}"
        path, anchor = self._place()
        if self._by_date_taken:  # its own order: the cursor the neighbours gave
            start = self.around.page_cursor
            query = "" if start is None else ("&" if "?" in path else "?") + f"cursor={start}"
            return f"{path}{query}#{anchor}-{self.photo.id}"
        query = "" if self.around.on_first_page else f"?cursor={self.photo.id + 1}"
        return f"{path}{query}#{anchor}-{self.photo.id}"

    @property
    def after_delete(self) -> str:
        """Where deleting this photo leaves the person: its list, at the photo that takes its
        place (the next older one, else the newer one)."""
        album = self.around.within.album
        if album is not None:
            return f"/albums/{album.id}"
        if self.around.within.mine == neighbours.FAVORITES:
            return "/favorites"
        path, anchor = self._place()
        if self._by_date_taken:
            instead = self.around.older or self.around.newer
            return path + (f"#{anchor}-{instead.id}" if instead else "")
        query = "" if self.around.on_first_page else f"?cursor={self.photo.id + 1}"
        instead = self.around.older or self.around.newer
        return f"{path}{query}" + (f"#{anchor}-{instead.id}" if instead else "")


@get("/photos/{photo_id:int}", name="photo")
async def photo_page(
    request: Req,
    photo_id: RowId,
    from_list: Annotated[str | None, QueryParameter(name="from", max_length=FROM_MAX)] = None,
    saved: str | None = None,
) -> Template:
    user = await require_reader(request)
    svc = services(request)
    photo = await photos.get(svc, photo_id, user, all_comments=True)
    within = await neighbours.parse_list(svc, from_list, user)
    around = None if within is None else await neighbours.around(svc, photo, user, within)
    nav = None if around is None else Navigation(around, photo)
    liked_by = await likes.likers(svc, photo)
    # Its owner may put it in an album of theirs (or one they contribute to).
    album_choices = await albums.to_add_to(svc, user) if user and photo.can_edit else []
    # Who else sees a private photo: its albums' members (and their links' holders); and
    # which of the albums to add it to hold it already.
    held_in = (
        await album_photos.holding(svc, photo, user)
        if user and (photo.private or album_choices)
        else []
    )
    linked = 0
    if user is not None and photo.can_edit and photo.private:
        linked = await shares.links_to(svc, photo.id, user)
    # Opened from an album: "Remove from album", for its owner, the administrator looking
    # after it (who sees this photo: it is open) and the photo's owner (only a photo's owner
    # adds it to an album, so they are the one who added it).
    album = None if nav is None else nav.around.within.album
    removable_from = (
        album
        if album
        and user
        and access.may_take_out(
            user, album.role, photo.owner_id, photo.owner_id, manages=album.manages, seen=True
        )
        else None
    )
    shown: dict[str, Any] = {
        "album_choices": album_choices,
        "held_in": held_in,
        "photo_links": linked,
        "removable_from": removable_from,
        # Its owner just chose who sees it (edit_visibility): said beside the form.
        "visibility_saved": saved == VISIBILITY_SAVED and photo.can_edit,
    }
    if is_htmx(request) and request.headers.get("hx-target") == "modal":
        return render(
            request,
            "_photo_modal.html",
            user=user,
            photo=photo,
            nav=nav,
            modal=True,
            liked_by=liked_by,
            **shown,
        )
    return render(
        request,
        "photo.html",
        user=user,
        photo=photo,
        nav=nav,
        modal=False,
        liked_by=liked_by,
        **shown,
    )


@post("/photos/{photo_id:int}/like", status_code=200)
async def like(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    form = await form_fields(request)
    photo = await likes.set_like(services(request), user, photo_id, form.get("liked") == "1")
    if is_htmx(request):
        at = LIKE_OPEN if form.get("at") == LIKE_OPEN else ""  # see _like_button.html
        with_likers = form.get("likers") == "1"
        return render(
            request,
            "_like_answer.html",
            user=user,
            photo=photo,
            like_at=at,
            with_likers=with_likers,
            liked_by=await likes.likers(services(request), photo) if with_likers else None,
        )
    return back_to(request, f"/photos/{photo_id}", f"photo-{photo_id}")


@post("/photos/{photo_id:int}/caption", status_code=200)
async def edit_caption(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    form = await form_fields(request)
    photo = await captions.set_caption(services(request), user, photo_id, form.get("caption", ""))
    if is_htmx(request):
        return render(request, "_caption.html", user=user, photo=photo)
    return back_to(request, f"/photos/{photo_id}", f"photo-{photo_id}")


@post("/photos/{photo_id:int}/visibility", status_code=200)
async def edit_visibility(request: Req, photo_id: RowId) -> Response[Any]:
    """The owner makes the photo family or private (a plain form: no script needed)."""
    user = await require_user(request)
    form = await form_fields(request)
    await visibility.set_visibility(services(request), user, photo_id, form.get("visibility"))
    # Back to the photo's page as it was opened (from a list: its neighbours kept), at the
    # form, which says it is saved.
    here = f"/photos/{photo_id}"
    page = referring_page(request)
    if page is None or urlsplit(page).path != here:
        page = here
    target = (
        page + ("&" if "?" in page else "?") + f"saved={VISIBILITY_SAVED}#visibility-{photo_id}"
    )
    if is_htmx(request):
        return ClientRedirect(target)
    return Redirect(target, status_code=303)


@post("/photos/{photo_id:int}/delete", status_code=200)
async def delete_photo(request: Req, photo_id: RowId) -> Response[Any]:
    user = await require_user(request)
    wanted = (await form_fields(request)).get("next")
    question = Question(  # asked when the form asks (no trash to take it back from)
        "Delete this photo for good?",
        "There is no trash on this archive: its original, its comments and its likes go at"
        " once. This cannot be undone.",
        "Delete forever",
        f"/photos/{photo_id}",
    )
    await trash.may_move(services(request), user, photo_id)  # before asking: theirs to delete?
    if ask := await asked(request, user, question):
        return ask
    await trash.move(services(request), user, photo_id)
    # Back to the list the photo was opened from (a same-site path only), else one's profile.
    target = safe_next(wanted) if wanted else f"/u/{user.username}"
    # Said there, with an Undo (base.html, _trashed_notice.html).
    target, hash_, fragment = target.partition("#")
    target += ("&" if "?" in target else "?") + f"trashed={photo_id}" + hash_ + fragment
    if is_htmx(request):
        return ClientRedirect(target)
    return Redirect(target, status_code=303)


HANDLERS = [photo_page, like, edit_caption, edit_visibility, delete_photo]
