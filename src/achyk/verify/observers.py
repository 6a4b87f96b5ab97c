"""Observer missions on the log, re-judged from the record alone, and their protocol copies set
beside the published protocols.

Every accreditation is signed by the central commission's key in the definition, every
registration by its mission's accredited key, every observation, protocol copy and publication by
the registered key it names; the deployment plan is redrawn from its seed and the election's
stations (and must come before the mission's first observation); a publication's content must hash
to what the observer signed. Those are problems of the record. A protocol copy that differs from
the published protocol is not: it is a finding about the election — what catches a protocol
changed between the station and the CEC — and `achyk verify` lists each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from achyk.domain.definition import Election
from achyk.domain.protocol import Protocol
from achyk.errors import AchykError
from achyk.observers.deployment import strata_of
from achyk.observers.fold import Observers, compare_copy
from achyk.observers.model import KINDS
from achyk.observers.trust_roles import TrustRoles, trust_roles

__all__ = ["KINDS", "ObserverEntries", "protocol_figures"]


def protocol_figures(p: Protocol) -> dict[str, Any]:
    return {
        "voters_on_list": p.voters_on_list, "ballots_received": p.ballots_received,
        "issued_in_station": p.issued_in_station, "issued_outside": p.issued_outside,
        "cancelled": p.cancelled, "found_mobile": p.found_mobile,
        "found_stationary": p.found_stationary, "invalid": p.invalid, "valid": p.valid,
        "votes": dict(p.votes),
    }  # fmt: skip


@dataclass
class ObserverEntries:
    state: Observers = field(default_factory=Observers)
    problems: list[str] = field(default_factory=list)
    trustees: set[str] | None = None  # names in the log's key ceremony, once one is logged
    _keys: dict[str, str] | None = None
    _strata: dict[str, list[str]] | None = None

    def add(self, election: Election, index: int, entry: dict[str, Any]) -> None:
        if self._keys is None or self._strata is None:
            self._keys = {a.id: a.public_key for a in election.authorities if a.body == "central"}
            self._strata = strata_of(
                (p.station.id, p.region_id, p.station.abroad)
                for p in election.stations()
                if p.station.channel == "station"
            )
        try:
            self.state.add(index, entry, self._keys, self._strata)
        except (AchykError, ValueError, KeyError, TypeError) as err:
            self.problems.append(f"log entry {index}: {entry.get('kind')}: {err}")

    def note_ceremony(self, entry: dict[str, Any]) -> None:
        """A `remote-ceremony` entry: its trustees' names, for the missions declared trustees."""
        listed = entry.get("trustees")
        if isinstance(listed, list):
            self.trustees = {str(t.get("name")) for t in listed if isinstance(t, dict)}

    def trust(self, election: Election) -> list[TrustRoles]:
        """Each mission's roles as witness and trustee, cross-checked against the definition's
        witnesses and the key ceremony; a declaration naming neither is a problem."""
        witnesses = [(w.name, w.key) for w in election.witnesses]
        return [trust_roles(m, witnesses, self.trustees) for m in self.state.missions.values()]

    @property
    def present(self) -> bool:
        return bool(self.state.missions)

    def copy_differences(self, protocols: list[Protocol]) -> list[str]:
        """Each protocol copy that differs from the station's current published protocol (the
        official one where there is one), line by line."""
        published: dict[tuple[str, str], Protocol] = {}
        for p in protocols:
            slot = (p.station_id, p.contest_id)
            if slot not in published or p.kind.value == "official":
                published[slot] = p
        out = []
        for copy in self.state.copies:
            held = published.get((copy.station, copy.contest))
            if held is None:
                out.append(f"station {copy.station} {copy.contest}: {copy.mission}/{copy.observer}"
                           f" holds a copy (log entry {copy.index}); no protocol is published")  # fmt: skip
                continue
            diffs = compare_copy(copy.figures, protocol_figures(held))
            if diffs:
                out.append(f"station {copy.station} {copy.contest}: the copy of "
                           f"{copy.mission}/{copy.observer} (log entry {copy.index}) differs from "
                           f"the published protocol — " + "; ".join(diffs))  # fmt: skip
        return out

    def summary(self) -> str:
        s = self.state
        published = sum(1 for o in s.observations.values() if o.published is not None)
        return (f"{len(s.missions)} missions, {len(s.observers)} observers, {len(s.plans)} plans "
                f"redrawn, {len(s.observations)} observations ({published} published), "
                f"{len(s.copies)} protocol copies")  # fmt: skip
