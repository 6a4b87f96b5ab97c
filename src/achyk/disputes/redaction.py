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
from dataclasses import dataclass
from typing import Any

from achyk.domain.photos import MalformedPhoto, photo_kind, strip_photo_metadata

RELEASE_KIND = "evidence-release"
JPEG_NOTE = "JPEG: EXIF, XMP, IPTC and comment segments removed; image data unchanged"
PNG_NOTE = "PNG: text, EXIF and time chunks removed; image data unchanged"
WITHHELD = ("not a photo (JPEG or PNG): video, sound and documents cannot be redacted by rule; "
            "kept whole by the commission, its hash on the log since filing")  # fmt: skip
MISSING = "the file is not in the evidence store"


@dataclass(frozen=True)
class Redacted:
    content: bytes | None  # None: withheld
    note: str  # what was removed, or why it is withheld

    @property
    def sha256(self) -> str | None:
        return None if self.content is None else hashlib.sha256(self.content).hexdigest()


def redact(content: bytes) -> Redacted:
    kind = photo_kind(content)
    if kind is None:
        return Redacted(None, WITHHELD)
    try:
        stripped = strip_photo_metadata(content)
    except MalformedPhoto as err:
        return Redacted(None, f"a malformed photo is withheld rather than half-redacted ({err})")
    return Redacted(stripped, JPEG_NOTE if kind == "image/jpeg" else PNG_NOTE)


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
