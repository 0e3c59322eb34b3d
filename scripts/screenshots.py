"""Build a demo archive from the shared test photos and photograph the UI: `make screenshots`.

Starts the real `photoarchive serve` on a free 127.0.0.1 port with a temporary data dir, fills it
through the HTTP API as three people would (uploads, captions, likes, comments), then drives
Debian's Chromium with Playwright and writes docs/screenshots/*.png. The map's tiles are drawn
here and handed to the browser: nothing is fetched from the internet.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

REPO = Path(__file__).resolve().parents[1]
PHOTOS = Path(os.environ.get("TESTDATA_DIR", REPO.parent / "shared" / "testdata")) / "photos"
OUT = REPO / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The default map tiles (settings.py): answered in the browser, never fetched.
TILES = "https://tile.openstreetmap.org/"
PASSWORD = "demo password 1"  # noqa: S105 - demo accounts in a throwaway archive

# (uploader, photo, caption), oldest first: the feed shows them newest first.
DEMO = [
    ("bob", "odd-exif/36-memory_error.jpg", "First snow in the garden."),
    ("alice", "cameras/Canon_PowerShot_S40.jpg", "Grandma's frangipani finally flowered."),
    ("bob", "gps/DSCN0012.jpg", "Autumn walk in the park."),
    ("alice", "cameras/Reconyx_HC500_Hyperfire.jpg", "The trail camera caught someone at dawn."),
    ("alice", "heic/IMG_5195.HEIC", "Wild phlox by the trail."),
    ("alice", "gps/DSCN0010.jpg", "Lunch break by the old farmhouse."),
    ("alice", "heic/samplefilehub.heif", "Monument Valley, just before the storm."),
]
COMMENTS = [
    ("bob", -1, "That sky!"),
    ("carol", -1, "We have to go back in spring."),
    ("carol", -2, "Looks like a perfect day."),
    ("bob", -4, "Who is that in the snow?"),
    ("carol", -4, "Our neighbour's dog, I think."),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOARCHIVE_")}
    env.update(
        PHOTOARCHIVE_DATA_DIR=str(data_dir),
        PHOTOARCHIVE_REGISTRATION="open",
        PHOTOARCHIVE_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    log = open(data_dir.parent / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [sys.executable, "-m", "photoarchive", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
        if process.poll() is not None:
            break
    process.kill()
    raise SystemExit("the server did not start; see " + str(data_dir.parent / "server.log"))


def client_for(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    body = {"username": username, "email": f"{username}@example.org", "password": PASSWORD}
    client.post("/api/v1/auth/signup", json=body).raise_for_status()
    token = client.post("/api/v1/auth/login", json={"login": username, "password": PASSWORD})
    token.raise_for_status()
    client.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return client


def seed(base: str) -> dict[str, object]:
    people = {name: client_for(base, name) for name in ("alice", "bob", "carol")}
    ids: list[int] = []
    for owner, relative, caption in DEMO:
        path = PHOTOS / relative
        response = people[owner].post(
            "/api/v1/photos",
            files=[("file", (path.name, path.read_bytes(), "application/octet-stream"))],
            data={"caption": caption},
        )
        response.raise_for_status()
        ids.append(response.json()["items"][0]["id"])
    for index, photo_id in enumerate(ids):
        for liker in ("alice", "bob", "carol")[: 1 + index % 3]:
            people[liker].put(f"/api/v1/photos/{photo_id}/like")
    for author, index, text in COMMENTS:
        people[author].post(f"/api/v1/photos/{ids[index]}/comments", json={"text": text})
    # Photos sent together are one post in the feed: a mosaic, "+N", and a page of their own.
    together = [PHOTOS / "orientation" / f"landscape_{n}.jpg" for n in range(1, 7)]
    sent = people["bob"].post(
        "/api/v1/photos",
        files=[("file", (p.name, p.read_bytes(), "application/octet-stream")) for p in together],
        data={"caption": "Holiday at the lake"},
    )
    sent.raise_for_status()
    batch = [item["id"] for item in sent.json()["items"]]
    # One of alice's photos waits in her trash.
    kept = PHOTOS / "cameras" / "Kodak_CX7530.jpg"
    trashed = people["alice"].post(
        "/api/v1/photos",
        files=[("file", (kept.name, kept.read_bytes(), "application/octet-stream"))],
        data={"caption": "Blurry, again."},
    )
    trashed.raise_for_status()
    people["alice"].delete(f"/api/v1/photos/{trashed.json()['items'][0]['id']}").raise_for_status()
    people["carol"].put(f"/api/v1/photos/{batch[0]}/like")
    people["carol"].post(f"/api/v1/photos/{batch[1]}/comments", json={"text": "Take me there!"})
    for client in people.values():
        client.close()
    return {"ids": ids}


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#login", username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/")


def wait_until(page: Page, expression: str, timeout: float = 30.0) -> None:
    """Poll a JavaScript expression (page.evaluate is exempt from the page's CSP, unlike
    wait_for_function, which the app's `script-src 'self'` rightly blocks)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout}s: {expression}")
        time.sleep(0.05)


def plain_tile() -> bytes:
    """A map tile drawn here (land and a faint grid), for the browser to be given in place of
    the default tile server's: these pictures are taken without the internet."""
    from PIL import Image, ImageDraw

    tile = Image.new("RGB", (256, 256), (236, 232, 222))
    draw = ImageDraw.Draw(tile)
    for at in range(0, 256, 64):
        draw.line([(at, 0), (at, 255)], fill=(222, 217, 205))
        draw.line([(0, at), (255, at)], fill=(222, 217, 205))
    buffer = io.BytesIO()
    tile.save(buffer, "PNG")
    return buffer.getvalue()


def offline(context: BrowserContext) -> None:
    """Map tiles drawn here for `context`, in place of the tile server's. Only the tiles are
    intercepted: the pages allow no other host (their Content-Security-Policy), and passing
    every request of the demo server through this process too slowed the pictures' photos."""
    tile = plain_tile()

    def answer(route: Route) -> None:
        route.fulfill(status=200, content_type="image/png", body=tile)

    context.route(TILES + "**", answer)


def settle(page: Page) -> None:
    """Wait until every image in view has loaded, so no placeholder shows in the picture."""
    page.wait_for_load_state("networkidle")
    wait_until(
        page,
        "Array.from(document.images).filter(i => i.getBoundingClientRect().top < innerHeight)"
        ".every(i => i.complete)",
    )
    page.mouse.move(0, 0)


def shoot(browser: Browser, base: str, ids: list[int], out: Path) -> list[Path]:
    written: list[Path] = []

    def save(page: Page, name: str) -> None:
        path = out / f"{name}.png"
        page.screenshot(path=str(path))
        written.append(path)

    desktop = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
    offline(desktop)
    page = desktop.new_page()
    sign_in(page, base, "alice")
    settle(page)
    save(page, "feed")

    page.goto(f"{base}/photos/{ids[-1]}")
    settle(page)
    save(page, "photo")

    page.goto(f"{base}/u/alice")
    settle(page)
    save(page, "profile")

    page.click(f"#grid-{ids[-3]} a")
    page.wait_for_selector("#modal [data-modal]")
    settle(page)
    save(page, "profile-modal")

    page.goto(f"{base}/notifications")
    settle(page)
    save(page, "notifications")

    page.goto(f"{base}/u/alice")
    settle(page)
    page.click("#grid-items-select")
    for photo_id in ids[-3:-1]:
        page.click(f"#grid-{photo_id} a")
    page.get_by_text("2 selected").wait_for()
    save(page, "select")

    page.goto(f"{base}/search?q=trail")
    settle(page)
    save(page, "search")

    page.goto(f"{base}/timeline")
    settle(page)
    save(page, "timeline")

    page.goto(f"{base}/places")
    settle(page)
    save(page, "places")

    page.goto(f"{base}/map")
    page.locator(".leaflet-marker-icon.map-thumb").first.wait_for()
    wait_until(page, "document.querySelectorAll('.leaflet-tile-loaded').length > 0")
    settle(page)
    save(page, "map")

    page.goto(f"{base}/trash")
    settle(page)
    save(page, "trash")

    desktop.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        color_scheme="light",
    )
    offline(phone)
    page = phone.new_page()
    sign_in(page, base, "bob")
    settle(page)
    save(page, "phone-feed")
    page.locator("#nav-menu summary").click()
    page.mouse.move(0, 0)
    save(page, "phone-menu")
    phone.close()

    dark = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
    offline(dark)
    page = dark.new_page()
    sign_in(page, base, "carol")
    settle(page)
    save(page, "dark-feed")
    page.goto(f"{base}/photos/{ids[-2]}")
    settle(page)
    save(page, "dark-photo")
    dark.close()

    desktop = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
    offline(desktop)
    page = desktop.new_page()
    sign_in(page, base, "alice")
    page.goto(f"{base}/upload")
    cdp = desktop.new_cdp_session(page)
    cdp.send("Network.enable")
    # Slow the upload down (about 400 KB/s) so the picture catches it half-way.
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": 50_000_000,
            "uploadThroughput": 400_000,
        },
    )
    files = [
        PHOTOS / "odd-exif" / "corrupted.jpg",
        PHOTOS / "orientation" / "landscape_2.jpg",
        PHOTOS / "odd-exif" / "image00971.jpg",
        REPO / "README.md",
    ]
    page.set_input_files("#file", [str(p) for p in files])
    page.fill("#caption", "Weekend walk")
    page.click("#upload-submit")
    wait_until(page, "document.getElementById('upload-progress-bar').value >= 40")
    page.mouse.move(0, 0)
    save(page, "upload")
    page.wait_for_selector("#upload-form[data-finished]")
    desktop.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: run scripts/ensure-browser.sh first")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="photoarchive-demo-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        port = free_port()
        server = start_server(data_dir, port)
        base = f"http://127.0.0.1:{port}"
        try:
            ids = seed(base)["ids"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                try:
                    written = shoot(browser, base, ids, args.out)  # type: ignore[arg-type]
                finally:
                    browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    for path in written:
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
