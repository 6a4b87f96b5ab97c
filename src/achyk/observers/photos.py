"""A photo an observer attached, checked and stripped of its metadata before the mission publishes
it (the rule is `domain.photos`, shared with complaints' evidence). The hash of the original the
observer signed stays on the log; the published copy is the same picture without EXIF, GPS or time.
"""

from __future__ import annotations

from achyk.domain.photos import MalformedPhoto, photo_kind, strip_photo_metadata
from achyk.observers.model import ObserverError

MEDIA_TYPES = ("image/jpeg", "image/png")


def media_type(data: bytes) -> str:
    kind = photo_kind(data)
    if kind is None:
        raise ObserverError("a photo is a JPEG or PNG file")
    return kind


def strip_metadata(data: bytes) -> bytes:
    try:
        return strip_photo_metadata(data)
    except MalformedPhoto as err:
        raise ObserverError(f"a malformed photo: {err}") from None
