"""Feed cards kept once rendered: the same page as rendering afresh, and each viewer's own."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import httpx
import pytest
from jinja2 import DictLoader, Environment

from photoarchive.library.photos import Photo
from photoarchive.web.cards import CARD_TEMPLATE, CardCache
from tests.support import (
    PASSWORD,
    PHOTOS,
    form_post,
    live_server,
    make_settings,
    parse,
    sign_up,
    upload,
)

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

PHOTO = PHOTOS / "cameras" / "Canon_40D.jpg"
OTHERS = ("Canon_40D.jpg", "Fujifilm_FinePix_E500.jpg", "Nikon_D70.jpg")


def _card(html: str, photo_id: int) -> str:
    """The markup of one card, by its id."""
    start = html.index(f'<article class="card" id="photo-{photo_id}"')
    return html[start : html.index("</article>", start)]


def _tokens(card: str) -> set[str]:
    return {e["value"] for e in parse(card).find_all("input") if e.get("name") == "_csrf_token"}


def _deletable(card: str) -> set[str]:
    return {
        e["aria-label"] for e in parse(card).find_all("button") if e.get("class") == "link danger"
    }


def test_each_viewer_gets_their_own_card(tmp_path: Path) -> None:
    # No page cache, so every load is built from the cards.
    with live_server(make_settings(tmp_path / "data")) as server:
        alice, bob, carol = (sign_up(server, name) for name in ("alice", "bob", "carol"))
        photo_id = upload(alice, PHOTO, caption="at the lake").json()["items"][0]["id"]
        assert (
            form_post(bob, f"/photos/{photo_id}/comments", {"text": "from bob"}).status_code == 303
        )
        assert (
            form_post(carol, f"/photos/{photo_id}/comments", {"text": "from carol"}).status_code
            == 303
        )
        assert form_post(alice, f"/photos/{photo_id}/like", {"liked": "1"}).status_code == 303
        for _ in range(3):  # the first load renders the cards, the next ones reuse them
            mine, bobs = _card(alice.get("/").text, photo_id), _card(bob.get("/").text, photo_id)
            assert 'aria-pressed="true"' in mine and 'aria-pressed="false"' in bobs
            assert _tokens(mine) == {alice.cookies["csrftoken"]}
            assert _tokens(bobs) == {bob.cookies["csrftoken"]}
            # The photo's owner may delete every comment on it; bob only his own.
            assert _deletable(mine) == {"Delete comment by bob", "Delete comment by carol"}
            assert _deletable(bobs) == {"Delete comment by bob"}
            assert "1 like" in mine and "2 comments" in mine
        assert form_post(bob, f"/photos/{photo_id}/like", {"liked": "1"}).status_code == 303
        assert (
            form_post(alice, f"/photos/{photo_id}/caption", {"caption": "at the sea"}).status_code
            == 303
        )
        mine = _card(alice.get("/").text, photo_id)
        assert "2 likes" in mine and "at the sea" in mine and "at the lake" not in mine
        comment_id = parse(mine).find_all("li", class_="comment")[0]["id"].split("-")[1]
        assert form_post(bob, f"/comments/{comment_id}/delete").status_code == 303
        mine = _card(alice.get("/").text, photo_id)
        assert "from bob" not in mine and "from carol" in mine and "1 comment<" in mine
        # One comment gone and another come: the same counts, a different card.
        assert (
            form_post(bob, f"/photos/{photo_id}/comments", {"text": "bob again"}).status_code == 303
        )
        assert "bob again" in _card(alice.get("/").text, photo_id)
        comment_id = parse(mine).find_all("li", class_="comment")[0]["id"].split("-")[1]
        assert form_post(carol, f"/comments/{comment_id}/delete").status_code == 303
        assert (
            form_post(carol, f"/photos/{photo_id}/comments", {"text": "carol again"}).status_code
            == 303
        )
        mine = _card(alice.get("/").text, photo_id)
        assert "from carol" not in mine and "carol again" in mine and "2 comments" in mine


def test_cards_follow_the_person_and_the_browser(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", public_view=True)
    with live_server(settings) as server:
        alice = sign_up(server, "alice")
        sign_up(server, "bob")
        photo_id = upload(alice, PHOTO).json()["items"][0]["id"]
        # alice on a second device: the same person, a token of its own in every form
        laptop = server.client()
        assert (
            form_post(laptop, "/login", {"login": "alice", "password": PASSWORD}).status_code == 303
        )
        for _ in range(2):
            assert _tokens(_card(alice.get("/").text, photo_id)) == {alice.cookies["csrftoken"]}
            assert _tokens(_card(laptop.get("/").text, photo_id)) == {laptop.cookies["csrftoken"]}
        # a guest, then bob in the same browser: he may like and comment, the guest could not
        browser = server.client()
        for _ in range(2):
            card = _card(browser.get("/").text, photo_id)
            assert "aria-pressed" not in card and 'name="text"' not in card
        token = browser.cookies["csrftoken"]
        signed_in = form_post(browser, "/login", {"login": "bob", "password": PASSWORD})
        # signing in renews the token: the guest's is worth nothing next to bob's session
        assert signed_in.status_code == 303 and browser.cookies["csrftoken"] != token
        card = _card(browser.get("/").text, photo_id)
        assert 'name="text"' in card and 'aria-pressed="false"' in card
        assert _tokens(card) == {browser.cookies["csrftoken"]}


def test_a_kept_card_is_the_card_rendered_afresh(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pages = []
    for card_cache_mb in (0, 8):
        with live_server(make_settings(data, card_cache_mb=card_cache_mb)) as s:
            if card_cache_mb == 0:
                alice, bob = sign_up(s, "alice"), sign_up(s, "bob")
                for name, caption in zip(OTHERS, ("one <b>", "two & three", ""), strict=True):
                    upload(alice, PHOTOS / "cameras" / name, caption=caption)
                form_post(bob, "/photos/1/comments", {"text": "<script>x</script>"})
                cookies = alice.cookies
            browser = httpx.Client(base_url=s.url, cookies=cookies)
            pages += [browser.get("/").text, browser.get("/").text]
            browser.close()
    assert pages[0].count('<article class="card"') == 3
    assert "&lt;script&gt;x&lt;/script&gt;" in pages[0] and "<script>x" not in pages[0]
    assert all(page == pages[0] for page in pages)


def test_a_card_is_rendered_once_per_key() -> None:
    renders = []
    template = {CARD_TEMPLATE: "{{ seen(photo.id) }}{{ photo.caption }}"}
    env = Environment(loader=DictLoader(template), autoescape=True)
    env.globals["seen"] = lambda photo_id: renders.append(photo_id) or ""
    values = {f.name: 0 for f in fields(Photo) if f.name != "comments"}
    photo = Photo(**{**values, "id": 7, "caption": "lake", "owner": "alice", "sha256": "ab"})
    cache = CardCache(budget=1024 * 1024)
    for _ in range(3):
        assert cache.card(env, photo, None, "token-a") == "lake"
    assert renders == [7]
    photo.like_count = 1  # any field, another key
    assert cache.card(env, photo, None, "token-a") == "lake"
    assert cache.card(env, photo, None, "token-b") == "lake"  # another browser
    assert renders == [7, 7, 7]
    assert cache.card(env, photo, None, "token-b", keep=False) == "lake"
    off = CardCache(budget=0)
    off.card(env, photo, None, "token-a")
    off.card(env, photo, None, "token-a")
    assert renders == [7] * 6
