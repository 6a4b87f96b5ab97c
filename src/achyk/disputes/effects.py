"""What the docket does to the results: annulled stations, and certifications that must wait.

An annulment takes effect when the body logs it `executed`: from then on the station's result is
out of every total above it (`achyk.domain.annulment`). An annulment once executed stands; the
record has no step that restores a station (a later decision on appeal is shown with the case,
and a new annulment or recount would have to be decided on its own complaint).

A contest's certification waits while a challenge that affects it is pending (KG Constitutional
Law of 2 July 2011 No 68, art. 55(3): while voting returns are appealed in court the CEC waits for
the final word; KZ Constitutional Law No 2464, art. 20: a constitutional challenge of the Mäjilis
results). A complaint about a station affects the contests that station votes in; one about a
commission's act or the whole election affects every contest. It is pending while it is
`Case.pending`: not closed, found invalid or executed, and not decided without an order.
"""

from __future__ import annotations

from achyk.disputes.lifecycle import Docket
from achyk.disputes.model import Decision, Status
from achyk.domain.annulment import Annulment
from achyk.domain.definition import Election


def annulments(docket: Docket) -> dict[str, Annulment]:
    """Every station whose annulment was executed, by station, the first executed one kept."""
    out: dict[str, Annulment] = {}
    for case in sorted(docket.cases.values(), key=lambda c: c.complaint.index):
        station = case.complaint.station
        decided: tuple[int, str] | None = None
        for step in case.steps:
            if step.status is Status.DECIDED:
                decided = (step.index, step.authority) if step.decision is Decision.ANNUL else None
            elif step.status is Status.EXECUTED and decided is not None and station is not None:
                found = Annulment(station, case.complaint.index, decided[0], step.index, decided[1])
                held = out.get(station)
                if held is None or found.executed < held.executed:
                    out[station] = found
                break
    return out


def waiting(docket: Docket, election: Election) -> dict[str, str]:
    """Contest id → why its certification waits, for every contest a pending complaint affects."""
    pending: dict[str, list[str]] = {}
    for case in sorted(docket.cases.values(), key=lambda c: c.complaint.index):
        if not case.pending:
            continue
        station = case.complaint.station
        place = election.place(station) if station is not None else None
        for contest in election.contests:
            if place is None or contest.covers(place.district_id):
                pending.setdefault(contest.id, []).append(
                    f"{case.complaint.index} (before the {case.body.value})"
                )
    return {
        cid: "certification waits for the pending complaints " + ", ".join(items)
        for cid, items in pending.items()
    }
