"""Quotas in a real browser, on a laptop and a phone: the administrator gives a person 1 MB on
/admin, the person's /settings shows the space used against it as a meter and in words, and a
photo too large for what is left is refused on /upload with how much room there is."""

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
    big = noise_jpeg(1500, 1500)
    person.set_input_files(
        "#file", files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": big}]
    )
    person.click("#upload-submit")
    refused = "document.querySelector('#upload-list .upload-item[data-outcome=refused]')"
    wait_until(person, f"{refused} !== null")
    text = person.locator("#upload-list .upload-item").inner_text()
    left = size_text(1024 * 1024 - kept.stat().st_size)
    assert f"This photo needs {size_text(len(big))} but only {left} of your 1 MB is left." in text
    assert violations(person, axe_source) == []
