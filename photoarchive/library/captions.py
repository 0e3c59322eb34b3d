"""A photo's caption: the words its owner gives it, checked against one limit (photos.CAPTION_MAX)."""

from __future__ import annotations

from typing import Any

from photoarchive.accounts.users import User
from photoarchive.errors import Forbidden, Invalid
from photoarchive.library import photos, writing
from photoarchive.library.photos import Photo
from photoarchive.services import Services


def check_caption(caption: Any, field: str = "caption") -> str:
    if caption is None:
        return ""
    if not isinstance(caption, str):
        raise Invalid("The caption must be text.", field=field)
    caption = writing.cleaned(caption)
    if writing.is_blank(caption):
        return ""
    if len(caption) > photos.CAPTION_MAX:
        raise Invalid(f"Captions can be at most {photos.CAPTION_MAX:,} characters.", field=field)
    return caption


async def set_caption(svc: Services, actor: User, photo_id: int, caption: Any) -> Photo:
    photo = await photos.get(svc, photo_id, actor)
    if not photo.can_edit:
        raise Forbidden("Only the photo's owner can change its caption.")
    words = check_caption(caption)
    if words != photo.caption:
        await svc.db.execute("UPDATE photos SET caption = ? WHERE id = ?", (words, photo_id))
        # Open pages showing it fetch the new words with their own rights (web/events.py).
        await svc.publish("photo-changed", {"photo_id": photo_id})
    return await photos.get(svc, photo_id, actor)
