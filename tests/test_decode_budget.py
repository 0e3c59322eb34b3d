"""Small files that cost much to decode: refused from their structure, bounded in memory, and
the decode slots shared fairly between people."""

from __future__ import annotations

import asyncio
import io
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import GifImagePlugin, Image

from photoarchive.media import decode_budget, images, redaction
from photoarchive.services import DecodeSlots
from tests.support import PHOTOS, LiveServer, live_server, make_settings, sign_up, upload_bytes

LIMIT = 100_000_000


# --- progressive JPEG of many scans --------------------------------------------------------


def jpeg_of_scans(extra: int, edge: int = 64) -> bytes:
    """A real progressive JPEG from Pillow, with its last AC scan repeated `extra` times."""
    buffer = io.BytesIO()
    Image.effect_noise((edge, edge), 40).save(buffer, "JPEG", progressive=True)
    data = buffer.getvalue()
    end = data.rindex(b"\xff\xd9")
    last = data.rindex(b"\xff\xda")
    return data[:end] + data[last:end] * extra + data[end:]


def test_a_jpeg_of_too_many_scans_is_refused_before_decoding(
    tmp_path: Path, decodes: list[str]
) -> None:
    path = tmp_path / "scans.jpg"
    path.write_bytes(jpeg_of_scans(2000))
    with pytest.raises(images.TooMuchWork, match="more than 100 scans"):
        images.ingest(path, LIMIT)
    assert decodes == []


def test_scans_are_counted_as_libjpeg_sees_them(tmp_path: Path) -> None:
    plain = jpeg_of_scans(0)
    scans = decode_budget.jpeg_scans(plain, 1000)
    assert 6 <= scans <= 12  # Pillow writes libjpeg's standard progression
    limit = images.MAX_JPEG_SCANS
    at_limit = tmp_path / "at.jpg"
    at_limit.write_bytes(jpeg_of_scans(limit - scans))
    assert decode_budget.jpeg_scans(at_limit.read_bytes(), 1000) == limit
    assert images.ingest(at_limit, LIMIT).format == "JPEG"
    over = tmp_path / "over.jpg"
    over.write_bytes(jpeg_of_scans(limit - scans + 1))
    with pytest.raises(images.TooMuchWork):
        images.ingest(over, LIMIT)
    # 0xFF in the entropy-coded data (stuffed or restart markers) starts no segment.
    buffer = io.BytesIO()
    Image.effect_noise((256, 256), 90).save(buffer, "JPEG", restart_marker_blocks=1)
    assert b"\xff\x00" in buffer.getvalue() and b"\xff\xd0" in buffer.getvalue()
    assert decode_budget.jpeg_scans(buffer.getvalue(), 1000) == 1


def test_scans_after_bytes_that_start_no_marker_are_counted_as_libjpeg_decodes_them(
    tmp_path: Path, decodes: list[str]
) -> None:
    """libjpeg passes over stray bytes between segments (a warning, not an error) and decodes
    every scan after them: one such byte must not end the count."""
    data = jpeg_of_scans(2000)
    app0_end = 4 + (data[4] << 8 | data[5])
    for stray in (b"\x00", b"junk", b"\xff\x00"):
        path = tmp_path / "stray.jpg"
        path.write_bytes(data[:app0_end] + stray + data[app0_end:])
        with pytest.raises(images.TooMuchWork, match="more than 100 scans"):
            images.ingest(path, LIMIT)
    assert decodes == []
    fine = jpeg_of_scans(0)
    fine = fine[:app0_end] + b"\x00" + fine[app0_end:]
    assert decode_budget.jpeg_scans(fine, 1000) == decode_budget.jpeg_scans(jpeg_of_scans(0), 1000)
    with Image.open(io.BytesIO(fine)) as image:
        image.load()  # libjpeg decodes it, warning of the extraneous byte


def test_a_jpeg_of_countless_tiny_segments_is_refused(tmp_path: Path) -> None:
    data = jpeg_of_scans(0)
    path = tmp_path / "comments.jpg"
    path.write_bytes(data[:2] + b"\xff\xfe\x00\x02" * 1_000_000 + data[2:])
    with pytest.raises(images.TooMuchWork, match="marker segments"):
        images.ingest(path, LIMIT)


# --- embedded pictures and metadata blocks: each a way through the rest of the file ---------

# A unit whose FF D8 FF looks like an embedded JPEG, its marker segments (FF E1, 14 bytes)
# leading 16 bytes at a time through every unit after it: walked from each of them, a file of
# these costs the square of its length (hours for a few megabytes).
CHAINED_PICTURE = b"\xff\xe1\x00\x0e\x00\x00\xff\xd8\xff\xe1\x00\x0e\x00\x00\x00\x00"
CHAINED_SEGMENT = bytes(8) + b"\xff\xe1\x00\x0e" + bytes(4)  # in step with the units before
TIFF_HEADER = b"II*\x00\x08\x00\x00\x00\x00\x00"
PHOTOSHOP = b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00\x00\x00\x00\x00"


def trailed(tail: bytes) -> bytes:
    """A real JPEG with `tail` after its end: Pillow stops at the end, the metadata scans of
    redaction.py read the whole file."""
    return jpeg_of_scans(0) + tail


