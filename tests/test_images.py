"""The image pipeline on its own: every input format, orientation, colour, safety, privacy."""

from __future__ import annotations

import base64
import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image, ImageChops, ImageCms, ImageStat

from photoarchive.media import images, packets, redaction
from tests.support import PHOTOS

LIMIT = 100_000_000
RED = (220, 30, 40)


def ingest(path: Path, max_pixels: int = LIMIT) -> images.Ingested:
    return images.ingest(path, max_pixels)


def decoded(rendition: images.Rendition) -> Image.Image:
    image = Image.open(io.BytesIO(rendition.data))
    assert image.format == "WEBP"
    image.load()
    return image


def close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 8) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def assert_no_metadata(rendition: images.Rendition) -> None:
    image = decoded(rendition)
    assert not image.getexif()
    assert not ({"exif", "xmp", "XML:com.adobe.xmp"} & set(image.info))
    for marker in (b"EXIF", b"Exif", b"XMP ", b"<x:xmpmeta", b"GPS", b"IPTC"):
        assert marker not in rendition.data


def png16(path: Path, width: int, height: int, rgb16: tuple[int, int, int]) -> None:
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" + struct.pack(">HHH", *rgb16) * width
    data = zlib.compress(row * height)
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def ycck_jpeg(path: Path, cmyk: tuple[int, int, int, int]) -> None:
    """An Adobe YCCK JPEG (as Photoshop writes CMYK): stored as Y, Cb, Cr of the inverted
    C, M, Y, plus K; the Adobe marker's transform byte says so."""
    c, m, y, k = cmyk
    ycc = Image.new("RGB", (1, 1), (c, m, y)).convert("YCbCr").getpixel((0, 0))
    stored = (255 - ycc[0], 255 - ycc[1], 255 - ycc[2], k)  # Pillow inverts CMYK on the way out
    buffer = io.BytesIO()
    Image.new("CMYK", (80, 60), stored).save(buffer, "JPEG", quality=95)
    data = bytearray(buffer.getvalue())
    adobe = data.find(b"Adobe")
    assert adobe > 0
    data[adobe + 11] = 2  # transform: YCCK
    path.write_bytes(bytes(data))
    with Image.open(path) as check:
        assert check.mode == "CMYK"


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def rgb_profile(name: str, primaries: list[tuple[float, float, float]], gamma: float) -> bytes:
    """A minimal ICC v2 matrix/TRC display profile (PCS XYZ, D50-adapted primaries)."""
    desc = name.encode() + b"\x00"
    tags = {
        b"desc": b"desc\0\0\0\0"
        + struct.pack(">I", len(desc))
        + desc
        + b"\0" * 8
        + b"\0\0\0"
        + b"\0" * 67,
        b"wtpt": b"XYZ \0\0\0\0" + _s15(0.9642) + _s15(1.0) + _s15(0.8249),
        b"cprt": b"text\0\0\0\0public domain\0",
    }
    for tag, xyz in zip((b"rXYZ", b"gXYZ", b"bXYZ"), primaries, strict=True):
        tags[tag] = b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in xyz)
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    for tag in (b"rTRC", b"gTRC", b"bTRC"):
        tags[tag] = curve
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for tag, data in tags.items():
        data += b"\0" * (-len(data) % 4)
        table += tag + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"none"
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 24
        + struct.pack(">I", 0)
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


ADOBE_RGB = rgb_profile(
    "Adobe RGB (1998) compatible",
    [(0.60974, 0.31111, 0.01947), (0.20528, 0.62567, 0.06087), (0.14919, 0.06322, 0.74457)],
    563 / 256,
)


# --- every input format -------------------------------------------------------------------


def _frames(mode: str, colours: list[tuple[int, ...]], size: tuple[int, int] = (80, 60)):
    return [Image.new(mode, size, colour) for colour in colours]


