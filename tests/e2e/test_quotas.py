"""Quotas in a real browser, on a laptop and a phone: the administrator gives a person 1 MB on
/admin, the person's /settings shows the space used against it as a meter and in words, and a
photo too large for what is left is refused on /upload with how much room there is (and no
larger one is sent after it, while a smaller one is)."""

from __future__ import annotations

from typing import Any

import pytest

from photoarchive.library.usage import size_text
from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in, wait_until
from tests.e2e.test_quality import violations
from tests.test_quotas import noise_jpeg

# Quotas and the space used, counted by either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_admin_sets_a_quota_and_the_person_sees_it(
    server: Server, new_context: Any, axe_source: str, viewport: str
) -> None:
    server.api("alice").close()  # the first account: the administrator
    bob = server.api("bob")
    kept = photo_files("cameras/Canon_40D.jpg")[0]
    assert bob.post("/api/v1/photos", files=[("file", (kept.name, kept.read_bytes()))]).is_success
    bob_id = bob.get("/api/v1/me").json()["user"]["id"]
    bob.close()

    admin = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(admin, server.url, "alice")
    admin.goto(f"{server.url}/admin")
    field = f"#quota-{bob_id}"
    assert admin.input_value(field) == ""
    admin.fill(field, "1")
    admin.click("button[aria-label='Set the quota of bob']")
    admin.wait_for_url(f"{server.url}/admin")
    assert admin.input_value(field) == "1"
    row = admin.locator("tr", has=admin.locator(field))
    assert f"{size_text(kept.stat().st_size)} of 1 MB · 1 photo" in row.inner_text()
    assert violations(admin, axe_source) == []

    person = new_context(VIEWPORTS[viewport]).new_page()
    sign_in(person, server.url, "bob")
    person.goto(f"{server.url}/settings")
    used = f"{size_text(kept.stat().st_size)} of 1 MB used · 1 photo"
    assert person.locator("#usage-text").inner_text() == used
    meter = person.get_by_role("meter", name="Space used")
    assert meter.get_attribute("max") == str(1024 * 1024)
    assert meter.get_attribute("value") == str(kept.stat().st_size)
    assert violations(person, axe_source) == []

    person.goto(f"{server.url}/upload")
    # Which captions could be typed in as each file went: only its own is held.
    person.evaluate(
        """() => {
          const send = XMLHttpRequest.prototype.send;
          window.heldAtSend = [];
          XMLHttpRequest.prototype.send = function (body) {
            const fields = [...document.querySelectorAll('#upload-list textarea'), document.getElementById('caption')];
            window.heldAtSend.push(fields.filter((f) => f.readOnly).length);
            return send.call(this, body);
          };
        }"""
    )
    sent: list[str] = []
    person.on(
        "request",
        lambda r: sent.append(r.url) if r.method == "POST" and "/api/v1/photos" in r.url else None,
    )
    big, bigger, small = noise_jpeg(1500, 1500), noise_jpeg(1600, 1600), noise_jpeg(200, 150)
    person.set_input_files(
        "#file",
        files=[
            {"name": name, "mimeType": "image/jpeg", "buffer": data}
            for name, data in (("big.jpg", big), ("bigger.jpg", bigger), ("small.jpg", small))
        ],
    )
    person.click("#upload-submit")
    wait_until(person, "document.getElementById('upload-form').dataset.finished === 'true'")
    items = person.locator("#upload-list .upload-item")
    assert [items.nth(i).get_attribute("data-outcome") for i in range(3)] == [
        "refused",
        "failed",  # not sent, and Retry may send it (the archive may have it already)
        "sent",
    ]
    left = size_text(1024 * 1024 - kept.stat().st_size)
    assert f"This photo needs {size_text(len(big))} but only {left} of your 1 MB is left." in (
        items.nth(0).inner_text()
    )
    # A larger one after it is not sent whole only to be refused; a smaller one still fits.
    assert "Not sent: there is no room for it, as there was none for big.jpg" in (
        items.nth(1).inner_text()
    )
    assert len(sent) == 2
    assert person.evaluate("window.heldAtSend") == [2, 2]  # its caption and the upload's
    held = (
        "[...document.querySelectorAll('#upload-list textarea, #caption')].filter(f => f.readOnly)"
    )
    assert person.evaluate(f"{held}.length") == 0  # free again once the upload is over
    assert violations(person, axe_source) == []
