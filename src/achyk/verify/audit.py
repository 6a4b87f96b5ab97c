"""The audit entries of the log, judged in order by :class:`achyk.audit.record.AuditChecker`.

The population and reported counts of an audit are the counted protocols at the seed's place in
the log (official where there is one, else preliminary), so a protocol accepted or corrected
after the seed does not change what was sampled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from achyk.audit.record import AUDIT_KINDS, AuditChecker, counted_now
from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol

__all__ = ["AUDIT_KINDS", "AuditEntries", "counted_now"]


@dataclass
class AuditEntries:
    checker: AuditChecker | None = None
    problems: list[str] = field(default_factory=list)
    entries: int = 0

    def add(
        self,
        index: int,
        entry: dict[str, Any],
        election: Election,
        protocols: Callable[[], list[Protocol]],
    ) -> None:
        if self.checker is None:
            self.checker = AuditChecker(election)
        self.entries += 1
        counted = counted_now(protocols()) if entry.get("kind") == "audit-seed" else {}
        self.problems += [f"log entry {index}: {p}" for p in self.checker.check(entry, counted)]

    @property
    def present(self) -> bool:
        return self.entries > 0

    def finish(self) -> list[str]:
        return self.problems + (self.checker.finish() if self.checker else [])

    def summary(self) -> str:
        if self.checker is None:
            return ""
        parts = []
        for a in self.checker.audits.values():
            if a.polling:
                parts.append(
                    f"{a.contest_id}: ballot polling, {a.rounds} round(s), {len(a.draws)} draws of "
                    f"{sum(n for _, n in a.manifest)} ballots, {a.decision or 'open'}"
                )
                continue
            parts.append(
                f"{a.contest_id}: {a.rounds} round(s), {len(a.draws)} of {len(a.population)} stations, {a.decision or 'open'}"
            )
        return "; ".join(parts)
