"""Scripted randomness shared with the browser's protocol module (src/achyk/web/static/evoting.js
`scriptedRandom`): draw i is SHA-512(label ‖ i as 4 big-endian bytes) mod (stop − start) + start.
With it, Python and the browser make the same ballot, so their bytes can be compared exactly."""

from __future__ import annotations

import hashlib


class ScriptedRng:
    """An `achyk.crypto.group.Rng` whose draws are a fixed function of a label and a counter."""

    def __init__(self, label: str) -> None:
        self.label = label.encode()
        self.i = 0

    def randrange(self, start: int, stop: int, /) -> int:
        digest = hashlib.sha512(self.label + self.i.to_bytes(4, "big")).digest()
        self.i += 1
        return start + int.from_bytes(digest, "big") % (stop - start)
