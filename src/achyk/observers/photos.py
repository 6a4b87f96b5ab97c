"""A photo's metadata stripped before the mission publishes it: EXIF holds the phone's model, the
time and often the GPS position of the observer. The pixels are kept byte for byte — segments and
chunks are dropped, nothing is re-encoded — so the published copy is the same picture, and the
hash of the original the observer signed stays on the log.

JPEG (ITU-T T.81, Annex B): APP1–APP15 (EXIF, XMP, ICC, maker notes) and COM segments go; APP0
(JFIF) and everything the decoder needs stay. PNG (ISO/IEC 15948): text, time and EXIF chunks go.
"""

from __future__ import annotations

import struct

from achyk.observers.model import ObserverError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROPPED = frozenset({b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"})
MEDIA_TYPES = ("image/jpeg", "image/png")


def media_type(data: bytes) -> str:
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    raise ObserverError("a photo is a JPEG or PNG file")


def strip_metadata(data: bytes) -> bytes:
    return _jpeg(data) if media_type(data) == "image/jpeg" else _png(data)


def _jpeg(data: bytes) -> bytes:
    out, at = bytearray(b"\xff\xd8"), 2
    while at < len(data):
        if data[at] != 0xFF:
            raise ObserverError("a JPEG segment does not start with 0xFF")
        marker = data[at + 1] if at + 1 < len(data) else -1
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xDA:  # start of scan: the image data follows to the end
            out += data[at:]
            return bytes(out)
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            out += data[at : at + 2]
            at += 2
            continue
        if at + 4 > len(data):
            raise ObserverError("a JPEG cut short")
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if length < 2 or end > len(data):
            raise ObserverError("a JPEG segment runs past the file")
        if not (0xE1 <= marker <= 0xEF or marker == 0xFE):
            out += data[at:end]
        at = end
    raise ObserverError("a JPEG with no image data")


def _png(data: bytes) -> bytes:
    out, at = bytearray(PNG_SIGNATURE), len(PNG_SIGNATURE)
    while at < len(data):
        if at + 8 > len(data):
            raise ObserverError("a PNG cut short")
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, end = data[at + 4 : at + 8], at + 12 + length
        if end > len(data):
            raise ObserverError("a PNG chunk runs past the file")
        if kind not in PNG_DROPPED:
            out += data[at:end]
        at = end
        if kind == b"IEND":
            return bytes(out)
    raise ObserverError("a PNG with no IEND chunk")
