"""An annulled station: its result removed from the count by an executed decision.

A commission above the station (or a court) decides to annul a station's result; once the body
logs that the decision is executed, the station's protocols stay on the record — its own page
still shows what they said — but no total above it counts them. The station is not silently
missing: every unit above it counts it as annulled, and the results name the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Annulment:
    station: str
    complaint: int  # the complaint's log entry
    decision: int  # the log entry of the decision to annul
    executed: int  # the log entry that executed it: from here on the station is out of the count
    authority: str  # the body that decided

    def as_dict(self) -> dict[str, Any]:
        return {"complaint": self.complaint, "decision": self.decision,
                "executed": self.executed, "authority": self.authority}  # fmt: skip
