"""What an identifier in the election definition may be: safe as a file name, a URL segment, a
database key and a log field, and never two different strings that look the same.

An id is 1 to 64 characters of ``A–Z a–z 0–9 . _ -``, starts with a letter or a digit and holds
no ``..``. So it is in Unicode NFC, holds no control, invisible or look-alike character (``1001``
and ``1001`` + U+200B ZERO WIDTH SPACE, or a Cyrillic ``А`` for a Latin ``A``, cannot be two
stations), no path separator, and fits the database's 64-character key columns. Names, cities
and addresses are free text; ids are not.
"""

from __future__ import annotations

import re
import unicodedata

ID_MAX = 64
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ID_RULE = "1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit, no '..'"


def id_problem(value: object) -> str | None:
    """Why ``value`` is not a valid id (naming the offending character), or None if it is."""
    if type(value) is str and ID_PATTERN.fullmatch(value) is not None and ".." not in value:
        return None  # the common case in one regular-expression match (100,000s per definition)
    if not isinstance(value, str):
        return f"an id is a string, not {type(value).__name__}"
    if not value:
        return "an id cannot be empty"
    if len(value) > ID_MAX:
        return f"an id is at most {ID_MAX} characters, this one has {len(value)}"
    for position, char in enumerate(value, 1):
        if not (char.isascii() and (char.isalnum() or char in "._-")):
            return f"character {position} is {_describe(char)}: an id is {ID_RULE}"
    if ID_PATTERN.fullmatch(value) is None:
        return f"an id starts with a letter or a digit: an id is {ID_RULE}"
    if ".." in value:
        return f"an id cannot hold '..': an id is {ID_RULE}"
    return None


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code
