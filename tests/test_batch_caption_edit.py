"""The caption of a whole upload can be changed afterwards, by the person who added it, on the
batch's page (a plain form, or htmx swapping the caption alone): the feed's post and the page
show the new one, escaped; an empty one takes it away; the photos keep their own captions.
Anyone else is refused (403 where they see the batch, 404 where they do not), too long a
caption says why, and a refusal changes nothing. Over HTTP, on both engines; the rule itself
(`batches.set_caption`) directly as well."""

from __future__ import annotations

import asyncio
import re
from html import unescape

import httpx
import pytest

from photoarchive.accounts import users
from photoarchive.errors import Forbidden, Invalid, NotFound
from photoarchive.library import batches
from photoarchive.library.photos import CAPTION_MAX
from tests.support import (
    LiveServer,
    api_login,
    form_post,
    parse,
    services,
    sign_up,
)
from tests.test_batch_captions import CAMERAS, send

pytestmark = pytest.mark.usefixtures("engine")  # on SQLite and on PostgreSQL

NEW = "Grandma's 91st <b>cake</b> & <script>alert(1)</script>"


def batch_of(server: LiveServer, photo_id: int) -> int:
    with server.db() as conn:
        row = conn.execute(
            "SELECT batch_id FROM batch_photos WHERE photo_id = ?", (photo_id,)
        ).fetchone()
    return int(row[0])


def stored(server: LiveServer, batch_id: int) -> str | None:
    with server.db() as conn:
        row = conn.execute(
            "SELECT caption FROM batch_captions WHERE batch_id = ?", (batch_id,)
        ).fetchone()
    return None if row is None else str(row[0])


# A batch's caption on its page (p.batch-caption) and on its post in the feed.
CAPTIONS = re.compile(
    r'class="(?:caption batch-caption|card-body batch-caption)">(?:<p class="caption">)?(.*?)</p>',
    re.S,
)


def captions(html: str) -> list[str]:
    return [unescape(found) for found in CAPTIONS.findall(html)]


def shown(client: httpx.Client, url: str) -> list[str]:
    """The batch captions a page shows, as text (never as markup)."""
    page = client.get(url)
    assert page.status_code == 200, page.text
    assert "<b>cake</b>" not in page.text and "<script>alert" not in page.text
    return captions(page.text)


def edit_forms(html: str, url: str) -> list[dict[str, str | None]]:
    return parse(html).find_all("form", action=f"{url}/caption")


def test_its_owner_changes_the_caption_of_an_upload(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    ids = send(api_login(server, "alice"), 5, "Beach day")
    batch_id = batch_of(server, ids[0])
    url = f"/batches/{batch_id}"

    mine = alice.get(url).text
    assert len(edit_forms(mine, url)) == 1
    assert parse(mine).find_all("textarea", name="caption")
    assert edit_forms(bob.get(url).text, url) == []

    # The plain form: back to the page, which shows the new caption, as does the feed.
    done = form_post(alice, f"{url}/caption", {"caption": f"  {NEW}\r\n"})
    assert done.status_code == 303 and done.headers["location"] == url
    assert stored(server, batch_id) == NEW
    assert shown(bob, url) == [NEW]
    assert shown(bob, "/") == [NEW]
    # Each photo keeps the caption it was given.
    for photo_id in ids:
        photo = api_login(server, "bob").get(f"/api/v1/photos/{photo_id}").json()
        assert photo["caption"] == "Beach day"

    # htmx: the caption's block alone comes back, with the form to change it again.
    swapped = form_post(alice, f"{url}/caption", {"caption": "Sea"}, headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert parse(swapped.text).find_all("div", id=f"caption-of-batch-{batch_id}")
    assert captions(swapped.text) == ["Sea"] and len(edit_forms(swapped.text, url)) == 1
    assert "<html" not in swapped.text

    # Empty takes it away: no caption on the post or the page.
    cleared = form_post(alice, f"{url}/caption", {"caption": "   "})
    assert cleared.status_code == 303
    assert stored(server, batch_id) is None
    assert shown(bob, url) == [] and shown(bob, "/") == []
    # ... and one can be added again.
    assert form_post(alice, f"{url}/caption", {"caption": "Back"}).status_code == 303
    assert stored(server, batch_id) == "Back"


def test_refusals_say_why_and_change_nothing(server: LiveServer) -> None:
    alice = sign_up(server, "alice")
    bob = sign_up(server, "bob")
    ids = send(api_login(server, "alice"), 3, "Kept")
    batch_id = batch_of(server, ids[0])
    url = f"/batches/{batch_id}/caption"

    too_long = form_post(alice, url, {"caption": "x" * (CAPTION_MAX + 1)})
    assert too_long.status_code == 422
    assert f"{CAPTION_MAX:,} characters" in too_long.text

    # Bob sees the batch, but it is not his.
    other = form_post(bob, url, {"caption": "Mine now"})
    assert other.status_code == 403
    assert "added these photos" in other.text

    # Nobody sees a batch whose photos are all private but their owner: 404, as its page.
    hidden = send(api_login(server, "alice"), 2, "Private", skip=3)
    for photo_id in hidden:
        made = api_login(server, "alice").patch(
            f"/api/v1/photos/{photo_id}", json={"visibility": "private"}
        )
        assert made.status_code == 200, made.text
    hidden_batch = batch_of(server, hidden[0])
    assert bob.get(f"/batches/{hidden_batch}").status_code == 404
    assert form_post(bob, f"/batches/{hidden_batch}/caption", {"caption": "x"}).status_code == 404

    # A guest is sent to sign in; a form without its token is refused.
    guest = server.client()
    assert form_post(guest, url, {"caption": "x"}).status_code in (303, 401)
    assert alice.post(url, data={"caption": "No token"}).status_code == 403

    assert stored(server, batch_id) == "Kept"
    assert stored(server, hidden_batch) == "Private"


def test_the_rule_itself(server: LiveServer) -> None:
    """`batches.set_caption` below the web: only the batch's owner, only a batch they see."""
    sign_up(server, "alice")
    sign_up(server, "bob")
    ids = send(api_login(server, "alice"), 2, "", skip=len(CAMERAS) - 2)
    batch_id = batch_of(server, ids[0])

    async def run() -> None:
        async with services(server.settings) as svc:
            owner = await users.by_username(svc.db, "alice")
            bob = await users.by_username(svc.db, "bob")
            done = await batches.set_caption(svc, owner, batch_id, "Given later")
            assert done.caption == "Given later" and done.mine
            with pytest.raises(Forbidden):
                await batches.set_caption(svc, bob, batch_id, "No")
            with pytest.raises(NotFound):
                await batches.set_caption(svc, owner, batch_id + 1000, "No")
            with pytest.raises(Invalid):
                await batches.set_caption(svc, owner, batch_id, 42)
            assert (await batches.get(svc, batch_id, bob)).caption == "Given later"

    asyncio.run(run())