MANY_PARTS = {
    "pictures": trailed(CHAINED_PICTURE * 2000),
    "segments": trailed(CHAINED_PICTURE * 20 + CHAINED_SEGMENT * 30_000),
    "tiff": trailed(TIFF_HEADER * 100),
}


@pytest.mark.parametrize("kind", list(MANY_PARTS))
def test_a_file_of_countless_embedded_parts_is_refused_before_they_are_walked(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / f"{kind}.jpg"
    path.write_bytes(MANY_PARTS[kind])
    with pytest.raises(images.TooMuchWork, match="too many embedded pictures or metadata"):
        images.ingest(path, LIMIT)
    # An original already kept (older code let it in) goes out to its owner alone.
    assert redaction.location_patches(path) is None
    assert redaction.camera_patches(path) is None
    assert images.stored_location_patches(path) is None


def test_photoshop_blocks_past_the_limit_withhold_the_original_from_a_link(
    tmp_path: Path,
) -> None:
    path = tmp_path / "photoshop.jpg"
    path.write_bytes(trailed(PHOTOSHOP * 100))
    assert redaction.camera_patches(path) is None
    few = tmp_path / "few.jpg"
    few.write_bytes(trailed(PHOTOSHOP * 3 + TIFF_HEADER * 3 + CHAINED_PICTURE * 3))
    assert images.ingest(few, LIMIT).format == "JPEG"
    assert redaction.camera_patches(few) is not None


# --- GIF of many frames ----------------------------------------------------------------------


def gif_of_tiny_frames(frames: int) -> bytes:
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff")
    frame = b"\x21\xf9\x04\x00\x01\x00\x00\x00" + b",\0\0\0\0\1\0\1\0\0" + b"\x02\x02\x44\x01\x00"
    out += frame * frames
    return bytes(out + b";")


@pytest.fixture
def gif_seeks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every frame Pillow walks to in a GIF."""
    seen: list[int] = []
    seek = GifImagePlugin.GifImageFile._seek

    def counting_seek(image: GifImagePlugin.GifImageFile, frame: int, *args: Any) -> None:
        seen.append(frame)
        seek(image, frame, *args)

    monkeypatch.setattr(GifImagePlugin.GifImageFile, "_seek", counting_seek)
    return seen


def test_a_gif_of_too_many_frames_is_refused_without_walking_them(
    tmp_path: Path, gif_seeks: list[int]
) -> None:
    path = tmp_path / "frames.gif"
    path.write_bytes(gif_of_tiny_frames(20_000))
    with pytest.raises(images.ImageError, match="frames"):
        images.ingest(path, LIMIT)
    assert gif_seeks == []


def test_gif_frames_are_counted_as_pillow_counts_them(tmp_path: Path, gif_seeks: list[int]) -> None:
    path = tmp_path / "anim.gif"
    first, *rest = (Image.new("RGB", (20, 10), (i * 30, 0, 0)) for i in range(7))
    first.save(path, save_all=True, append_images=rest, comment=b"hello", duration=40)
    with Image.open(path) as image:
        assert decode_budget.gif_frames(path.read_bytes(), 1000) == image.n_frames == 7
    gif_seeks.clear()
    assert images.ingest(path, LIMIT).format == "GIF"
    assert gif_seeks == [0], "only the first frame is read"


def test_a_gif_of_countless_tiny_blocks_is_refused(tmp_path: Path) -> None:
    data = gif_of_tiny_frames(1)
    path = tmp_path / "blocks.gif"
    # A comment extension of two million one-byte sub-blocks before the only frame.
    path.write_bytes(data[:19] + b"\x21\xfe" + b"\x01x" * 2_000_000 + b"\x00" + data[19:])
    with pytest.raises(images.TooMuchWork, match="too many blocks"):
        images.ingest(path, LIMIT)


def test_a_gif_with_junk_where_its_first_picture_should_be_is_refused(
    tmp_path: Path, gif_seeks: list[int]
) -> None:
    """Pillow would walk the junk a byte at a time, in Python; junk after the frames is the
    end of the animation, as browsers take it."""
    data = gif_of_tiny_frames(2)
    path = tmp_path / "junk.gif"
    path.write_bytes(data[:19] + b"\x00" * 5_000_000 + data[19:])
    with pytest.raises(images.TooMuchWork, match="no picture where its first should be"):
        images.ingest(path, LIMIT)
    assert gif_seeks == []
    path.write_bytes(data[:-1] + b"\x00" * 1000 + b";")
    assert decode_budget.gif_frames(path.read_bytes(), 1000) == 2
    assert images.ingest(path, LIMIT).format == "GIF"


# --- 16-bit grey PNG -------------------------------------------------------------------------


def grey16_png(path: Path, edge: int, value: int) -> None:
    """A 16-bit grey PNG of edge x edge pixels, compressed row by row (never whole in memory)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    squeeze = zlib.compressobj(9)
    row = b"\x00" + struct.pack(">H", value) * edge
    idat = b"".join(squeeze.compress(row) for _ in range(edge)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", edge, edge, 16, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def test_a_16_bit_grey_png_is_shrunk_before_it_is_widened(tmp_path: Path) -> None:
    path = tmp_path / "grey16.png"
    grey16_png(path, 9990, 0x6400)
    assert path.stat().st_size < 300_000
    script = (
        "import sys; from pathlib import Path; from photoarchive.media import images\n"
        "result = images.ingest(Path(sys.argv[1]), 100_000_000)\n"
        "print(result.width, result.height, result.renditions[0].width)\n"
        # This process's own peak: ru_maxrss would also count the test runner's, which the
        # child inherits when it is spawned (the runner's memory grows with the suite).
        "print(next(line.split()[1] for line in open('/proc/self/status')"
        " if line.startswith('VmHWM:')))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    size, peak_kib = run.stdout.splitlines()
    assert size == "9990 9990 1600"
    # The frame itself is 200 MB at 2 bytes a pixel; widened to 4 bytes it peaked at 1.1 GB.
    assert int(peak_kib) < 500 * 1024


def test_16_bit_grey_keeps_its_top_8_bits(tmp_path: Path) -> None:
    path = tmp_path / "grey16.png"
    grey16_png(path, 2000, 0x6400)
    preview = images.ingest(path, LIMIT).renditions[0]
    with Image.open(io.BytesIO(preview.data)) as image:
        red, green, blue = image.convert("RGB").getpixel((800, 800))  # type: ignore[misc]
    assert abs(red - 0x64) <= 1 and red == green == blue


# --- HEIF decoder errors ---------------------------------------------------------------------


def broken_heif() -> bytes:
    """The sample HEIF with one byte of its decoder configuration (hvcC) changed: its stream then
    claims a size the container does not, and libheif refuses to decode it."""
    data = bytearray((PHOTOS / "heic" / "samplefilehub.heif").read_bytes())
    data[data.index(b"hvcC") + 80] = 0
    return bytes(data)


def test_a_heif_the_decoder_refuses_is_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "broken.heif"
    path.write_bytes(broken_heif())
    with pytest.raises(images.UndecodableImage, match="damaged"):
        images.ingest(path, LIMIT)


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, module_database: Callable[[], str]
) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("budget") / "data"
    with live_server(make_settings(data, database_url=module_database())) as server:
        yield server


HOSTILE_UPLOADS: dict[str, tuple[Callable[[], bytes], str]] = {
    "broken.heif": (broken_heif, "damaged"),
    "scans.jpg": (lambda: jpeg_of_scans(2000), "scans"),
    "frames.gif": (lambda: gif_of_tiny_frames(20_000), "frames"),
    "pictures.jpg": (lambda: MANY_PARTS["pictures"], "too many embedded pictures"),
}


@pytest.mark.parametrize("name", list(HOSTILE_UPLOADS))
def test_costly_or_broken_uploads_are_422_with_a_reason(
    live: LiveServer, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    make, message = HOSTILE_UPLOADS[name]
    client = sign_up(live, name.split(".")[0])
    response = upload_bytes(client, name, make())
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert "Traceback" not in caplog.text


# --- fair share of the decode slots ----------------------------------------------------------


class Decoder:
    """Holds a slot for `owner` until released; records the order slots were granted in."""

    def __init__(self, slots: DecodeSlots, owner: str, order: list[str]) -> None:
        self.holding = asyncio.Event()
        self.done = asyncio.Event()
        self.task = asyncio.create_task(self._run(slots, owner, order))

    async def _run(self, slots: DecodeSlots, owner: str, order: list[str]) -> None:
        async with slots.held_by(owner):
            order.append(owner)
            self.holding.set()
            await self.done.wait()

    async def finish(self) -> None:
        self.done.set()
        await self.task


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_one_persons_queue_does_not_hold_back_another() -> None:
    async def scenario() -> list[str]:
        slots, order = DecodeSlots(2), []
        mallory = [Decoder(slots, "mallory", order) for _ in range(5)]
        await settle()
        alice = Decoder(slots, "alice", order)
        await settle()
        assert order == ["mallory", "mallory"], "idle slots go to whoever has work"
        await mallory[0].finish()
        await alice.holding.wait()
        assert order == ["mallory", "mallory", "alice"]
        for decoder in [alice, *mallory[1:]]:
            await decoder.finish()
        return order

    assert asyncio.run(scenario()) == ["mallory"] * 2 + ["alice"] + ["mallory"] * 3


def test_equals_are_served_in_turn_and_a_cancelled_wait_keeps_no_slot() -> None:
    async def scenario() -> None:
        slots, order = DecodeSlots(1), []
        first = Decoder(slots, "a", order)
        await settle()
        gone, b, c = (Decoder(slots, who, order) for who in ("gone", "b", "c"))
        await settle()
        gone.task.cancel()
        await settle()
        await first.finish()
        await b.holding.wait()
        await b.finish()
        await c.holding.wait()
        await c.finish()
        assert order == ["a", "b", "c"]
        last = Decoder(slots, "d", order)  # the slot came back: taken at once
        await settle()
        assert last.holding.is_set()
        await last.finish()

    asyncio.run(scenario())
