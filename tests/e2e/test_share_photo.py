"""A link to one photo, made from its page in a real browser, on a laptop and a phone: its owner
opens "Share a link" under the photo, makes the link, finds it on Settings, and someone with no
account opens it and sees that photo alone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, sign_in
from tests.e2e.test_quality import violations
from tests.support import PHOTOS

# Share links, read and written through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

FILES = (PHOTOS / "cameras" / "Canon_40D.jpg", PHOTOS / "cameras" / "Nikon_D70.jpg")
# The page told it is (or is not) a secure context, the clipboard emptied, and the copies made
# with document.execCommand counted (window.copiedByHand).
COPY_BY_WAY = """secure => {
  Object.defineProperty(window, 'isSecureContext', {value: secure, configurable: true});
  window.copiedByHand = 0;
  if (!window.countingCopies) {
    const copy = document.execCommand.bind(document);
    document.execCommand = (command, ...rest) => {
      if (command === 'copy') window.copiedByHand += 1;
      return copy(command, ...rest);
    };
    window.countingCopies = true;
  }
  return navigator.clipboard.writeText('');
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_a_photo_is_shared_from_its_page(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    api = server.api("alice")
    ids = []
    for path in FILES:
        kept = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
        ids.append(kept.json()["items"][0]["id"])
    api.close()
    size = VIEWPORTS[viewport]
    alice = new_context(size, permissions=["clipboard-read", "clipboard-write"]).new_page()
    sign_in(alice, server.url, "alice")
    alice.goto(f"{server.url}/photos/{ids[0]}")

    form = alice.locator(f"#share-photos-{ids[0]}")
    form.get_by_text("Share a link").click()
    form.get_by_label("Allow downloading the originals").check()
    assert violations(alice, axe_source) == []
    form.get_by_role("button", name="Make the link").click()
    alice.wait_for_url(f"{server.url}/settings?saved=share#shared-links")
    (field,) = alice.locator("#shared-links input.share-url").all()
    link = field.input_value()
    assert link.startswith(f"{server.url}/s/")
    # "Copy link" puts it on the clipboard and says so; so it does where the browser offers
    # no clipboard to scripts (plain http to a LAN address), copying the field's text.
    status = alice.locator("#shared-links .copy-status")
    for secure in (True, False):
        alice.evaluate(COPY_BY_WAY, secure)
        alice.get_by_role("button", name="Copy link").click()
        status.filter(has_text="Copied.").wait_for()
        assert alice.evaluate("navigator.clipboard.readText()") == link, secure
        # Which way it went: the clipboard's, or the field's text copied by the page.
        assert alice.evaluate("window.copiedByHand") == (0 if secure else 1), secure
        alice.evaluate("document.querySelector('#shared-links .copy-status').textContent = ''")
    assert violations(alice, axe_source) == []

    holder = new_context(size).new_page()
    assert holder.goto(link).status == 200
    shown = holder.locator("#share-grid .grid-item").evaluate_all(
        "items => items.map(i => Number(i.id.replace('grid-', '')))"
    )
    assert shown == [ids[0]]
    assert violations(holder, axe_source) == []
