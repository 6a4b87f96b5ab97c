"""Observer missions in a simulated election: an ODIHR-style mission (LTOs; STOs in teams of two,
each team visiting its drawn stations with one form a station), a CIS-style one, a domestic group
running a parallel vote tabulation from protocol copies at a stratified NDI-sized sample, and a
party's agents at the stations where it has people. Planted: the stuffed stations of the generator
(the agents there report it) and a protocol altered after the count at one sampled station (the
copy handed to the domestic observer differs from the published one). Every key is derived from
the simulation's seed here; in a real election each lives on its holder's device.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.domain.definition import ContestKind
from achyk.observers import signing as sig
from achyk.observers.deployment import ABROAD, draw
from achyk.observers.fold import COPY_FIELDS
from achyk.observers.forms import Assessment, Incident
from achyk.observers.model import MissionKind, Role
from achyk.observers.moves import lto_draw
from achyk.observers.pvt import Estimate, ratio_estimate, sample_stations, sample_voters
from achyk.services.observers.record import Logged, election_strata, record_many
from achyk.services.remote.simulation import TRUSTEES
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import SimElection
from achyk.store.database import Database
from achyk.store.repositories import Protocols


@dataclass(frozen=True)
class Sizes:
    lto: int = 30
    sto: int = 300  # in teams of two
    cis: int = 150  # in teams of two
    per_team: int = 10  # stations a team visits
    pvt_margin: float = 0.003  # ±0.3 points at 99 %
    agents: int = 40


SMALL_SIZES = Sizes(lto=4, sto=20, cis=10, per_team=3, pvt_margin=0.005, agents=6)


@dataclass(frozen=True)
class MissionRun:
    id: str
    kind: str
    observers: int
    teams: int
    stations_planned: int
    observations: int
    published: int
    copies: int


@dataclass(frozen=True)
class ObserversRun:
    missions: tuple[MissionRun, ...]
    stuffed: tuple[str, ...]
    stuffing_reported: tuple[str, ...]  # stations where an agent or a team reported stuffing
    altered: str  # the station whose published protocol was altered after the count
    contest: str
    party: str  # the party the PVT estimates
    pvt: Estimate
    official: float  # the party's official share, the altered protocol left out


def _key(sim: SimElection, *parts: str) -> Ed25519PrivateKey:
    return private_key_from_seed(
        "/".join(("achyk-sim-observers", sim.profile.name, *parts)).encode()
    )


def _ok(results: list[Logged]) -> list[int]:
    bad = [r.refused for r in results if r.index is None]
    assert not bad, bad[:3]
    return [r.index for r in results if r.index is not None]


class _Mission:
    def __init__(
        self, db: Database, sim: SimElection, mid: str, kind: MissionKind, name: str,
        trustee: str | None = None,
    ) -> None:  # fmt: skip
        self.db, self.sim, self.id, self.kind = db, sim, mid, kind
        self.key = _key(sim, mid)
        self.observers: dict[str, tuple[Role, str | None, Ed25519PrivateKey]] = {}
        self.pending: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (envelope, content)
        self.copies: list[dict[str, Any]] = []
        self.planned = 0
        cec = private_key_from_seed(sim.authority_seed)
        _ok(record_many(db, sim.election.id, "mission-accreditation", [
            sig.accreditation(cec, "cec", mid, kind.value, name, public_key_b64(self.key),
                              trustee=trustee)
        ]))  # fmt: skip

    def register(self, people: list[tuple[str, Role, str | None]]) -> None:
        envelopes = []
        for pseudonym, role, team in people:
            key = _key(self.sim, self.id, pseudonym)
            self.observers[pseudonym] = (role, team, key)
            envelopes.append(sig.registration(self.key, self.id, pseudonym, role.value, team, key,
                                              ("ru", "en")))  # fmt: skip
        _ok(record_many(self.db, self.sim.election.id, "observer-registration", envelopes))

    def plan(self, per_team: int) -> dict[str, tuple[str, ...]]:
        teams = sorted({t for _, t, _ in self.observers.values() if t is not None})
        # A fixed seed, so that a simulation (and its tests) are the same on every run and database.
        # A real mission takes public randomness it cannot pick after registering its teams — the
        # log's checkpoint root at that moment, say — and anyone redraws the plan from it.
        seed = f"{self.id}/{self.sim.profile.name}/{self.sim.profile.seed}"
        plan = draw(seed, teams, election_strata(self.sim.election), per_team)
        _ok(record_many(self.db, self.sim.election.id, "deployment-plan",
                        [sig.plan_entry(self.key, self.id, plan)]))  # fmt: skip
        self.planned = len(plan.stations())
        return plan.assignments

    def areas(self) -> dict[str, tuple[str, ...]]:
        """The LTOs' areas of responsibility, drawn from the mission's seed over the regions."""
        ltos = sorted(p for p, (r, _, _) in self.observers.items() if r is Role.LTO)
        regions = sorted(h for h in election_strata(self.sim.election) if h != ABROAD)
        seed = f"{self.id}/lto/{self.sim.profile.name}/{self.sim.profile.seed}"
        drawn = lto_draw(seed, ltos, regions)
        _ok(record_many(self.db, self.sim.election.id, "lto-areas",
                        [sig.lto_areas(self.key, self.id, drawn, seed)]))  # fmt: skip
        return drawn

    def own_forms(self, forms: list[dict[str, Any]]) -> None:
        _ok(record_many(self.db, self.sim.election.id, "mission-forms",
                        [sig.mission_forms(self.key, self.id, forms)]))  # fmt: skip

    def move(self, pseudonym: str, origin: str, target: str, reason: str) -> None:
        key = self.observers[pseudonym][2]
        _ok(record_many(self.db, self.sim.election.id, "station-change",
                        [sig.station_change(key, self.id, pseudonym, origin, target, reason)]))  # fmt: skip

    def members(self, team: str) -> list[str]:
        return sorted(p for p, (_, t, _) in self.observers.items() if t == team)

    def observe(self, pseudonym: str, station: str, form: str, answers: dict[str, Any]) -> None:
        content = {"answers": answers, "evidence": []}
        key = self.observers[pseudonym][2]
        envelope = sig.observation(key, self.id, pseudonym, station, form, content)
        self.pending.append((envelope, content))

    def copy(self, pseudonym: str, station: str, contest: str, figures: dict[str, Any]) -> None:
        key = self.observers[pseudonym][2]
        self.copies.append(sig.protocol_copy(key, self.id, pseudonym, station, contest, figures))

    def send_and_publish(self) -> MissionRun:
        eid = self.sim.election.id
        indexes = _ok(record_many(self.db, eid, "observation", [e for e, _ in self.pending]))
        publications = [sig.publication(self.key, self.id, i, c)
                        for i, (_, c) in zip(indexes, self.pending, strict=True)]  # fmt: skip
        published = _ok(record_many(self.db, eid, "observation-content", publications))
        copies = _ok(record_many(self.db, eid, "protocol-copy", self.copies))
        teams = {t for _, t, _ in self.observers.values() if t is not None}
        return MissionRun(self.id, self.kind.value, len(self.observers), len(teams), self.planned,
                          len(indexes), len(published), len(copies))  # fmt: skip


def _four(ru: str, ky: str, kk: str, en: str) -> dict[str, str]:
    return {"ru": ru, "ky": ky, "kk": kk, "en": en}


# The domestic group's own question (the queue at 20:00, when the law lets those in line vote).
QUEUE_FORM: dict[str, Any] = {
    "id": "queue", "title": _four("Очередь при закрытии", "Жабылгандагы кезек",
                                  "Жабылған кездегі кезек", "Queue at closing"),
    "questions": [
        {"id": "queue_at_close", "kind": "number",
         "label": _four("Сколько избирателей стояло в очереди в 20:00?",
                        "Саат 20:00дө кезекте канча шайлоочу турду?",
                        "Сағат 20:00-де кезекте қанша сайлаушы тұрды?",
                        "How many voters were in line at 20:00?")},
        {"id": "queue_voted", "kind": "number",
         "label": _four("Сколько из них проголосовало?", "Алардын канчасы добуш берди?",
                        "Олардың қаншасы дауыс берді?", "How many of them voted?")},
    ],
    "checks": [{"left": "queue_voted", "right": "queue_at_close",
                "message": _four("проголосовало больше, чем стояло в очереди",
                                 "кезекте тургандан көбү добуш берди",
                                 "кезекте тұрғаннан көбі дауыс берді",
                                 "more voted than were in line")}],
}  # fmt: skip


def simulate_observers(
    db: Database, sim: SimElection, sizes: Sizes | None = None, pending: Sequence[bytes] = ()
) -> ObserversRun:
    """`pending`: signed protocols counted at their stations that the commission has not
    received yet (the demo holds some back, to transmit them over HTTP once it serves): the
    observers there saw them counted and copy them all the same."""
    sizes = sizes or (SMALL_SIZES if sim.profile.name == "small" else Sizes())
    election = sim.election
    rng = random.Random(sim.profile.seed * 31 + 12)
    contest = next(c for c in election.contests if c.kind is ContestKind.PARTY_LIST)
    official = _official(db, election.id, contest.id, pending)
    stuffed = sim.anomalies.get("stuffing", ())
    reported: set[str] = set()

    def forms(m: _Mission, team: str, stations: tuple[str, ...], tone: float) -> None:
        who = m.members(team)
        for n, station in enumerate(stations):
            stage = "opening" if n == 0 else "counting" if n == len(stations) - 1 else "voting"
            observer = who[n % len(who)]
            m.observe(observer, station, stage, _answers(rng, stage, official.get(station), tone,
                                                         station in stuffed))  # fmt: skip
            if station in stuffed:
                m.observe(observer, station, "incident", _incident(Incident.BALLOT_STUFFING))
                reported.add(station)

    runs = []
    odihr = _Mission(
        db,
        sim,
        "odihr",
        MissionKind.INTERNATIONAL,
        "OSCE/ODIHR Election Observation Mission",
        trustee=TRUSTEES[3],  # the remote-voting key ceremony's trustee, declared by the CEC
    )
    odihr.register(
        [(f"core-{i:02}", Role.CORE, None) for i in range(1, 11)]
        + [(f"lto-{i:02}", Role.LTO, None) for i in range(1, sizes.lto + 1)]
        + [(f"sto-{i:03}", Role.STO, f"team-{(i + 1) // 2:03}") for i in range(1, sizes.sto + 1)]
    )  # fmt: skip
    odihr.areas()
    odihr_plan = odihr.plan(sizes.per_team)
    strata = election_strata(election)
    stratum_of = {s: h for h, ids in strata.items() for s in ids}
    drawn_by_odihr = {s for stations in odihr_plan.values() for s in stations}
    for n, (team, stations) in enumerate(odihr_plan.items()):
        last = stations[-1]
        if n == 0 and last not in stuffed:
            # The first team cannot reach its last station and counts at an undrawn one of the same
            # region instead: signed by the observer, on the log, counted in the coverage.
            target = next(s for s in sorted(strata[stratum_of[last]]) if s not in drawn_by_odihr)
            odihr.move(odihr.members(team)[0], last, target, "the road to the station is closed")
            stations = (*stations[:-1], target)
        forms(odihr, team, stations, 0.88)
    runs.append(odihr.send_and_publish())

    cis = _Mission(db, sim, "cis", MissionKind.CIS, "CIS Observer Mission", trustee=TRUSTEES[4])
    cis.register([(f"cis-{i:03}", Role.STO, f"cis-team-{(i + 1) // 2:03}")
                  for i in range(1, sizes.cis + 1)])  # fmt: skip
    for team, stations in cis.plan(sizes.per_team).items():
        forms(cis, team, stations, 0.98)
    runs.append(cis.send_and_publish())

    # The domestic group: a PVT sample sized with NDI's formula, one observer a sampled station.
    places = [s for ids in strata.values() for s in ids]
    registered = {p.station.id: p.station.registered_voters for p in election.stations()}
    voters = sum(registered[s] for s in places)
    k = sample_stations(sample_voters(voters, sizes.pvt_margin, 99), max(1, voters // len(places)))
    dom = _Mission(db, sim, "taza", MissionKind.DOMESTIC, "Taza Shailoo (domestic observers)")
    dom.register(
        [(f"d-{i:04}", Role.DOMESTIC, f"d-{i:04}") for i in range(1, min(k, len(places)) + 1)]
    )
    sample = dom.plan(1)
    dom.own_forms([QUEUE_FORM])  # its one question of its own, beside the standard forms
    drawn = sorted(s for stations in sample.values() for s in stations)
    altered = next(s for s in drawn if s not in stuffed and not election.place(s).station.abroad)  # type: ignore[union-attr]
    totals: dict[str, int] = {}
    for doc in official.values():
        for option, v in doc["votes"].items():
            totals[option] = totals.get(option, 0) + v
    party = max(totals, key=lambda o: totals[o])
    names = {o.id: o.name for o in contest.options}
    clusters: dict[str, list[tuple[float, float]]] = {h: [] for h in strata}
    for team, (station,) in sample.items():
        figures = {k: official[station][k] for k in COPY_FIELDS} | {
            "votes": dict(official[station]["votes"])
        }
        if station == altered:
            # The count gave the runner-up these votes; the protocol published moved them to the
            # leading party after the station had signed and handed out its copies.
            runner = max(
                (o for o in figures["votes"] if o != party), key=lambda o: figures["votes"][o]
            )
            moved = max(1, figures["votes"][party] // 3)
            figures["votes"][party] -= moved
            figures["votes"][runner] += moved
        dom.copy(team, station, contest.id, figures)
        dom.observe(team, station, "counting", _answers(rng, "counting", official[station], 0.9,
                                                         station in stuffed))  # fmt: skip
        if team == min(sample):  # the queue at closing, on the mission's own form
            dom.observe(team, station, "queue", {"queue_at_close": 12, "queue_voted": 12})
        clusters[stratum_of[station]].append((figures["votes"][party], figures["valid"]))
    runs.append(dom.send_and_publish())
    estimate = ratio_estimate({h: (len(strata[h]), c) for h, c in clusters.items()}, 95)

    # A party's agents where the party has people: among them the stuffed stations.
    party_mission = _Mission(
        db,
        sim,
        "party-agents",
        MissionKind.PARTY,
        f"Agents of {names.get(_runner_up(totals, party))}",
    )
    home = sorted(s for h, ids in strata.items() if h != "abroad" for s in ids)
    at = list(dict.fromkeys([*stuffed, *rng.sample(home, min(len(home), sizes.agents))]))[
        : sizes.agents + len(stuffed)
    ]
    party_mission.register([(f"agent-{i:03}", Role.AGENT, None) for i in range(1, len(at) + 1)])
    for i, station in enumerate(at, start=1):
        agent = f"agent-{i:03}"
        party_mission.observe(agent, station, "counting", _answers(rng, "counting", official[station], 0.8,
                                                                   station in stuffed))  # fmt: skip
        if station in stuffed:
            party_mission.observe(agent, station, "incident", _incident(Incident.BALLOT_STUFFING))
            reported.add(station)
        party_mission.copy(agent, station, contest.id,
                           {k: official[station][k] for k in COPY_FIELDS} | {"votes": dict(official[station]["votes"])})  # fmt: skip
    runs.append(party_mission.send_and_publish())

    # The official share without the planted alteration: what the PVT of the observers' copies
    # should bracket. (Stuffing happens before the count, so copies and the PVT include it: a PVT
    # checks the tabulation above the stations; the agents' reports catch the stuffing.)
    honest = [d for s, d in official.items() if s != altered]
    share = sum(d["votes"][party] for d in honest) / sum(d["valid"] for d in honest)
    return ObserversRun(tuple(runs), tuple(stuffed), tuple(sorted(reported)), altered, contest.id,
                        party, estimate, share)  # fmt: skip


def _runner_up(totals: dict[str, int], party: str) -> str:
    return max((o for o in totals if o != party), key=lambda o: totals[o])


def _official(
    db: Database, eid: str, contest: str, pending: Sequence[bytes] = ()
) -> dict[str, dict[str, Any]]:
    """Each station's official protocol of the list contest as counted there: the commission's
    current one, else one still `pending` (signed envelopes), else, for a station whose count
    reached the commission only as the scanner's, that preliminary protocol."""
    out: dict[str, dict[str, Any]] = {}
    preliminary: dict[str, dict[str, Any]] = {}
    with db.read() as s:
        for text in Protocols(s).documents(eid):
            doc = json.loads(text)
            if doc.get("contest") == contest and doc.get("kind") == "official":
                out[doc["station"]] = doc
            elif doc.get("contest") == contest and doc.get("kind") == "preliminary":
                preliminary[doc["station"]] = doc
    for raw in pending:
        doc = json.loads(raw).get("protocol", {})
        if doc.get("contest") == contest and doc.get("kind") == "official":
            out.setdefault(doc["station"], doc)
    for station, doc in preliminary.items():
        out.setdefault(station, doc)
    return out


