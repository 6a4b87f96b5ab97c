"""A manipulated variant of a simulated election: votes shifted at a tenth of the stations.

The commission (holding its station's device, so the protocol is validly signed) writes votes of
one party for another into the official protocol of the list contest at a tenth of the stations,
by the least amount per station that moves a seat. The paper is unchanged: what the audit boards
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
    home = sorted(s for s in official if not sim.election.place(s).station.abroad)  # type: ignore[union-attr]
    rng = random.Random(seed)
    chosen = sorted(rng.sample(home, max(1, len(home) // 10)))
    totals: dict[str, int] = {}
    for votes, _ in truth.values():
        for o, n in votes.items():
            totals[o] = totals.get(o, 0) + n
    ranked = sorted((o for o in contest.option_ids()), key=lambda o: -totals.get(o, 0))
    to_party, from_party = ranked[0], ranked[1]

    def batches(k: int) -> list[Batch]:
        out = []
        for s, (votes, invalid) in truth.items():
            v = dict(votes)
            if s in chosen:
                moved = min(k, v[from_party])
                v[from_party] -= moved
                v[to_party] += moved
            out.append(Batch(s, regions[s], v, invalid))
        return out

    honest = report(contest, batches(0)).allocation.as_dict()
    k = next(
        (k for k in range(1, 2000) if report(contest, batches(k)).allocation.as_dict() != honest), 0
    )
    if not k:
        raise ValueError("no shift at a tenth of the stations moves a seat")
    subs = list(sim.submissions)
    for s in chosen:
        index, env = official[s]
        doc = dict(env["protocol"])
        votes = dict(doc["votes"])
        moved = min(k, votes[from_party])
        votes[from_party] -= moved
        votes[to_party] += moved
        doc["votes"] = votes
        subs[index] = (
            subs[index][0],
            _envelope(doc, env["device"], _key(sim.profile, env["device"])),
        )
    return Manipulation(
        replace(sim, submissions=tuple(subs)), tuple(chosen), k, from_party, to_party, truth
    )