def make(path: Path) -> None:
    """Write the generated sample named by `path`."""
    name = path.name
    if name == "baseline.jpg":
        Image.new("RGB", (80, 60), RED).save(path, quality=95)
    elif name == "progressive.jpg":
        Image.new("RGB", (80, 60), RED).save(path, quality=95, progressive=True)
    elif name == "cmyk.jpg":  # pure magenta+yellow ink is red
        Image.new("CMYK", (80, 60), (0, 255, 255, 0)).save(path, quality=95)
    elif name == "ycck.jpg":
        ycck_jpeg(path, (0, 255, 255, 0))
    elif name == "rgb8.png":
        Image.new("RGB", (80, 60), RED).save(path)
    elif name == "rgb16.png":
        png16(path, 80, 60, (RED[0] * 257, RED[1] * 257, RED[2] * 257))
    elif name == "grey16.png":
        Image.new("I;16", (80, 60), 128 * 257).save(path)
    elif name == "grey.png":
        Image.new("L", (80, 60), 128).save(path)
    elif name in ("still.gif", "still.webp", "still.avif", "still.heic"):
        Image.new("RGB", (80, 60), RED).save(path, quality=95)
    elif name in ("animated.gif", "animated.webp"):
        first, *rest = _frames("RGB", [RED, (0, 0, 255), (0, 255, 0)])
        first.save(path, save_all=True, append_images=rest, duration=100, loop=0)
    else:
        raise AssertionError(name)


@pytest.mark.parametrize(
    ("name", "fmt", "colour"),
    [
        ("baseline.jpg", "JPEG", RED),
        ("progressive.jpg", "JPEG", RED),
        ("cmyk.jpg", "JPEG", (255, 0, 0)),
        ("ycck.jpg", "JPEG", (255, 0, 0)),
        ("rgb8.png", "PNG", RED),
        ("rgb16.png", "PNG", RED),
        ("grey16.png", "PNG", (128, 128, 128)),
        ("grey.png", "PNG", (128, 128, 128)),
        ("still.gif", "GIF", RED),
        ("animated.gif", "GIF", RED),
        ("still.webp", "WEBP", RED),
        ("animated.webp", "WEBP", RED),
        ("still.avif", "AVIF", RED),
        ("still.heic", "HEIF", RED),
    ],
)
def test_each_format_gives_webp_renditions_of_the_right_colour(
    tmp_path: Path, name: str, fmt: str, colour: tuple[int, int, int]
) -> None:
    path = tmp_path / name
    make(path)
    result = ingest(path)
    assert result.format == fmt
    assert (result.width, result.height) == (80, 60)
    assert [r.name for r in result.renditions] == ["preview", "thumbnail"]
    for rendition in result.renditions:
        image = decoded(rendition)
        assert image.size == (80, 60)
        # GIF's palette and lossy codecs shift a colour a little; a negative or a later frame
        # would be far off.
        tolerance = 24 if fmt == "GIF" else 10
        assert close(image.convert("RGB").getpixel((40, 30)), colour, tolerance), image.getpixel(
            (40, 30)
        )
        assert_no_metadata(rendition)


def test_real_heic_files(tmp_path: Path) -> None:
    iphone = ingest(PHOTOS / "heic" / "IMG_5195.HEIC")
    assert (iphone.format, iphone.content_type) == ("HEIF", "image/heic")
    assert (iphone.width, iphone.height) == (2566, 3313)
    preview, thumbnail = iphone.renditions
    assert (preview.width, preview.height) == (1239, 1600)
    assert (thumbnail.width, thumbnail.height) == (397, 512)
    assert decoded(preview).size == (1239, 1600)
    other = ingest(PHOTOS / "heic" / "samplefilehub.heif")
    assert (other.width, other.height) == (640, 426)
    assert decoded(other.renditions[1]).size == (512, 341)


# --- transparency ---------------------------------------------------------------------------


