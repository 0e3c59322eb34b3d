"""Albums as pages: the list of mine and those shared with me, one album (its grid in the
album's order, its members, and the owner's controls), and "Add to album" from a photo's page.
Plain forms that work without scripts; each answers with a redirect to the page it changed.
The zip of an album is the API's (GET /api/v1/albums/{id}/download): a link, signed in by
the session cookie like any page."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template

from photoarchive.errors import Invalid, NotFound
from photoarchive.library import album_photos, albums, photos, shares
from photoarchive.web import selection
from photoarchive.web.forms import row_id_field
from photoarchive.web.params import RowId
from photoarchive.web.render import Req, form_fields, is_htmx, render
from photoarchive.web.viewer import require_user, services


def _to(path: str) -> Redirect:
    return Redirect(path, status_code=303)


CHOOSE = "Choose one from the list."


@get("/albums", name="albums")
async def album_list(request: Req, cursor: str | None = None) -> Template:
    user = await require_user(request)
    items, next_cursor = await albums.page(services(request), user, cursor=cursor)
    return render(request, "albums.html", user=user, albums=items, next_cursor=next_cursor)


@post("/albums")
async def create_album(request: Req) -> Redirect:
    user = await require_user(request)
    form = await form_fields(request)
    album = await albums.create(
        services(request), user, form.get("title", ""), form.get("description", "")
    )
    return _to(f"/albums/{album.id}")


# How many photos "Remove from album" took out, and how many it left in (not theirs to take).
Counted = Parameter(default=None, ge=0, le=album_photos.IDS_MAX)


@get("/albums/{album_id:int}", name="album")
async def album_page(
    request: Req,
    album_id: RowId,
    cursor: str | None = None,
    removed: int | None = Counted,
    kept: int | None = Counted,
) -> Template:
    user = await require_user(request)
    svc = services(request)
    album = await albums.find(svc.db, album_id, user)
    items, next_cursor = await album_photos.page(svc, album, user, cursor=cursor)
    context: dict[str, Any] = {
        "notice": _removed_notice(removed, kept),
        "album": album,
        "photos": items,
        "next_cursor": next_cursor,
        "cursor": cursor,
        # The grid partial every photo grid shares; opened photos step through the album.
        "list_key": f"album:{album.id}",
        "list_path": f"/albums/{album.id}",
    }
    if is_htmx(request) and cursor:
        return render(request, "_grid_page.html", user=user, **context)
    if album.is_owner:  # only the owner shares an album, and sees its links
        mine = await shares.mine(svc, user)
        context["album_links"] = [link for link in mine if link.album_id == album.id]
        context["public_url"] = svc.settings.public_url.rstrip("/")
    # Archived or private, a photo stays in the album: nothing leaves this grid.
    context["selection"] = await selection.for_grid(
        svc,
        user,
        buttons=("favorite", "unfavorite", "archive", "unarchive"),
        owns=album.may_add,
        remove_from=album if await album_photos.may_take_out_some(svc, album, user) else None,
    )
    return render(
        request,
        "album.html",
        user=user,
        sorts=albums.SORT_LABELS,
        roles=albums.MEMBER_ROLES,
        **context,
    )


def _removed_notice(removed: int | None, kept: int | None) -> str | None:
    if removed is None:
        return None
    text = f"{removed} photo{'' if removed == 1 else 's'} removed from the album."
    if kept:
        text += f" {kept} left in: only the album's owner or a photo's owner can take it out."
    return text


@post("/albums/{album_id:int}/edit")
async def edit_album(request: Req, album_id: RowId) -> Redirect:
    """The owner's settings form: title, description, order and cover in one."""
    user = await require_user(request)
    form = await form_fields(request)
    cover = form.get("cover_photo_id") or None
    await albums.update(
        services(request),
        user,
        album_id,
        title=form.get("title", ""),
        description=form.get("description", ""),
        sort=form.get("sort", ""),
        cover_photo_id=None if cover is None else row_id_field("cover_photo_id", cover, CHOOSE),
    )
    return _to(f"/albums/{album_id}")


@post("/albums/{album_id:int}/delete")
async def delete_album(request: Req, album_id: RowId) -> Redirect:
    user = await require_user(request)
    await albums.delete(services(request), user, album_id)
    return _to("/albums")


@post("/albums/{album_id:int}/members")
async def add_member(request: Req, album_id: RowId) -> Redirect:
    user = await require_user(request)
    form = await form_fields(request)
    username = str(form.get("username", "")).strip()
    if not username:
        raise Invalid("Whom should the album be shared with?", field="username")
    await albums.set_member(services(request), user, album_id, username, form.get("role"))
    return _to(f"/albums/{album_id}#members")


@post("/albums/{album_id:int}/members/{username:str}/remove")
async def remove_member(request: Req, album_id: RowId, username: str) -> Redirect:
    """The owner removes a member, or a member leaves (and goes back to their albums)."""
    user = await require_user(request)
    await albums.remove_member(services(request), user, album_id, username)
    leaving = username.lower() == user.username.lower()
    return _to("/albums" if leaving else f"/albums/{album_id}#members")


@post("/albums/{album_id:int}/photos/remove")
async def remove_photos(request: Req, album_id: RowId) -> Redirect:
    """ "Remove from album": the selection bar's form or a photo's page, one `photo_ids` field
    per photo. They leave the album, never the archive; back to the album, told how many left
    it (the rest were not the person's to take out)."""
    user = await require_user(request)
    svc = services(request)
    chosen = [
        row_id_field("photo_ids", value, "Each chosen photo must be given by its id.")
        for value in (await request.form()).getall("photo_ids", [])
    ]
    removed = await album_photos.remove(svc, album_id, user, chosen)
    try:
        await albums.find(svc.db, album_id, user)
    except NotFound:  # the owner of a photo left behind in an album they are no longer in
        return _to("/albums")
    return _to(f"/albums/{album_id}?removed={len(removed)}&kept={len(set(chosen)) - len(removed)}")


@post("/photos/{photo_id:int}/albums")
async def add_to_album(request: Req, photo_id: RowId) -> Response[Any]:
    """ "Add to album" on a photo's page: its owner puts it in an album of theirs."""
    user = await require_user(request)
    svc = services(request)
    form = await form_fields(request)
    photo = await photos.find(svc, photo_id, user)  # 404 for a photo they may not see
    album = await albums.find(svc.db, row_id_field("album_id", form.get("album_id"), CHOOSE), user)
    _, skipped = await album_photos.add(svc, album, user, [photo.id])
    if skipped and skipped[0][1] == album_photos.NOT_YOURS:
        raise Invalid("Only the photo's owner can put it in an album.", field="album_id")
    return _to(f"/albums/{album.id}#grid-{photo.id}")


HANDLERS = [
    album_list,
    create_album,
    album_page,
    edit_album,
    delete_album,
    add_member,
    remove_member,
    remove_photos,
    add_to_album,
]
