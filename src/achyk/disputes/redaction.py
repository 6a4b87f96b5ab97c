"""Evidence published after the decision, with personal data taken out, and the note that says how.

What is redacted, by rule (nothing is judged by a person or a model here):

- **Photos** (JPEG, PNG, recognised by their bytes, not by the name or media type claimed): the
  metadata a phone writes — EXIF (place, time, device serial), XMP, IPTC/Photoshop blocks,
  comments, PNG text chunks and timestamps — are removed; the pixels are copied byte for byte, not
  re-encoded, so the published image is exactly what the camera recorded, and the redaction is a
  pure function of the original that anyone holding it can redo. Kept: JFIF, Adobe colour-transform
  and ICC colour-profile segments (rendering, not people). The EXIF orientation goes with the EXIF.
- **Everything else** (video, audio, PDF, documents, unknown or malformed files): withheld, with the
  reason on the log. Faces, voices and names in a document cannot be removed by rule; the file
  stays whole in the evidence store, its hash on the log since filing, for the bodies and courts.
- **The complaint itself**: its log entry carries no name, contact or personal number — the form
  and the API do not take them (a complaint names its filer by role, and a signed one by key) —
  so there is nothing in it to redact. The facts are the filer's own words, public from filing.

The original's SHA-256 is on the log since filing; an `evidence-release` entry, appended when the
complaint is decided, binds each original to the SHA-256 of the file published in its place (or to
the reason it is withheld), and the log's signed checkpoint covers that note.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass
from typing import Any

RELEASE_KIND = "evidence-release"
JPEG_NOTE = "JPEG: EXIF, XMP, IPTC and comment segments removed; image data unchanged"
PNG_NOTE = "PNG: text, EXIF and time chunks removed; image data unchanged"
WITHHELD = ("not a photo (JPEG or PNG): video, sound and documents cannot be redacted by rule; "
            "kept whole by the commission, its hash on the log since filing")  # fmt: skip
MISSING = "the file is not in the evidence store"

# PNG chunks that carry the picture or how to render it; every other ancillary chunk is dropped.
PNG_KEEP = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB",
                      b"iCCP", b"sBIT", b"pHYs", b"bKGD", b"hIST", b"sPLT"})  # fmt: skip
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Malformed(ValueError):
    """Not a well-formed photo: withheld rather than half-redacted."""


@dataclass(frozen=True)
class Redacted:
    content: bytes | None  # None: withheld
    note: str  # what was removed, or why it is withheld

    @property
    def sha256(self) -> str | None:
        return None if self.content is None else hashlib.sha256(self.content).hexdigest()


def redact(content: bytes) -> Redacted:
    try:
        if content.startswith(b"\xff\xd8"):
            return Redacted(_jpeg(content), JPEG_NOTE)
        if content.startswith(PNG_SIGNATURE):
            return Redacted(_png(content), PNG_NOTE)
    except (Malformed, struct.error) as err:
        return Redacted(None, f"a malformed photo is withheld rather than half-redacted ({err})")
    return Redacted(None, WITHHELD)


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
            raise Malformed(f"no JPEG marker at byte {at}")
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
            raise Malformed(f"segment at byte {at} has no length")
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if length < 2 or end > len(data):
            raise Malformed(f"segment at byte {at} runs past the end")
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
            raise Malformed(f"chunk {kind!r} at byte {at} runs past the end")
        if zlib.crc32(data[at + 4 : end - 4]) != struct.unpack(">I", data[end - 4 : end])[0]:
            raise Malformed(f"chunk {kind!r} at byte {at} fails its CRC")
        if kind in PNG_KEEP:
            out += data[at:end]
        at = end
        if kind == b"IEND":
            return bytes(out)
    raise Malformed("no IEND chunk")


def release_entry(
    election_id: str, complaint: int, originals: list[tuple[str, bytes | None]]
) -> dict[str, Any]:
    """The `evidence-release` entry for a decided complaint: each original (its hash from the
    complaint entry, its bytes from the store or None) with what is published in its place."""
    files = []
    for digest, content in originals:
        done = Redacted(None, MISSING) if content is None else redact(content)
        files.append({"original_sha256": digest, "published_sha256": done.sha256,
                      "note": done.note})  # fmt: skip
    return {"kind": RELEASE_KIND, "election": election_id, "complaint": complaint, "files": files}


def released_path(published_sha256: str) -> str:
    """Where a released file is in the public record."""
    return f"complaints/evidence/{published_sha256}"