def _half_transparent(mode: str) -> Image.Image:
    """Red on the left half, transparent on the right."""
    if mode == "P":
        image = Image.new("P", (80, 60), 0)
        image.putpalette([0, 0, 0, *RED])
        image.paste(1, (0, 0, 40, 60))
        image.info["transparency"] = 0
        return image
    image = Image.new("RGBA", (80, 60), (0, 0, 0, 0))
    image.paste((*RED, 255), (0, 0, 40, 60))
    return image if mode == "RGBA" else image.convert(mode)


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("rgba.png", lambda: _half_transparent("RGBA")),
        ("grey_alpha.png", lambda: _half_transparent("RGBA").convert("LA")),
        ("palette.png", lambda: _half_transparent("P")),
        ("palette.gif", lambda: _half_transparent("P")),
        ("rgba.webp", lambda: _half_transparent("RGBA")),
    ],
)
def test_transparency_is_kept(tmp_path: Path, name: str, build) -> None:
    path = tmp_path / name
    image = build()
    if image.mode == "P":
        image.save(path, transparency=0)
    else:
        image.save(path, lossless=True) if name.endswith(".webp") else image.save(path)
    preview = decoded(ingest(path).renditions[0])
    assert preview.mode == "RGBA"
    assert preview.getpixel((70, 30))[3] == 0
    left = preview.getpixel((10, 30))
    assert left[3] == 255
    expected = RED
    if name.startswith("grey"):
        grey = round(0.299 * RED[0] + 0.587 * RED[1] + 0.114 * RED[2])
        expected = (grey, grey, grey)
    assert close(left[:3], expected, 12)


# --- orientation ----------------------------------------------------------------------------


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


@pytest.mark.parametrize("kind", ["landscape", "portrait"])
def test_every_exif_orientation_comes_out_upright(kind: str) -> None:
    reference = decoded(ingest(PHOTOS / "orientation" / f"{kind}_1.jpg").renditions[0])
    size = (600, 450) if kind == "landscape" else (450, 600)
    assert reference.size == size
    for number in range(2, 9):
        result = ingest(PHOTOS / "orientation" / f"{kind}_{number}.jpg")
        assert (result.width, result.height) == size, number
        preview = decoded(result.renditions[0])
        assert preview.size == size
        # Same picture up to JPEG noise; any wrong flip or turn is many times further off.
        assert _mean_difference(preview, reference) < 10, number
        flipped = reference.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        assert _mean_difference(flipped, reference) > 30


def test_heic_transforms_are_applied_once(tmp_path: Path) -> None:
    # Red left half, stored landscape, orientation 6: upright it is portrait with red on top.
    # pillow-heif turns the EXIF orientation into the container's rotation on save.
    image = Image.new("RGB", (64, 32), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 32, 32))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.heic"
    image.save(path, "HEIF", exif=exif.tobytes(), quality=95)
    result = ingest(path)
    assert (result.width, result.height) == (32, 64)
    preview = decoded(result.renditions[0]).convert("RGB")
    assert preview.size == (32, 64)
    assert close(preview.getpixel((16, 8)), (255, 0, 0), 20)
    assert close(preview.getpixel((16, 56)), (0, 0, 255), 20)


# --- colour ---------------------------------------------------------------------------------


def _srgb_of(pixel: tuple[int, int, int], profile: bytes) -> tuple[int, ...]:
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    one = Image.new("RGB", (1, 1), pixel)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return ImageCms.profileToProfile(one, source, srgb, outputMode="RGB").getpixel((0, 0))


def display_p3() -> bytes:
    with Image.open(PHOTOS / "heic" / "IMG_5195.HEIC") as iphone:
        profile = iphone.info["icc_profile"]
    assert b"Display P3" in profile
    return profile


@pytest.mark.parametrize("profile_name", ["Display P3", "Adobe RGB"])
@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp"])
def test_embedded_profiles_are_converted_to_srgb(
    tmp_path: Path, profile_name: str, suffix: str
) -> None:
    profile = display_p3() if profile_name == "Display P3" else ADOBE_RGB
    pixel = (40, 160, 90)  # a green well inside both gamuts, where the spaces differ a lot
    expected = _srgb_of(pixel, profile)
    assert not close(expected, pixel, 12), "the test colour must differ between the spaces"
    path = tmp_path / f"tagged{suffix}"
    Image.new("RGB", (80, 60), pixel).save(path, icc_profile=profile, quality=98)
    result = ingest(path)
    for rendition in result.renditions:
        got = decoded(rendition).convert("RGB").getpixel((40, 30))
        assert close(got, expected, 6), (got, expected)


