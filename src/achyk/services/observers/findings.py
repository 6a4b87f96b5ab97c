"""Missions' findings read from the log and the stored protocols."""

from __future__ import annotations

import json
from typing import Any

from achyk.observers.findings import Coverage, coverage
from achyk.observers.fold import compare_copy
from achyk.observers.pvt import ratio_estimate
from achyk.services.elections import get_election
from achyk.services.observers.record import election_strata, read_observers
from achyk.store.database import Database
from achyk.store.repositories import Protocols


def mission_coverage(db: Database, election_id: str | None = None) -> list[Coverage]:
    election = get_election(db, election_id)
    return coverage(read_observers(db, election.id), election_strata(election))


def copy_flags(db: Database, election_id: str | None = None) -> list[tuple[str, str, list[str]]]:
    """(station, who: mission/observer at log entry N, differences) for each protocol copy that
    differs from the station's current published protocol (the official one where there is one)."""
    election = get_election(db, election_id)
    state = read_observers(db, election.id)
    published: dict[tuple[str, str], dict[str, object]] = {}
    with db.read() as s:
        for text in Protocols(s).documents(election.id):
            doc = json.loads(text)
            slot = (doc["station"], doc["contest"])
            if slot not in published or doc.get("kind") == "official":
                published[slot] = doc
    out = []
    for copy in state.copies:
        doc = published.get((copy.station, copy.contest))
        diffs = ["no protocol is published"] if doc is None else compare_copy(copy.figures, doc)
        if diffs:
            out.append((copy.station, f"{copy.mission}/{copy.observer} (log entry {copy.index})",
                        diffs))  # fmt: skip
    return out


def mission_pvt(db: Database, election_id: str | None = None) -> dict[str, dict[str, float | str]]:
    """For each mission with a plan and protocol copies from its drawn stations: the PVT of the
    official leader's share (ratio estimate over its plan's strata, 95 %) beside the official share
    over all stations."""
    election = get_election(db, election_id)
    state = read_observers(db, election.id)
    strata = election_strata(election)
    official: dict[tuple[str, str], dict[str, Any]] = {}
    with db.read() as s:
        for text in Protocols(s).documents(election.id):
            doc = json.loads(text)
            if doc.get("kind") == "official":
                official[(doc["station"], doc["contest"])] = doc
    out: dict[str, dict[str, float | str]] = {}
    for mid, (_, plan) in state.plans.items():
        drawn = plan.stations()
        copies = [c for c in state.copies if c.mission == mid and c.station in drawn]
        if not copies:
            continue
        contest = copies[0].contest
        docs = [d for (_, c), d in official.items() if c == contest]
        totals: dict[str, int] = {}
        for d in docs:
            for option, v in d["votes"].items():
                totals[option] = totals.get(option, 0) + v
        if not totals:
            continue
        party = max(totals, key=lambda o: totals[o])
        stratum = {st: h for h, ids in strata.items() for st in ids}
        clusters: dict[str, list[tuple[float, float]]] = {}
        for c in copies:
            if c.contest == contest:
                clusters.setdefault(stratum[c.station], []).append(
                    (float(c.figures["votes"].get(party, 0)), float(c.figures["valid"]))
                )
        est = ratio_estimate({h: (len(strata[h]), cl) for h, cl in clusters.items()}, 95)
        share = totals[party] / max(1, sum(d["valid"] for d in docs))
        name = next((o.name for c in election.contests if c.id == contest for o in c.options
                     if o.id == party), party)  # fmt: skip
        out[mid] = {"party": name, "share": est.share, "moe": est.moe, "stations": est.stations,
                    "official": share, "inside": "yes" if est.covers(share) else "no"}  # fmt: skip
    return out


def station_copy_flags(db: Database, election_id: str, station: str) -> list[tuple[str, list[str]]]:
    """`copy_flags` for one station, reading only its own protocols (the station page)."""
    state = read_observers(db, election_id)
    copies = [c for c in state.copies if c.station == station]
    if not copies:
        return []
    published: dict[str, dict[str, Any]] = {}
    with db.read() as s:
        for p in Protocols(s).for_station(election_id, station):
            doc = json.loads(p.document)
            if doc["contest"] not in published or doc.get("kind") == "official":
                published[doc["contest"]] = doc
    out = []
    for copy in copies:
        doc = published.get(copy.contest)
        diffs = ["no protocol is published"] if doc is None else compare_copy(copy.figures, doc)
        if diffs:
            out.append((f"{copy.mission}/{copy.observer} (log entry {copy.index})", diffs))
    return out
