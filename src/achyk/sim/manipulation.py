"""A manipulated variant of a simulated election: votes shifted at a tenth of the stations.

The commission (holding its station's device, so the protocol is validly signed) writes votes of
one party for another into the official protocol of the list contest at a tenth of the stations,
by half as much again as the least amount per station that moves a seat (so that the seat stays
moved when a protocol is refused or a station recounted elsewhere in the demo). The paper is unchanged: what the audit boards
count is the original. The audit must escalate to a full hand count, whose corrections restore
the true seats.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from typing import Any

from achyk.audit.batch import Batch
from achyk.audit.party_list import report
from achyk.sim.generator import SimElection, _envelope, _key


@dataclass(frozen=True)
class Manipulation:
    sim: SimElection  # the submissions as the commissions sent them (manipulated)
    stations: tuple[str, ...]
    per_station: int  # votes moved at each
    from_party: str
    to_party: str
    true_votes: dict[str, tuple[dict[str, int], int]]  # station → the paper: votes, invalid


def _official_list(sim: SimElection) -> dict[str, tuple[int, dict[str, Any]]]:
    out = {}
    for i, (_, raw) in enumerate(sim.submissions):
        env = json.loads(raw)
        doc = env["protocol"]
        if doc["contest"] == "list" and doc["kind"] == "official":
            out[doc["station"]] = (i, env)
    return out


def manipulate(sim: SimElection, seed: int = 2021) -> Manipulation:
    """Move votes from the runner-up list to the leader at a tenth of the home stations."""
    contest = sim.election.contest("list")
    assert contest is not None
    official = _official_list(sim)
    truth = {
        s: (dict(env["protocol"]["votes"]), int(env["protocol"]["invalid"]))
        for s, (_, env) in official.items()
    }
    regions = {p.station.id: p.region_id for p in sim.election.stations()}
    planted = {s for stations in sim.anomalies.values() for s in stations}  # keep them apart
    home = sorted(
        s for s in official
        if not sim.election.place(s).station.abroad and s not in planted  # type: ignore[union-attr]
    )  # fmt: skip
    rng = random.Random(seed)
    everyone_home = [s for s in official if not sim.election.place(s).station.abroad]  # type: ignore[union-attr]
    chosen = sorted(rng.sample(home, max(1, len(everyone_home) // 10)))
    totals: dict[str, int] = {}
    for votes, _ in truth.values():
        for o, n in votes.items():
            totals[o] = totals.get(o, 0) + n
    ranked = sorted((o for o in contest.option_ids()), key=lambda o: -totals.get(o, 0))
    to_party, from_party = ranked[0], ranked[1]

    donors = [from_party, *ranked[2:]]

    def shift(votes: dict[str, int], k: int) -> dict[str, int]:
        """k votes written for the leader, taken from the runner-up, then (once it has none
        left at the station) from the next lists: valid and the control relations stay."""
        v = dict(votes)
        for donor in donors:
            moved = min(k, v[donor])
            v[donor] -= moved
            v[to_party] += moved
            k -= moved
        return v

    def batches(k: int, without: set[str]) -> list[Batch]:
        out = []
        for s, (votes, invalid) in truth.items():
            if s in without:
                continue
            out.append(
                Batch(s, regions[s], shift(votes, k) if s in chosen else dict(votes), invalid)
            )
        return out

    def least_shift(without: set[str]) -> int:
        honest = report(contest, batches(0, without)).allocation.as_dict()
        return next(
            (k for k in range(1, 2000)
             if report(contest, batches(k, without)).allocation.as_dict() != honest), 0,
        )  # fmt: skip

    # with and without the stations of planted anomalies: the demo recounts a stuffed station,
    # and a refused protocol leaves its station out, either of which can undo a bare seat move
    shifts = [least_shift(set()), least_shift(planted)]
    if not all(shifts):
        raise ValueError("no shift at a tenth of the stations moves a seat")
    k = max(shifts)
    k += k // 2
    subs = list(sim.submissions)
    for s in chosen:
        index, env = official[s]
        doc = dict(env["protocol"])
        doc["votes"] = shift(dict(doc["votes"]), k)
        subs[index] = (
            subs[index][0],
            _envelope(doc, env["device"], _key(sim.profile, env["device"])),
        )
    return Manipulation(
        replace(sim, submissions=tuple(subs)), tuple(chosen), k, from_party, to_party, truth
    )
