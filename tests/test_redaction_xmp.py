"""A position in XMP, in any form an independent reader (ExifTool) understands, never reaches
anyone but the owner; the owner still sees it.

Each case embeds one XMP variant in a real image, checks that ExifTool reads a position from the
original (so the case is real), then applies the patches the web layer applies for other members
and checks that ExifTool finds no position left, that the file keeps its length and decodes, and
that the rest of a readable packet survives."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from photoarchive.media import images, redaction, xmp
from tests.support import PHOTOS, LiveServer, api_login, sign_up, upload_bytes

HOW_TO = "run scripts/ensure-exiftool.sh (Debian: apt-get install libimage-exiftool-perl)"
# Any tag ExifTool names like this is a position, a part of one, or where one points.
POSITION_TAG = re.compile(r"gps|latitude|longitude|longtitude|altitude", re.IGNORECASE)

RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
EXIF = "http://ns.adobe.com/exif/1.0/"
XMP = 'xmlns:xmp="http://ns.adobe.com/xap/1.0/"'
LAT, LON = "43,28.0294N", "11,53.1237E"
POSITION = (43.467157, 11.885395)
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
EXTENSION_HEADER = b"http://ns.adobe.com/xmp/extension/\x00"
GUID = "0123456789ABCDEF0123456789ABCDEF"


def _description(body: str, attributes: str = "") -> str:
    """A packet body with the rating that must survive redaction (when the packet is readable)."""
    return (
        f"<rdf:RDF {RDF}><rdf:Description rdf:about=''"
        f' xmlns:exif="{EXIF}" {XMP} xmp:Rating="3" {attributes}>'
        f"{body}</rdf:Description></rdf:RDF>"
    )


def _wrapped(inner: str, wrapper: str = "x:xmpmeta") -> str:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        f'<{wrapper} xmlns:x="adobe:ns:meta/">{inner}</{wrapper}>'
        + " " * 200
        + '<?xpacket end="w"?>'
    )


STANDARD = _wrapped(
    _description("", f'exif:GPSLatitude="{LAT}" exif:GPSLongitude="{LON}" exif:GPSAltitude="12/1"')
)
ELEMENTS = _wrapped(
    _description(
        f"<exif:GPSLatitude>{LAT}</exif:GPSLatitude><exif:GPSLongitude>{LON}</exif:GPSLongitude>"
        "<exif:GPSDestLatitude>43,28.5N</exif:GPSDestLatitude>"
        "<exif:GPSDestLongitude>11,53.5E</exif:GPSDestLongitude>"
        "<exif:GPSAltitude>123/1</exif:GPSAltitude>"
    )
)
# name -> the XMP packet text of the APP1 segment
PACKETS: dict[str, str] = {
    "standard": STANDARD,
    "elements": ELEMENTS,
    "no-wrapper": _description("", f'exif:GPSLatitude="{LAT}" exif:GPSLongitude="{LON}"'),
    "xapmeta-wrapper": _wrapped(
        _description("", f'exif:GPSLatitude="{LAT}" exif:GPSLongitude="{LON}"'), "x:xapmeta"
    ),
    "spaces-around-equals": _wrapped(
        _description("", f'exif:GPSLatitude = "{LAT}"\n  exif:GPSLongitude\t=\t"{LON}"')
    ),
    "other-prefix": _wrapped(
        _description(
            f"<exif1:GPSLatitude>{LAT}</exif1:GPSLatitude>",
            f'xmlns:exif1="{EXIF}" exif1:GPSLongitude="{LON}"',
        )
    ),
    "space-before-close": _wrapped(
        _description(
            f"<exif:GPSLatitude >{LAT}</exif:GPSLatitude ><exif:GPSLongitude\n>{LON}"
            "</exif:GPSLongitude\n>"
        )
    ),
    "single-quotes": _wrapped(
        _description("", f"exif:GPSLatitude='{LAT}' exif:GPSLongitude='{LON}'")
    ),
    "long-value": _wrapped(
        _description("", f'exif:GPSLatitude="43,28.0294{"0" * 250}N" exif:GPSLongitude="{LON}"')
    ),
    "default-namespace": _wrapped(
        _description(
            f'<GPSLatitude xmlns="{EXIF}">{LAT}</GPSLatitude>'
            f'<GPSLongitude xmlns="{EXIF}">{LON}</GPSLongitude>'
        )
    ),
    "cdata": _wrapped(
        _description(
            f"<exif:GPSLatitude><![CDATA[{LAT}]]></exif:GPSLatitude>"
            f"<exif:GPSLongitude><![CDATA[{LON}]]></exif:GPSLongitude>"
        )
    ),
    "character-references": _wrapped(
        _description("", 'exif:GPSLatitude="&#52;3,28.0294N" exif:GPSLongitude="&#x31;1,53.1237E"')
    ),
    "decimal-degrees": _wrapped(
        _description("", 'exif:GPSLatitude="43.467157" exif:GPSLongitude="-11.885395"')
    ),
    "nested-location-created": _wrapped(
        _description(
            "<Iptc4xmpExt:LocationCreated><rdf:Bag><rdf:li rdf:parseType='Resource'>"
            f"<exif:GPSLatitude>{LAT}</exif:GPSLatitude>"
            f"<exif:GPSLongitude>{LON}</exif:GPSLongitude>"
            "</rdf:li></rdf:Bag></Iptc4xmpExt:LocationCreated>",
            'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"',
        )
    ),
    "nested-description": _wrapped(
        _description(
            "<xmp:Nested><rdf:Description"
            f' exif:GPSLatitude="{LAT}" exif:GPSLongitude="{LON}"/></xmp:Nested>'
        )
    ),
    "drone-namespace": _wrapped(
        _description(
            "",
            'xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"'
            ' drone-dji:GpsLatitude="+43.467157" drone-dji:GpsLongtitude="+11.885395"'
            ' drone-dji:AbsoluteAltitude="+100.2"',
        )
    ),
    "unparseable": _wrapped(
        _description(
            f"<exif:GPSLatitude>{LAT}</exif:GPSLatitude>"
            f"<exif:GPSLongitude>{LON}</exif:GPSLongitude><broken>"
        )
    ),
    "unbound-prefix": (
        f"<rdf:RDF {RDF}><rdf:Description"
        f' exif:GPSLatitude="{LAT}" exif:GPSLongitude="{LON}"/></rdf:RDF>'
    ),
    "dtd-entity-bomb": (
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        + _description(
            "<dc:title xmlns:dc='http://purl.org/dc/elements/1.1/'>&c;</dc:title>",
            f'exif:GPSLatitude="{LAT}" exif:GPSLongitude="{LON}"',
        )
    ),
}
# Cases whose position the owner's own view must show (the others are not ours to read).
OWNER_SEES = {
    "standard",
    "elements",
    "no-wrapper",
    "xapmeta-wrapper",
    "spaces-around-equals",
    "other-prefix",
    "space-before-close",
    "single-quotes",
    "long-value",
    "default-namespace",
    "cdata",
    "character-references",
    "decimal-degrees",
}
UNREADABLE = {"unparseable", "unbound-prefix", "dtd-entity-bomb"}


def _app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(segments: list[bytes], source: Path | None = None) -> bytes:
    """A real JPEG (a shared test photo, or a small one made here) with `segments` after SOI."""
    if source is not None:
        data = source.read_bytes()
    else:
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), "teal").save(buffer, "JPEG")
        data = buffer.getvalue()
    return data[:2] + b"".join(segments) + data[2:]


def _extended_xmp() -> bytes:
    """The main packet points at an extension whose two chunks split a coordinate in half."""
    main = _wrapped(
        _description(
            "", f'xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmpNote:HasExtendedXMP="{GUID}"'
        )
    ).encode()
    extension = (
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF {RDF}><rdf:Description rdf:about=""'
        f' xmlns:exif="{EXIF}"><exif:GPSLatitude>{LAT}</exif:GPSLatitude>'
        f"<exif:GPSLongitude>{LON}</exif:GPSLongitude></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    cut = extension.index(LAT.encode()) + 4
    chunks = [(0, extension[:cut]), (cut, extension[cut:])]
    return _jpeg(
        [_app1(XMP_HEADER + main)]
        + [
            _app1(
                EXTENSION_HEADER
                + GUID.encode()
                + struct.pack(">II", len(extension), offset)
                + chunk
            )
            for offset, chunk in reversed(chunks)  # out of order, which the format allows
        ]
    )


def _xmp_in_exif() -> bytes:
    """XMP as TIFF tag 700 (XMLPacket) inside the EXIF block of a JPEG."""
    exif = Image.Exif()
    exif[0x010F] = "Maker"
    exif[0x02BC] = PACKETS["no-wrapper"].encode()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def _png(packet: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet)  # uncompressed: patched in place
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def _webp(packet: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "WEBP", xmp=packet.encode())
    return buffer.getvalue()


def _heic(packet: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "HEIF", xmp=packet.encode())
    return buffer.getvalue()


def _gif(packet: str) -> bytes:
    """GIF keeps XMP in an application extension, raw, closed by a 258-byte 'magic trailer'."""
    buffer = io.BytesIO()
    Image.new("P", (64, 48), 3).save(buffer, "GIF")
    data = buffer.getvalue()
    trailer = bytes([1, *range(255, -1, -1), 0])
    extension = b"\x21\xff\x0bXMP DataXMP" + packet.encode() + trailer
    return data[:-1] + extension + data[-1:]


# name -> how to make the file's bytes
FILES: dict[str, Callable[[], bytes]] = {
    **{
        name: (lambda packet=packet: _jpeg([_app1(XMP_HEADER + packet.encode())]))
        for name, packet in PACKETS.items()
    },
    "nonstandard-app1-header": lambda: _jpeg(
        [_app1(b"XMP\x00" + PACKETS["other-prefix"].encode())]
    ),
    "second-segment": lambda: _jpeg(
        [
            _app1(XMP_HEADER + _wrapped(_description("")).encode()),
            _app1(XMP_HEADER + PACKETS["no-wrapper"].encode()),
        ]
    ),
    "camera-photo": lambda: _jpeg(
        [_app1(XMP_HEADER + PACKETS["other-prefix"].encode())], PHOTOS / "cameras" / "Nikon_D70.jpg"
    ),
    "extended-xmp": _extended_xmp,
    "xmp-in-exif": _xmp_in_exif,
    "png-itxt": lambda: _png(PACKETS["other-prefix"]),
    "png-unparseable": lambda: _png(PACKETS["unparseable"]),
    "webp": lambda: _webp(PACKETS["no-wrapper"]),
    "heic": lambda: _heic(PACKETS["space-before-close"]),
    "gif": lambda: _gif(PACKETS["spaces-around-equals"]),
}
OWNER_SEES |= {"nonstandard-app1-header", "second-segment", "camera-photo", "png-itxt", "webp"}
OWNER_SEES |= {"heic"}
UNREADABLE |= {"png-unparseable"}


@dataclass
class Case:
    original: Path
    shared: Path
    patches: list[tuple[int, bytes]] | None
    gps_lat: float | None
    gps_lon: float | None
    original_tags: dict[str, object] = field(default_factory=dict)
    shared_tags: dict[str, object] = field(default_factory=dict)


def _exiftool() -> str:
    found = shutil.which("exiftool")
    if found is None:
        reason = (
            f"ExifTool is not installed, so no independent reader can check redaction; {HOW_TO}"
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason, pytrace=False)  # CI must run these: a leak must not pass unseen
        pytest.skip(reason)
    return found


def read_tags(exiftool: str, paths: list[Path]) -> dict[Path, dict[str, object]]:
    """Every tag ExifTool reads from each file, duplicates and embedded ones included."""
    result = subprocess.run(
        [exiftool, "-j", "-n", "-G1", "-a", "-u", "-ee", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return {Path(entry["SourceFile"]): entry for entry in json.loads(result.stdout)}


def positions(tags: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in tags.items() if POSITION_TAG.search(key.split(":")[-1])}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    """Every case built, redacted for another member, and read by ExifTool in two batched runs."""
    exiftool = _exiftool()
    folder = tmp_path_factory.mktemp("xmp")
    cases = {}
    for name, make in FILES.items():
        original = folder / f"{name}.bin"
        original.write_bytes(make())
        ingested = images.ingest(original, 100_000_000)
        shared = folder / f"{name}.shared"
        if ingested.location_patches is not None:
            shared.write_bytes(
                redaction.apply_patches(original.read_bytes(), 0, ingested.location_patches)
            )
        meta = ingested.metadata
        cases[name] = Case(original, shared, ingested.location_patches, meta.gps_lat, meta.gps_lon)
    paths = [case.original for case in cases.values()]
    paths += [case.shared for case in cases.values() if case.shared.exists()]
    tags = read_tags(exiftool, paths)
    for case in cases.values():
        case.original_tags = tags[case.original]
        case.shared_tags = tags.get(case.shared, {})
    return cases


@pytest.mark.parametrize("name", list(FILES))
def test_the_original_holds_a_position_exiftool_reads(corpus: dict[str, Case], name: str) -> None:
    # Without this the case would prove nothing: the variant must be one ExifTool understands.
    assert positions(corpus[name].original_tags)


@pytest.mark.parametrize("name", list(FILES))
def test_no_position_survives_in_the_copy_others_download(
    corpus: dict[str, Case], name: str
) -> None:
    case = corpus[name]
    assert case.patches is not None, "blanked, not withheld: the position is found where it is"
    assert positions(case.shared_tags) == {}
    assert case.shared.stat().st_size == case.original.stat().st_size  # Range requests still work
    with Image.open(case.shared) as image:
        image.load()  # still a valid image: every patched chunk got its checksum fixed


@pytest.mark.parametrize("name", sorted(set(FILES) - UNREADABLE - {"extended-xmp", "xmp-in-exif"}))
def test_the_rest_of_a_readable_packet_survives(corpus: dict[str, Case], name: str) -> None:
    rating = [value for key, value in corpus[name].shared_tags.items() if key.endswith(":Rating")]
    assert rating == [3]


@pytest.mark.parametrize("name", sorted(OWNER_SEES))
def test_the_owner_sees_the_position(corpus: dict[str, Case], name: str) -> None:
    case = corpus[name]
    assert case.gps_lat == pytest.approx(POSITION[0], abs=1e-5)
    assert abs(case.gps_lon or 0) == pytest.approx(POSITION[1], abs=1e-5)


def test_a_dtd_is_refused_not_expanded() -> None:
    """An entity bomb costs nothing: the packet is refused at its DOCTYPE, never expanded."""
    entities = "".join(
        f'<!ENTITY {chr(98 + level)} "' + f"&{chr(97 + level)};" * 100 + '">' for level in range(8)
    )
    bomb = (
        f'<!DOCTYPE x [<!ENTITY a "{"a" * 1000}">{entities}]>'
        + _description("<dc:title xmlns:dc='http://purl.org/dc/elements/1.1/'>&i;</dc:title>")
    ).encode()
    assert xmp.location_spans(bomb) is None


def test_a_packet_of_more_items_than_any_writer_makes_is_blanked_whole_unread() -> None:
    """A megabyte of empty tags (or of attributes) would be a Python object each: such a
    packet is not parsed (nothing read of it, all of it blanked); a usual one still is."""
    dc = "xmlns:dc='http://purl.org/dc/elements/1.1/'"
    usual = _description(f"<dc:title {dc}>" + "<dc:x/>" * 100 + "</dc:title>").encode()
    assert xmp.parse(usual) is not None and xmp.location_spans(usual) == []
    many_tags = _description(f"<dc:title {dc}>" + "<dc:x/>" * 250_000 + "</dc:title>")
    many_attributes = _description(
        f"<dc:title {dc} " + " ".join(f"a{n}='1'" for n in range(30_000)) + "/>"
    )
    for packet in (many_tags.encode(), many_attributes.encode()):
        assert xmp.parse(packet) is None
        assert xmp.location_spans(packet) is None


@pytest.mark.usefixtures("engine")  # the patches are kept in the database: both engines
def test_another_member_downloads_no_position_and_the_owner_sees_it(
    server: LiveServer,
) -> None:
    """Through the web layer: the patches stored at upload are what another member gets."""
    exiftool = _exiftool()
    sign_up(server, "alice")
    sign_up(server, "bob")
    alice, bob = api_login(server, "alice"), api_login(server, "bob")
    data = FILES["other-prefix"]()
    photo = upload_bytes(alice, "map.jpg", data).json()["items"][0]
    assert alice.get(photo["urls"]["original"]).content == data
    theirs = bob.get(photo["urls"]["original"])
    assert theirs.status_code == 200 and len(theirs.content) == len(data)
    shared = server.settings.data_dir / "downloaded.jpg"
    shared.write_bytes(theirs.content)
    assert positions(read_tags(exiftool, [shared])[shared]) == {}
    assert alice.get(f"/api/v1/photos/{photo['id']}").json()["location"]["lat"] == pytest.approx(
        POSITION[0], abs=1e-5
    )
    assert "location" not in bob.get(f"/api/v1/photos/{photo['id']}").json()


def _crc_ok(data: bytes) -> bool:
    at = 8
    while at + 12 <= len(data):
        length = struct.unpack_from(">I", data, at)[0]
        body = data[at + 4 : at + 8 + length]
        if struct.unpack_from(">I", data, at + 8 + length)[0] != zlib.crc32(body) & 0xFFFFFFFF:
            return False
        at += 12 + length
    return True


@pytest.mark.parametrize("name", ["png-itxt", "png-unparseable"])
def test_patched_png_chunks_keep_valid_checksums(corpus: dict[str, Case], name: str) -> None:
    assert _crc_ok(corpus[name].shared.read_bytes())
