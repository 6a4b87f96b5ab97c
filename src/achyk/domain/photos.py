"""A photo's metadata stripped before it is published: EXIF holds the phone's model, the time and
often the GPS position of whoever took it (an observer, a complainant). The pixels are kept byte for
byte — segments and chunks are dropped, nothing is re-encoded — so the published copy is the same
picture and the stripping is a pure function of the original that anyone holding it can redo.

JPEG (ITU-T T.81, Annex B): APP1–APP15 (EXIF, XMP, IPTC/Photoshop, maker notes) and COM segments go;
JFIF (APP0), the Adobe colour transform (APP14) and ICC colour profiles (APP2) stay — rendering, not
people. PNG (ISO/IEC 15948): only the chunks that carry the picture or how to render it stay (text,
EXIF and time chunks go), each checked against its CRC.

One rule for the observers' photos (`observers.photos`) and complaints' evidence
(`disputes.redaction`).
"""

from __future__ import annotations

import struct
import zlib

# PNG chunks that carry the picture or how to render it; every other ancillary chunk is dropped.
PNG_KEEP = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB",
                      b"iCCP", b"sBIT", b"pHYs", b"bKGD", b"hIST", b"sPLT"})  # fmt: skip
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class MalformedPhoto(ValueError):
    """Not a well-formed photo: withheld rather than half-redacted."""


def photo_kind(data: bytes) -> str | None:
    """`image/jpeg` or `image/png` by the bytes themselves (never by a claimed name or type)."""
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    return None


def strip_photo_metadata(data: bytes) -> bytes:
    """The photo without its metadata; `MalformedPhoto` if it is not a well-formed JPEG or PNG."""
    kind = photo_kind(data)
    try:
        if kind == "image/jpeg":
            return _jpeg(data)
        if kind == "image/png":
            return _png(data)
    except struct.error as err:
        raise MalformedPhoto(str(err)) from None
    raise MalformedPhoto("not a JPEG or PNG file")


def _keep_jpeg_segment(marker: int, body: bytes) -> bool:
    if 0xE0 <= marker <= 0xEF:  # APPn
        return (
            marker == 0xE0  # JFIF
            or marker == 0xEE  # Adobe: the colour transform
            or (marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00"))
        )
    return marker != 0xFE  # COM: comments go


def _jpeg(data: bytes) -> bytes:
    out, at = bytearray(b"\xff\xd8"), 2
    while True:
        if at + 2 > len(data) or data[at] != 0xFF:
            raise MalformedPhoto(f"no JPEG marker at byte {at}")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xD9:  # EOI before any scan
            out += data[at : at + 2]
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            out += data[at : at + 2]
            at += 2
            continue
        if at + 4 > len(data):
            raise MalformedPhoto(f"segment at byte {at} has no length")
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if length < 2 or end > len(data):
            raise MalformedPhoto(f"segment at byte {at} runs past the end")
        if _keep_jpeg_segment(marker, data[at + 4 : end]):
            out += data[at:end]
        if marker == 0xDA:  # start of scan: the image data follows, copied as it is
            return bytes(out + data[end:])
        at = end


def _png(data: bytes) -> bytes:
    out, at = bytearray(PNG_SIGNATURE), len(PNG_SIGNATURE)
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(data):
            raise MalformedPhoto(f"chunk {kind!r} at byte {at} runs past the end")
        if zlib.crc32(data[at + 4 : end - 4]) != struct.unpack(">I", data[end - 4 : end])[0]:
            raise MalformedPhoto(f"chunk {kind!r} at byte {at} fails its CRC")
        if kind in PNG_KEEP:
            out += data[at:end]
        at = end
        if kind == b"IEND":
            return bytes(out)
    raise MalformedPhoto("no IEND chunk")