def _assessment(rng: random.Random, tone: float, stuffed: bool) -> str:
    if stuffed:
        return Assessment.VERY_BAD.value
    r = rng.random()
    if r < tone * 0.4:
        return Assessment.VERY_GOOD.value
    if r < tone:
        return Assessment.GOOD.value
    return Assessment.BAD.value if r < tone + (1 - tone) * 0.8 else Assessment.VERY_BAD.value


def _answers(rng: random.Random, stage: str, doc: dict[str, Any] | None, tone: float,
             stuffed: bool) -> dict[str, Any]:  # fmt: skip
    fine: Callable[[], bool] = lambda: rng.random() < 0.5 + tone / 2  # noqa: E731
    hour = {"opening": 7, "voting": rng.randint(9, 17), "counting": 20}[stage]
    a: dict[str, Any] = {"arrival": f"{hour:02}:{rng.randint(0, 29):02}",
                         "departure": f"{hour:02}:{rng.randint(30, 59):02}",
                         "observers_free": fine(), "assessment": _assessment(rng, tone, stuffed)}  # fmt: skip
    if stage == "opening":
        a |= {"opened_on_time": fine(), "boxes_empty_sealed": fine(), "control_paper": fine(),
              "ballots_received": doc["ballots_received"] if doc else 1000}  # fmt: skip
    elif stage == "voting":
        on_list = doc["voters_on_list"] if doc else 1000
        issued = (doc["issued_in_station"] if doc else 400) * rng.randint(30, 90) // 100
        a |= {"voters_on_list": on_list, "ballots_issued": issued, "id_checked": fine(),
              "secrecy": fine(), "group_voting": not fine(), "unauthorised": stuffed or not fine()}  # fmt: skip
    else:
        issued = doc["issued_in_station"] + doc["issued_outside"] if doc else 400
        found = doc["found_mobile"] + doc["found_stationary"] if doc else 400
        a |= {"voters_on_list": doc["voters_on_list"] if doc else 1000,
              "ballots_received": doc["ballots_received"] if doc else 1000,
              "ballots_issued": issued, "ballots_found": found, "unused_cancelled": fine(),
              "control_paper_found": fine(), "protocol_public": fine(), "copy_given": fine()}  # fmt: skip
    return a


def _incident(category: Incident) -> dict[str, Any]:
    return {"time": "19:40", "category": category.value,
            "description": "A bundle of ballots was put into the stationary box; the chair did "
                           "not stop it and the count shows turnout far above the district's."}  # fmt: skip