def test_cmyk_with_profile_is_not_a_negative(tmp_path: Path) -> None:
    # A CMYK JPEG with an (RGB) profile that does not fit: the profile is ignored, the pixels
    # still convert, and white paper stays white.
    path = tmp_path / "cmyk-white.jpg"
    Image.new("CMYK", (80, 60), (0, 0, 0, 0)).save(path, quality=95, icc_profile=ADOBE_RGB)
    got = decoded(ingest(path).renditions[0]).convert("RGB").getpixel((40, 30))
    assert close(got, (255, 255, 255), 4)


# --- safe decoding --------------------------------------------------------------------------


def test_pixel_limit_is_checked_from_the_header(tmp_path: Path) -> None:
    # A PNG header that claims 60000 x 60000 with almost no data: refused without decoding.
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    path = tmp_path / "huge.png"
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    with pytest.raises(images.TooManyPixels, match="pixels"):
        ingest(path)
    small = tmp_path / "small.jpg"
    Image.new("RGB", (200, 100)).save(small)
    with pytest.raises(images.TooManyPixels, match="limit is 10,000"):
        ingest(small, max_pixels=10_000)


def test_a_png_text_note_that_unpacks_huge_is_refused_in_plain_words(tmp_path: Path) -> None:
    # A zTXt chunk of 20 KB that unpacks to 5 MB: the bomb Pillow stops, in our words.
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    plain = io.BytesIO()
    Image.new("RGB", (8, 8), RED).save(plain, "PNG")
    data = plain.getvalue()
    bomb = chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"A" * (5 << 20), 9))
    at = data.index(b"IDAT") - 4
    path = tmp_path / "note.png"
    path.write_bytes(data[:at] + bomb + data[at:])
    with pytest.raises(images.UndecodableImage) as refused:
        ingest(path)
    assert str(refused.value) == images.TEXT_TOO_LARGE


