"""Feed cards, each rendered once for the data it shows.

A fresh feed page is thirty cards, and rendering them was four fifths of its cost. After a like
or a comment only one card on the page differs, yet the page cache has to start over. Here a
card is kept under a key made of everything the card template is given: every field of the
photo and of each comment shown with it, the viewer, and the CSRF field of the forms in it. The
same key can only ever produce the same markup, so nothing needs to be invalidated; entries go,
least recently used first, when they pass their byte budget (`PHOTOARCHIVE_CARD_CACHE_MB`,
0 renders every card afresh). A first visit without a CSRF cookie gets a token of its own, so
its cards are rendered but not kept.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import fields
from operator import attrgetter
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from photoarchive.library.photos import Comment, Photo
from photoarchive.web.csrf import CSRF_COOKIE

CARD_TEMPLATE = "_photo_card.html"
_photo_values = attrgetter(*(f.name for f in fields(Photo) if f.name != "comments"))
_comment_values = attrgetter(*(f.name for f in fields(Comment)))


def _size(markup: str) -> int:
    # What an entry holds, roughly: the markup, a key that repeats most of its text (captions,
    # comments), and the objects around them; counted high rather than low.
    return 2 * len(markup) + 1024


class CardCache:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._cards: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
        self._bytes = 0

    def card(
        self, env: Environment, photo: Photo, viewer: Any, csrf_input: Any, keep: bool = True
    ) -> Markup:
        if self.budget <= 0 or not keep:
            return self._render(env, photo, viewer, csrf_input)
        key = (
            _photo_values(photo),
            tuple(map(_comment_values, photo.comments)),
            viewer,
            str(csrf_input),
        )
        found = self._cards.get(key)
        if found is not None:
            self._cards.move_to_end(key)
            return found
        markup = self._render(env, photo, viewer, csrf_input)
        self._cards[key] = markup
        self._bytes += _size(markup)
        while self._bytes > self.budget:
            self._bytes -= _size(self._cards.popitem(last=False)[1])
        return markup

    @staticmethod
    def _render(env: Environment, photo: Photo, viewer: Any, csrf_input: Any) -> Markup:
        # Only what the key holds is passed in, so the key describes the markup completely.
        template = env.get_template(CARD_TEMPLATE)
        html = template.render(photo=photo, viewer=viewer, csrf_input=csrf_input)
        return Markup(html)  # noqa: S704 - the output of an autoescaping template


def install(env: Environment, cache: CardCache) -> None:
    """`{{ photo_card(photo) }}` in a template: the card, for the page's viewer and CSRF field."""

    @pass_context
    def photo_card(context: Context, photo: Photo) -> Markup:
        # A browser that came without a CSRF cookie is given a new token with this page, so
        # cards made with it could never be asked for again: they are not kept.
        request = context.get("request")
        keep = request is not None and CSRF_COOKIE in request.cookies
        return cache.card(env, photo, context.get("viewer"), context.get("csrf_input", ""), keep)

    env.globals["photo_card"] = photo_card
