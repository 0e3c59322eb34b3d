"""The selection's download in a real browser, on a laptop and a phone: a plain form posting
`photo_ids` (one field per photo) and the page's form token to /downloads saves the zip as
`photoarchive-YYYY-MM-DD.zip` and leaves the page where it was; a form with nothing chosen
shows the error page, which passes axe. The form is the contract of routes/downloads.py, built
here as the selection bar builds it."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, Server, photo_files, sign_in
from tests.e2e.test_quality import violations

# The selection's zip, its photos read through either backend: both engines.
pytestmark = pytest.mark.usefixtures("engine")

SUBMIT = """([ids]) => {
  const form = document.createElement('form');
  form.method = 'post';
  form.action = '/downloads';
  const field = (name, value) => {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.appendChild(input);
  };
  field('_csrf_token', document.querySelector('input[name=_csrf_token]').value);
  ids.forEach((id) => field('photo_ids', String(id)));
  document.body.appendChild(form);
  form.submit();
}"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_the_chosen_photos_download_as_one_zip(
    server: Server, new_context: Any, axe_source: str, viewport: str, tmp_path: Path
) -> None:
    api = server.api("alice")
    paths = photo_files("cameras/Canon_40D.jpg", "gps/DSCN0010.jpg")
    ids = []
    for path in paths:
        answer = api.post("/api/v1/photos", files=[("file", (path.name, path.read_bytes()))])
        ids.append(answer.json()["items"][0]["id"])
    api.close()
    page = new_context(VIEWPORTS[viewport], accept_downloads=True).new_page()
    sign_in(page, server.url, "alice")
    page.goto(server.url)
    feed = page.url

    with page.expect_download() as started:
        page.evaluate(SUBMIT, [ids])
    download = started.value
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert download.suggested_filename == f"photoarchive-{day}.zip"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as zipped:
        assert zipped.namelist() == [path.name for path in paths]
        for path in paths:  # alice's own: byte for byte
            assert zipped.read(path.name) == path.read_bytes()
    assert page.url == feed  # an attachment: the page stays

    page.evaluate(SUBMIT, [[]])
    page.wait_for_url(f"{server.url}/downloads")
    assert "Choose at least one photo" in page.inner_text("main")
    assert violations(page, axe_source) == []