def test_decompression_bomb_warning_is_an_error(tmp_path: Path) -> None:
    # Pillow only warns between MAX_IMAGE_PIXELS and twice that; importing the module makes the
    # warning an error. Run in a fresh interpreter: pytest resets warning filters per test.
    path = tmp_path / "big.png"
    Image.new("RGB", (300, 300)).save(path)
    script = (
        "import sys; from pathlib import Path; from PIL import Image;"
        "from photoarchive.media import images;"
        "Image.MAX_IMAGE_PIXELS = 50_000\n"
        "try:\n images.ingest(Path(sys.argv[1]), 1_000)\n"
        "except images.TooManyPixels as exc:\n print(exc)\n"
        "try:\n Image.open(sys.argv[1])\n"
        "except Image.DecompressionBombWarning:\n print('refused')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    assert run.stdout.splitlines() == ["The image has more than 1,000 pixels.", "refused"]


def test_animations_are_limited_by_frames_times_pixels(tmp_path: Path) -> None:
    path = tmp_path / "long.gif"
    first, *rest = _frames("RGB", [(i * 8 % 256, 0, 0) for i in range(30)], size=(100, 100))
    first.save(path, save_all=True, append_images=rest)
    # 30 frames x 10,000 px = 300,000 px: over 4 x 50,000, although one frame is small.
    with pytest.raises(images.TooManyPixels, match="30 of 100x100"):
        ingest(path, max_pixels=50_000)
    assert ingest(path, max_pixels=100_000).format == "GIF"


def test_a_heic_of_several_pictures_is_its_primary_one(tmp_path: Path) -> None:
    """A HEIC may hold other pictures beside the one it shows (its primary), and the first
    may be another, of any size: the primary is the photo (checked against the pixel limit
    and decoded), the rest neither decoded nor counted as an animation's frames."""
    path = tmp_path / "two.heic"
    first = pillow_heif.from_pillow(Image.new("RGB", (1200, 1000), (0, 0, 255)))
    first.add_from_pillow(Image.new("RGB", (80, 60), RED))
    first.save(path, primary_index=1, quality=90)
    assert [picture.size for picture in pillow_heif.open_heif(path)] == [(1200, 1000), (80, 60)]
    result = ingest(path, max_pixels=1_000_000)  # the first picture alone is over it
    assert (result.format, result.width, result.height) == ("HEIF", 80, 60)
    for rendition in result.renditions:
        image = decoded(rendition)
        assert image.size == (80, 60)
        assert close(image.convert("RGB").getpixel((40, 30)), RED, 10)


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "PPM", "ICO", "PDF"])
def test_only_allow_listed_formats_are_opened(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"image.{fmt.lower()}"
    Image.new("RGB", (32, 32), RED).save(path, fmt)
    with pytest.raises(images.UnsupportedImage):
        ingest(path)


def test_truncated_and_garbage_files_are_refused_cleanly(tmp_path: Path) -> None:
    good = tmp_path / "good.jpg"
    Image.effect_noise((400, 300), 60).convert("RGB").save(good, quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(images.UndecodableImage):
        ingest(cut)
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    with pytest.raises(images.ImageError):
        ingest(junk)


@pytest.mark.parametrize("kind", ["HEIF", "AVIF", "PNG", "WEBP", "GIF"])
def test_a_photo_cut_short_is_damaged_not_of_another_kind(tmp_path: Path, kind: str) -> None:
    """Cut before any opener can read its header, a photo of a format we take is said to be
    damaged (422), not a file of a kind we do not take (415, "upload JPEG, PNG..."): what a
    person can act on is sending it again whole."""
    whole = tmp_path / f"whole.{kind.lower()}"
    Image.effect_noise((64, 48), 60).convert("RGB").save(whole, format=kind)
    cut = tmp_path / f"cut.{kind.lower()}"
    cut.write_bytes(whole.read_bytes()[:30])
    with pytest.raises(images.UndecodableImage, match="damaged or cut short"):
        ingest(cut)
    other = tmp_path / "notes.mp4"  # an ISO file, of a brand we do not take
    other.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(20))
    with pytest.raises(images.UnsupportedImage):
        ingest(other)


def test_an_avif_branded_only_as_a_heif_container_is_read_as_avif(tmp_path: Path) -> None:
    """Both are HEIF containers: an AVIF whose main brand is `mif1` went to the HEIF opener,
    which has no AV1 decoder here, and was refused as damaged."""
    data = bytearray(_avif())
    assert data[8:12] == b"avif"
    data[8:12] = b"mif1"
    path = tmp_path / "mif1.avif"
    path.write_bytes(bytes(data))
    assert ingest(path).format == "AVIF"


def test_an_avif_whose_primary_item_is_missing_is_damaged_not_an_error(tmp_path: Path) -> None:
    """Pillow's AVIF opener raises RuntimeError for it: a 500, "try again", before."""
    data = bytearray(_avif())
    at = data.index(b"pitm") + 8  # the box's type, version and flags, then the item's id
    data[at : at + 2] = b"\x00\x00"
    path = tmp_path / "no-primary.avif"
    path.write_bytes(bytes(data))
    with pytest.raises(images.UndecodableImage, match="damaged or cut short"):
        ingest(path)


def test_item_boxes_that_end_before_their_fields_hold_no_packet() -> None:
    """An item-information box ending in an entry too short to hold its version, at the end
    of the file: no XMP packet (IndexError, a 500, before)."""
    iinf = struct.pack(">I4sIH", 8 + 4 + 2 + 8, b"iinf", 0, 1) + struct.pack(">I4s", 8, b"infe")
    meta = struct.pack(">I4sI", 12 + len(iinf), b"meta", 0) + iinf
    ftyp = struct.pack(">I4s4sI4s", 20, b"ftyp", b"avif", 0, b"mif1")
    assert packets.find(ftyp + meta) == []


def _avif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), RED).save(buffer, "AVIF")
    return buffer.getvalue()


# --- placeholder, metadata, location ---------------------------------------------------------


def test_placeholder_is_a_few_hundred_bytes_with_the_photos_colours(tmp_path: Path) -> None:
    path = tmp_path / "noisy.jpg"
    noise = Image.effect_noise((3000, 2000), 100).convert("RGB")
    tinted = Image.blend(noise, Image.new("RGB", noise.size, (0, 120, 0)), 0.5)
    tinted.save(path, quality=90)
    uri = ingest(path).placeholder
    assert uri.startswith("data:image/webp;base64,")
    assert len(uri) < 600
    tiny = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert max(tiny.size) == images.PLACEHOLDER_EDGE
    r, g, b = ImageStat.Stat(tiny.convert("RGB")).mean
    assert g > r + 20 and g > b + 20


