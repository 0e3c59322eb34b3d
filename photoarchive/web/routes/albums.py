"""Albums as pages: the list of mine and those shared with me, one album (its grid in the
album's order, its members, and the owner's controls), and "Add to album" from a photo's page.
Plain forms that work without scripts; each answers with a redirect to the page it changed.
The zip of an album is the API's (GET /api/v1/albums/{id}/download): a link, signed in by
the session cookie like any page."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import Parameter
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Template

from photoarchive.accounts.users import User
from photoarchive.errors import AppError, Forbidden, Invalid, NotFound
from photoarchive.library import album_members, album_photos, albums, photos, shares
from photoarchive.web import selection
from photoarchive.web.confirming import Question, asked
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
    """A new album; made from a photo's page (`photo_id`), it holds that photo, and the
    person lands on it in the new album."""
    user = await require_user(request)
    svc = services(request)
    form = await form_fields(request)
    title, description = form.get("title", ""), form.get("description", "")
    if "photo_id" not in form:
        album = await albums.create(svc, user, title, description)
        return _to(f"/albums/{album.id}?saved=album")
    photo_id = row_id_field("photo_id", form.get("photo_id"), CHOOSE)
    album = await albums.create(svc, user, title, description, photo_id=photo_id)
    # At the top, where the new album's title and the notice are (its one photo is below).
    return _to(f"/albums/{album.id}?saved=album")


# How many photos "Remove from album" took out, and how many it left in (not theirs to take).
Counted = Parameter(default=None, ge=0, le=album_photos.IDS_MAX)
# What the album's page says when a form brought the person to it (`?saved=`), where they
# land: a new album's at the top, a link's in the share links' section, above the links.
# Other values say nothing.
SAVED_NOTICES = {
    "album": "The album is made.",
    "added": "The photo is in the album now.",
    "already": "The photo was in this album already.",
}
SHARE_NOTICES = {"share": shares.MADE_NOTICE, "share-revoked": shares.TURNED_OFF_NOTICE}


@get("/albums/{album_id:int}", name="album")
async def album_page(
    request: Req,
    album_id: RowId,
    cursor: str | None = None,
    removed: int | None = Counted,
    kept: int | None = Counted,
    saved: str | None = None,
) -> Template:
    user = await require_user(request)
    notice = _removed_notice(removed, kept) or SAVED_NOTICES.get(saved or "")
    return await _album_view(
        request,
        user,
        album_id,
        cursor=cursor,
        notice=notice,
        share_notice=SHARE_NOTICES.get(saved or ""),
    )


async def _album_view(
    request: Req,
    user: User,
    album_id: int,
    *,
    cursor: str | None = None,
    notice: str | None = None,
    share_notice: str | None = None,
    status: int = 200,
    members_error: AppError | None = None,
    member_values: dict[str, str] | None = None,
) -> Template:
    """The album's page; with `members_error`, its members form again, saying what was wrong
    beside the field, with what was typed (alone, for htmx)."""
    svc = services(request)
    album = await albums.find(svc.db, album_id, user)
    members: dict[str, Any] = {
        "album": album,
        "roles": albums.MEMBER_ROLES,
        "members_error": members_error,
        "member_values": member_values or {},
    }
    if is_htmx(request) and (members_error is not None or request.method == "POST"):
        return render(request, "_album_members.html", user=user, status=status, **members)
    items, next_cursor = await album_photos.page(svc, album, user, cursor=cursor)
    context: dict[str, Any] = {
        "notice": notice,
        "share_notice": share_notice,
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
    context.update(members)
    return render(
        request, "album.html", user=user, status=status, sorts=albums.SORT_LABELS, **context
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
    """The owner's settings form (title, description, order and cover in one), or the cover
    picker's (the cover alone): what the form leaves out stays as it is."""
    user = await require_user(request)
    form = await form_fields(request)
    changes: dict[str, Any] = {
        name: form[name] for name in ("title", "description", "sort") if name in form
    }
    if "cover_photo_id" in form:
        cover = form["cover_photo_id"] or None
        changes["cover_photo_id"] = (
            None if cover is None else row_id_field("cover_photo_id", cover, CHOOSE)
        )
    await albums.update(services(request), user, album_id, **changes)
    return _to(f"/albums/{album_id}")


