"""XMP packets read as XML, never by pattern: where a position is written, and what it is; where
a camera's details are written (for a share link that does not show them).

A packet is parsed by expat through defusedxml (no DTD, no entities, nothing external), so
names are resolved through their namespace bindings whatever the prefix, and the byte span of
every element and attribute comes from where the parser found it. A packet that does not parse
is unreadable: its caller blanks it whole, because other readers (ExifTool among them) are more
lenient than XML and would still find a position in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

EXIF_NS = "http://ns.adobe.com/exif/1.0/"
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_TIFF_NS = "http://ns.adobe.com/tiff/1.0/"
_XMP_NS = "http://ns.adobe.com/xap/1.0/"
# What a camera wrote, in namespaces that hold nothing else: EXIF (exposure, flash, dates,
# positions), CIPA's EXIF 2.3 additions (lens, body and lens serial numbers, the camera's
# owner), Adobe's aux (serial number, lens, firmware), Camera Raw's settings (lens profile),
# and the media management schema: each edit's program and moment (History), and document
# ids, which some writers make of the time and the machine.
_CAMERA_NAMESPACES = frozenset(
    {
        EXIF_NS,
        "http://ns.adobe.com/xap/1.0/mm/",
        "http://cipa.jp/exif/1.0/",
        "http://ns.adobe.com/exif/1.0/aux/",
        "http://ns.adobe.com/camera-raw-settings/1.0/",
    }
)
# ... and single properties of namespaces that hold other things too: the camera and its flash,
# the program that wrote the file (or the packet: x:xmptk), and Photoshop's history of edits
# (in words, each with its program).
_CAMERA_PROPERTIES = frozenset(
    {
        "{adobe:ns:meta/}xmptk",
        f"{{{_TIFF_NS}}}Make",
        f"{{{_TIFF_NS}}}Model",
        f"{{{_TIFF_NS}}}Software",
        f"{{{_XMP_NS}}}CreatorTool",
        "{http://ns.adobe.com/photoshop/1.0/}History",
        "{http://ns.adobe.com/pdf/1.3/}Producer",
        # Microsoft's namespace, as its documentation spells it and as ExifTool writes it.
        *(
            f"{{http://ns.microsoft.com/photo/1.0{slash}}}{name}"
            for slash in ("/", "")
            for name in ("FlashManufacturer", "FlashModel")
        ),
    }
)
# ... and in any namespace, a property named for the camera, its lens or a serial number
# (Microsoft's CameraSerialNumber and LensModel, xmpDM:cameraModel), as a word of the name.
_CAMERA_WORD = re.compile(r"^(?:camera|lens|serial)|Camera|Lens|Serial")
# ... and in any namespace, a property named for a date (xmp:CreateDate, tiff:DateTime,
# photoshop:DateCreated, dc:date, Microsoft's DateAcquired, xmpDM:shotDate): when something
# happened to the photo, which a link that hides when it was taken must not tell another way.
# "Date" as a word of the name (capitalised inside it), so that no "update" is taken for one.
_DATE_WORD = re.compile(r"(?:^d|D)ate(?![a-z])")
# Local names that carry a position in any namespace: the EXIF GPS* family (also inside IPTC's
# LocationCreated/LocationShown structures), and vendors' own (DJI: drone-dji:GpsLatitude,
# its misspelt GpsLongtitude, AbsoluteAltitude: a height narrows a place down).
_POSITION_WORDS = ("latitude", "longitude", "longtitude", "altitude")
# Places by name, which say where as well as a position does (a photo manager fills them in
# from one; a street may be among them): Photoshop's city, state and country, IPTC Core's
# sub-location and country code, and IPTC Extension's places shown and created (each whole,
# with every field inside), and those fields by their own names wherever they are.
_PHOTOSHOP_NS = "http://ns.adobe.com/photoshop/1.0/"
_IPTC_CORE_NS = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
_PLACES = frozenset(
    {
        f"{{{_PHOTOSHOP_NS}}}City",
        f"{{{_PHOTOSHOP_NS}}}State",
        f"{{{_PHOTOSHOP_NS}}}Country",
        f"{{{_IPTC_CORE_NS}}}Location",
        f"{{{_IPTC_CORE_NS}}}CountryCode",
    }
)
_PLACE_WORDS = frozenset(
    {
        "LocationCreated",
        "LocationShown",
        "LocationName",
        "Sublocation",
        "City",
        "ProvinceState",
        "CountryName",
        "CountryCode",
        "WorldRegion",
        # IPTC Core's contact details of the photographer: often a home address.
        "CreatorContactInfo",
        "CiAdrExtadr",
        "CiAdrCity",
        "CiAdrPcode",
        "CiAdrRegion",
        "CiAdrCtry",
    }
)

# Lexing one start tag that expat has already accepted as well-formed: only to find the byte
# span of each attribute, in document order, so it can be matched with the parsed attributes.
_TAG_NAME = re.compile(rb"<([^\s/>]+)")
_ATTRIBUTE = re.compile(rb"\s+([^\s=/>]+)\s*=\s*(?:\"[^\"]*\"|'[^']*')")
_TAG_END = re.compile(rb"\s*/?>")


class _Unreadable(Exception):
    """The parse and the bytes disagree (another encoding, say): treat the packet as unreadable."""


@dataclass
class Element:
    name: str  # "{namespace}local", as ElementTree spells it
    start: int  # the "<" of its start tag
    tag_end: int  # just past the start tag's ">"
    parent: Element | None
    attributes: list[tuple[str, int, int]] = field(default_factory=list)  # name, span
    values: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    end: int = -1  # just past the end tag's ">"


def is_position(name: str) -> bool:
    local = name.rpartition("}")[2].lower()
    return local.startswith("gps") or any(word in local for word in _POSITION_WORDS)


def is_location(name: str) -> bool:
    """A position, or a place by its name."""
    return is_position(name) or name in _PLACES or name.rpartition("}")[2] in _PLACE_WORDS


def is_camera_detail(name: str) -> bool:
    """What the camera was and how it was set, and when it took the picture."""
    namespace, _, local = name[1:].partition("}")
    return (
        namespace in _CAMERA_NAMESPACES
        or name in _CAMERA_PROPERTIES
        or _DATE_WORD.search(local) is not None
        or _CAMERA_WORD.search(local) is not None
    )


# More tags or attributes than any camera or editor writes (a few hundred; a depth map's
# megabytes are one attribute's value): such a packet is not read but blanked whole. Each
# would become a Python object, a megabyte of `<a/>` about 110 MB of them.
ITEMS_MAX = 20_000


def parse(packet: bytes) -> list[Element] | None:
    """Every element of the packet, in document order, or None when it is not well-formed XML
    (or holds a DTD, whose entities could expand it, or more than ITEMS_MAX tags or
    attributes: counted in C before any is parsed)."""
    if packet.count(b"<") > ITEMS_MAX or packet.count(b"=") > ITEMS_MAX:
        return None
    reader = _Reader(packet)
    parser = DefusedXMLParser(target=reader, forbid_dtd=True)
    reader.expat = parser.parser
    try:
        parser.feed(packet.rstrip(b"\x00"))  # some writers pad the segment with NULs
        parser.close()
    except (ParseError, ExpatError, DefusedXmlException, _Unreadable, ValueError):
        return None
    return reader.elements


def location_spans(packet: bytes) -> list[tuple[int, int]] | None:
    """The byte spans (start, end) of every property that holds a position or names a place:
    a whole element, or a whole `name="value"` attribute, so the packet stays well-formed once
    they are blanked. None when the packet cannot be read (then all of it has to go)."""
    return _spans(packet, is_location)


def camera_spans(packet: bytes) -> list[tuple[int, int]] | None:
    """As `location_spans`, for every property that holds a location or a camera detail."""
    return _spans(packet, lambda name: is_location(name) or is_camera_detail(name))


def _spans(packet: bytes, blanked: Callable[[str], bool]) -> list[tuple[int, int]] | None:
    elements = parse(packet)
    if elements is None:
        return None
    spans = []
    for element in elements:
        if blanked(element.name):
            spans.append((element.start, element.end))
        spans.extend((lo, hi) for name, lo, hi in element.attributes if blanked(name))
    return spans


def position(packet: bytes) -> tuple[float, float] | None:
    """exif:GPSLatitude and exif:GPSLongitude of the photo itself (properties of a top-level
    rdf:Description, as attributes or elements, any prefix), as signed decimal degrees."""
    found: dict[str, str] = {}
    for element in parse(packet) or []:
        parent = element.parent
        if element.name == f"{{{RDF_NS}}}Description" and _is_top(element):
            for name, value in element.values.items():
                found.setdefault(name, value)
        elif parent is not None and parent.name == f"{{{RDF_NS}}}Description" and _is_top(parent):
            found.setdefault(element.name, "".join(element.text))
    lat = _coordinate(found.get(f"{{{EXIF_NS}}}GPSLatitude"), "NS", 90)
    lon = _coordinate(found.get(f"{{{EXIF_NS}}}GPSLongitude"), "EW", 180)
    return None if lat is None or lon is None else (lat, lon)


def _is_top(description: Element) -> bool:
    return description.parent is not None and description.parent.name == f"{{{RDF_NS}}}RDF"


# "DDD,MM,SSk" or "DDD,MM.mmk" (the XMP GPSCoordinate), or decimal degrees, signed or with k.
_COORDINATE = re.compile(
    r"\s*([+-]?)(\d+(?:\.\d*)?)(?:,(\d+(?:\.\d*)?))?(?:,(\d+(?:\.\d*)?))?\s*([NSEWnsew]?)\s*"
)


def _coordinate(text: str | None, refs: str, bound: float) -> float | None:
    match = _COORDINATE.fullmatch(text or "")
    if match is None:
        return None
    sign, degrees, minutes, seconds, ref = match.groups()
    if ref and ref.upper() not in refs:
        return None
    value = float(degrees) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    if sign == "-" or (ref and ref.upper() == refs[1]):
        value = -value
    return round(value, 6) if -bound <= value <= bound else None


class _Reader:
    """The parser's target: builds `Element`s with the byte spans expat reports."""

    def __init__(self, packet: bytes) -> None:
        self.packet = packet
        self.expat: Any = None
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        at = self.expat.CurrentByteIndex
        name = _TAG_NAME.match(self.packet, at)
        if name is None or not _same_local(name.group(1), tag):
            raise _Unreadable(tag)
        pos, raw = name.end(), []
        while (attribute := _ATTRIBUTE.match(self.packet, pos)) is not None:
            qname = attribute.group(1)
            if qname != b"xmlns" and not qname.startswith(b"xmlns:"):
                raw.append((qname, attribute.start(1), attribute.end()))
            pos = attribute.end()
        close = _TAG_END.match(self.packet, pos)
        if close is None or len(raw) != len(attrib):
            raise _Unreadable(tag)
        element = Element(tag, at, close.end(), self.open[-1] if self.open else None)
        for (qname, lo, hi), key in zip(raw, attrib, strict=True):
            if not _same_local(qname, key):
                raise _Unreadable(key)
            element.attributes.append((key, lo, hi))
        element.values = dict(attrib)
        self.elements.append(element)
        self.open.append(element)

    def end(self, tag: str) -> None:
        element = self.open.pop()
        if self.packet[element.tag_end - 2 : element.tag_end] == b"/>":
            element.end = element.tag_end
            return
        close = self.packet.find(b">", self.expat.CurrentByteIndex)
        if close == -1:
            raise _Unreadable(tag)
        element.end = close + 1

    def data(self, text: str) -> None:
        if self.open:
            self.open[-1].text.append(text)

    def close(self) -> list[Element]:
        return self.elements


def _same_local(qname: bytes, name: str) -> bool:
    return qname.rpartition(b":")[2].decode("utf-8", "replace") == name.rpartition("}")[2]
