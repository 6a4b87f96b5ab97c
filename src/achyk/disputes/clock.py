"""Is a case on time? The deadline of the body a case is before, and whether it was missed.

A case is received by a body when it is filed, appealed to it or referred to it; from then the
body has the time the rules give (`rules.decision_due`). A case not decided by then is overdue;
one decided after it was decided late. Both are flags for the public register, not refusals: a
late decision is still a decision, and the record shows it was late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from achyk.disputes.lifecycle import Case
from achyk.disputes.model import Status
from achyk.disputes.rules import DisputeRules, decision_due


@dataclass(frozen=True)
class Timing:
    received: datetime  # by the body the case is (or was last) before
    due: datetime
    decided: datetime | None  # the first decision after `received`

    def overdue(self, now: datetime) -> bool:
        return self.decided is None and now > self.due

    @property
    def late(self) -> bool:
        return self.decided is not None and self.decided > self.due


def timing(case: Case, rules: DisputeRules, election_day: date, tz: tzinfo) -> Timing:
    received = datetime.fromisoformat(case.complaint.filed_at)
    decided: datetime | None = None
    for step in case.steps:
        at = datetime.fromisoformat(step.at)
        if step.status in (Status.APPEALED, Status.REFERRED):
            received, decided = at, None
        elif step.status in (Status.DECIDED, Status.INVALID) and decided is None:
            decided = at
    return Timing(received, decision_due(rules, received, election_day, tz), decided)