@get("/albums/{album_id:int}/cover", name="album-cover")
async def cover_picker(request: Req, album_id: RowId, cursor: str | None = None) -> Template:
    """Every photo of the album to choose its cover from, a page at a time."""
    user = await require_user(request)
    svc = services(request)
    album = await albums.find(svc.db, album_id, user)
    albums.owned(album, "choose its cover")
    items, next_cursor = await album_photos.page(svc, album, user, cursor=cursor)
    return render(
        request,
        "_cover_choices.html" if is_htmx(request) and cursor else "album_cover.html",
        user=user,
        album=album,
        photos=items,
        next_cursor=next_cursor,
        cursor=cursor,
    )


@post("/albums/{album_id:int}/delete")
async def delete_album(request: Req, album_id: RowId) -> Response[Any]:
    user = await require_user(request)
    question = Question(
        "Delete this album?",
        "It goes for everyone it is shared with, and its links stop working."
        " Its photos stay in the archive.",
        "Delete album",
        f"/albums/{album_id}",
    )
    await albums.may_delete(services(request).db, album_id, user)  # before asking
    if ask := await asked(request, user, question):
        return ask
    await albums.delete(services(request), user, album_id)
    return _to("/albums")


@post("/albums/{album_id:int}/members", status_code=200)
async def add_member(request: Req, album_id: RowId) -> Response[Any]:
    """Add someone to the album, or change a member's role (each member's own control);
    "owner" hands the album to them. A name that cannot be used answers the members form
    again, saying why beside the field (the whole page without htmx)."""
    user = await require_user(request)
    svc = services(request)
    form = await form_fields(request)
    album = await albums.find(svc.db, album_id, user)
    albums.owned(album, "choose its members")
    username = str(form.get("username", "")).strip()
    role = form.get("role", "")
    if role == "owner" and username:
        question = Question(
            f"Hand this album to {username}?",
            "They become its owner: they choose its members and may delete it"
            + ("." if album.looked_after else ", and you become a contributor."),
            f"Make {username} owner",
            f"/albums/{album_id}#members",
        )
        if ask := await asked(request, user, question):
            return ask
    try:
        if not username:
            raise Invalid("Whom should the album be shared with?", field="username")
        if role == "owner":
            await album_members.hand_over(svc, user, album_id, username)
        else:
            await album_members.set_member(svc, user, album_id, username, role)
    except (Invalid, NotFound, Forbidden) as exc:
        return await _album_view(
            request,
            user,
            album_id,
            status=exc.status if isinstance(exc, Forbidden) else 422,
            members_error=exc,
            member_values={"username": username[:200], "role": role[:20]},
        )
    if role == "owner":  # much of the page changes (and may no longer be theirs): load it
        try:
            await albums.find(svc.db, album_id, user)
        except NotFound:  # an administrator who looked after it
            return ClientRedirect("/albums") if is_htmx(request) else _to("/albums")
        where = f"/albums/{album_id}#members"
        return ClientRedirect(where) if is_htmx(request) else _to(where)
    if is_htmx(request):
        return await _album_view(request, user, album_id)
    return _to(f"/albums/{album_id}#members")


@post("/albums/{album_id:int}/members/{username:str}/remove")
async def remove_member(request: Req, album_id: RowId, username: str) -> Response[Any]:
    """The owner removes a member, or a member leaves (and goes back to their albums)."""
    user = await require_user(request)
    leaving = username.lower() == user.username.lower()
    question = Question(
        "Leave this album?" if leaving else f"Remove {username} from this album?",
        (
            "Your photos leave it with you, and only you can put them back."
            if leaving
            else "Their photos leave it with them, and only they can put them back."
        ),
        "Leave album" if leaving else f"Remove {username}",
        f"/albums/{album_id}#members",
    )
    await album_members.may_remove(services(request), user, album_id, username)
    if ask := await asked(request, user, question):
        return ask
    await album_members.remove_member(services(request), user, album_id, username)
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
    if skipped and skipped[0][1] == album_photos.NOT_FOUND:  # trashed or deleted meanwhile
        raise NotFound(photos.PHOTO_GONE)
    # At the top, where the notice says which it was (as a new album's does).
    already = bool(skipped) and skipped[0][1] == album_photos.ALREADY_IN
    return _to(f"/albums/{album.id}?saved={'already' if already else 'added'}")


HANDLERS = [
    album_list,
    create_album,
    album_page,
    edit_album,
    cover_picker,
    delete_album,
    add_member,
    remove_member,
    remove_photos,
    add_to_album,
]
