"""Form 2 — the Kyrgyz change of voting place — as data: who asks to vote where, and until when.

A voter on the register may ask, up to the eve of election day, to vote at another station, at home
or abroad. The register keeps one station per voter; a move replaces it and is logged.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class MoveRequest(NamedTuple):
    personal_number: str
    to_station: str
    where: str = ""  # how a problem names this request, e.g. "line 7" of a file


def last_day(election_day: date) -> date:
    """The last day a Form 2 is accepted: the eve of election day."""
    return date.fromordinal(election_day.toordinal() - 1)