def test_renditions_of_a_geotagged_phone_photo_carry_no_metadata() -> None:
    result = ingest(PHOTOS / "heic" / "IMG_5195.HEIC")
    assert result.metadata.gps_lat is not None
    for rendition in result.renditions:
        assert_no_metadata(rendition)
    assert images.describe(result.renditions[0].data)[2] is False


def _apply(path: Path, patches: list[tuple[int, bytes]]) -> bytes:
    data = path.read_bytes()
    # applied in uneven chunks, as a stream would
    out, at = b"", 0
    for size in (7, 1000, 333, 10**9):
        out += redaction.apply_patches(data[at : at + size], at, patches)
        at += size
    return out


@pytest.mark.parametrize(
    "source",
    [PHOTOS / "gps" / "DSCN0010.jpg", PHOTOS / "heic" / "IMG_5195.HEIC"],
    ids=["jpeg", "heic"],
)
def test_location_patches_blank_gps_and_nothing_else(tmp_path: Path, source: Path) -> None:
    before = ingest(source)
    assert before.metadata.gps_lat is not None
    assert before.location_patches
    shared = tmp_path / source.name
    shared.write_bytes(_apply(source, before.location_patches))
    assert shared.stat().st_size == source.stat().st_size
    after = ingest(shared)
    assert (after.metadata.gps_lat, after.metadata.gps_lon) == (None, None)
    with Image.open(shared) as image:
        assert not dict(image.getexif().get_ifd(0x8825))
        assert image.getexif().get(271)  # the camera make is still there
    assert after.metadata.camera_model == before.metadata.camera_model
    assert after.metadata.taken_at == before.metadata.taken_at
    assert after.renditions[0].data == before.renditions[0].data  # pixels untouched
    assert after.location_patches == []


def test_location_patches_cover_png_exif_and_xmp(tmp_path: Path) -> None:
    with Image.open(PHOTOS / "gps" / "DSCN0012.jpg") as source:
        exif = source.getexif()
        pixels = source.convert("RGB")
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/"'
        b' exif:GPSLatitude="43,28.0294N" exif:GPSLongitude="11,53.1237E">'
        b"<exif:GPSAltitude>123/1</exif:GPSAltitude>"
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    path = tmp_path / "geotagged.png"
    pixels.save(path, exif=exif, pnginfo=_xmp_info(xmp))
    result = ingest(path)
    assert result.metadata.gps_lat is not None
    shared = tmp_path / "shared.png"
    shared.write_bytes(_apply(path, result.location_patches))
    assert b"GPSLatitude" not in shared.read_bytes()
    assert b"GPSAltitude" not in shared.read_bytes()
    with Image.open(shared) as image:
        image.load()  # chunk CRCs were fixed: Pillow checks them
        assert not dict(image.getexif().get_ifd(0x8825))
        assert "xmpmeta" in image.info.get("XML:com.adobe.xmp", "")


def _xmp_info(xmp: bytes):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp.decode())
    return info


def test_metadata_of_a_phone_photo() -> None:
    meta = ingest(PHOTOS / "heic" / "IMG_5195.HEIC").metadata
    assert meta.taken_at == "2021-04-11T15:47:53-05:00"
    assert (meta.camera_make, meta.camera_model) == ("Apple", "iPhone 11 Pro Max")
    assert meta.lens and "4.25mm f/1.8" in meta.lens
    assert (meta.focal_length, meta.aperture, meta.exposure_time, meta.iso) == (
        4.25,
        1.8,
        "1/385",
        32,
    )
    assert meta.gps_lat == pytest.approx(39.0513, abs=1e-3)
    assert meta.gps_lon == pytest.approx(-94.2888, abs=1e-3)


@pytest.mark.parametrize("path", sorted((PHOTOS / "odd-exif").iterdir()), ids=lambda p: p.name)
def test_odd_exif_never_stops_an_ingest(path: Path) -> None:
    result = ingest(path)
    assert result.width > 0 and result.renditions
