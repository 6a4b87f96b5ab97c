"""Observer missions on the log, on SQLite and PostgreSQL: the chain of trust CEC → mission →
observer checked before anything is logged (refusals kept as evidence), the deployment plan redrawn,
published content matched to the hash signed at submission, and `achyk verify`'s replay re-judging
what was logged — including entries an operator holding the log key appended anyway."""

from __future__ import annotations

import json

import pytest

from achyk.observers import signing as sig
from achyk.observers.deployment import draw
from achyk.observers.model import MissionKind, Role
from achyk.services.ledger import append_entries
from achyk.services.observers.record import election_strata, read_observers, record, record_many
from achyk.services.observers.simulation import simulate_observers
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import SimElection, body_key, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.repositories import Rejections
from achyk.verify.replay import replay
from replayed import definition, evidence, log_entries


@pytest.fixture
def election(db: Database) -> tuple[Database, SimElection]:
    sim = generate(SMALL)
    run_simulation(db, sim)
    return db, sim


_log, _evidence, _definition = log_entries, evidence, definition


CEC = private_key_from_seed(b"unused")  # replaced per test by the simulation's CEC key


def _mission(db: Database, sim: SimElection, mid: str = "m1") -> tuple[object, list[object]]:
    cec = private_key_from_seed(sim.authority_seed)
    mkey = private_key_from_seed(f"mission/{mid}".encode())
    done = record(db, sim.election.id, "mission-accreditation",
                  sig.accreditation(cec, "cec", mid, "international", "A mission", public_key_b64(mkey)))  # fmt: skip
    assert done.index is not None, done.refused
    keys = [private_key_from_seed(f"{mid}/o{i}".encode()) for i in range(4)]
    regs = [
        sig.registration(mkey, mid, f"o{i}", Role.STO.value, f"t{i // 2}", keys[i])
        for i in range(4)
    ]
    assert all(
        r.index is not None for r in record_many(db, sim.election.id, "observer-registration", regs)
    )
    return mkey, keys


def test_the_simulated_missions_find_the_planted_problems(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    run = simulate_observers(db, sim)
    kinds = {m.kind: m for m in run.missions}
    assert set(kinds) == {
        MissionKind.INTERNATIONAL,
        MissionKind.CIS,
        MissionKind.DOMESTIC,
        MissionKind.PARTY,
    }
    assert kinds["international"].observers == 10 + 4 + 20 and kinds["international"].teams == 10
    assert all(m.published == m.observations for m in run.missions)
    assert set(run.stuffed) <= set(run.stuffing_reported)
    # The PVT of the honest count brackets the official share over the same stations.
    assert run.pvt.covers(run.official), (run.pvt, run.official)
    state = replay(_log(db, eid), _definition(db, eid), _evidence(db, eid))
    assert state.problems == []
    flagged = state.observers.copy_differences(state.protocols())
    assert len(flagged) == 1 and f"station {run.altered} " in flagged[0]
    assert f"votes for {run.party}: copy" in flagged[0]


def test_an_accreditation_not_signed_by_the_cec_is_refused_and_kept(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    mkey = private_key_from_seed(b"m")
    tec = sim.election.authorities[1]  # a territorial commission: not competent to accredit
    envelope = sig.accreditation(
        body_key(SMALL, tec.id), tec.id, "m", "international", "M", public_key_b64(mkey)
    )
    refused = record(db, eid, "mission-accreditation", envelope)
    assert refused.index is None and "cannot accredit" in refused.refused[0]
    forged = sig.accreditation(
        body_key(SMALL, tec.id), "cec", "m", "international", "M", public_key_b64(mkey)
    )
    refused = record(db, eid, "mission-accreditation", forged)
    assert refused.index is None and "signature does not verify" in refused.refused[0]
    with db.read() as s:
        kept = [r for r in Rejections(s).for_election(eid) if r.source == "mission-accreditation"]
        assert len(kept) == 2 and kept[0].reasons


def test_only_the_mission_registers_and_only_the_observer_signs(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    mkey, keys = _mission(db, sim)
    intruder = private_key_from_seed(b"intruder")
    bad = record(db, eid, "observer-registration",
                 sig.registration(intruder, "m1", "ghost", "sto", "t9", intruder))  # fmt: skip
    assert bad.index is None and "signature does not verify" in bad.refused[0]
    station = next(iter(election_strata(sim.election).values()))[0]
    content = {"answers": {"time": "10:00", "category": "carousel-voting", "description": "x"}}
    as_o0_by_o1 = sig.observation(keys[1], "m1", "o0", station, "incident", content)
    bad = record(db, eid, "observation", as_o0_by_o1)
    assert bad.index is None and "signature does not verify" in bad.refused[0]
    good = record(
        db, eid, "observation", sig.observation(keys[0], "m1", "o0", station, "incident", content)
    )
    assert good.index is not None
    # The mission publishes later: the content must be what the observer signed.
    other = {"answers": {**content["answers"], "description": "softened"}}
    bad = record(db, eid, "observation-content", sig.publication(mkey, "m1", good.index, other))  # type: ignore[arg-type]
    assert bad.index is None and "the observer signed" in bad.refused[0]
    ok = record(db, eid, "observation-content", sig.publication(mkey, "m1", good.index, content))  # type: ignore[arg-type]
    assert ok.index is not None
    assert read_observers(db, eid).contents[good.index] == content


def test_a_plan_that_is_not_its_seeds_draw_is_refused(
    election: tuple[Database, SimElection],
) -> None:
    db, sim = election
    eid = sim.election.id
    mkey, _ = _mission(db, sim)
    plan = draw("s", ["t0", "t1"], election_strata(sim.election), 3)
    chosen = dict(plan.assignments)
    team = sorted(chosen)[0]
    chosen[team] = tuple(
        sorted(s for ids in election_strata(sim.election).values() for s in ids)[:3]
    )
    from dataclasses import replace

    bad = record(
        db, eid, "deployment-plan", sig.plan_entry(mkey, "m1", replace(plan, assignments=chosen))
    )  # type: ignore[arg-type]
    assert bad.index is None and "not its seed's draw" in bad.refused[0]
    assert record(db, eid, "deployment-plan", sig.plan_entry(mkey, "m1", plan)).index is not None  # type: ignore[arg-type]


def test_verify_catches_what_an_operator_logs_past_the_checks(
    election: tuple[Database, SimElection],
) -> None:
    """The operator holds the log key, not the mission's: an observer it registers itself, and an
    observation it signs for them, fail the replay."""
    db, sim = election
    eid = sim.election.id
    _mission(db, sim)
    operator = private_key_from_seed(b"operator")
    fake = sig.registration(operator, "m1", "plant", "sto", "t0", operator)
    station = next(iter(election_strata(sim.election).values()))[0]
    with db.session() as s:
        first = append_entries(
            s, eid, [{**fake, "kind": "observer-registration", "election": eid}]
        )[0]
    problems = replay(_log(db, eid), _definition(db, eid), _evidence(db, eid)).problems
    assert any(p.startswith(f"log entry {first}: observer-registration") for p in problems), (
        problems
    )
    assert json.loads(_log(db, eid)[first])["observer"] == "plant"
    assert station  # the station exists; the planted registration alone fails


def test_an_operator_swapping_published_content_is_caught(
    election: tuple[Database, SimElection],
) -> None:
    """Content the mission never published (not what the observer signed), appended straight to the
    log with the log key: the replay names it."""
    db, sim = election
    eid = sim.election.id
    _, keys = _mission(db, sim)
    station = next(iter(election_strata(sim.election).values()))[0]
    content = {"answers": {"time": "09:00", "category": "mobile-box", "description": "unsealed"}}
    obs = record(
        db, eid, "observation", sig.observation(keys[0], "m1", "o0", station, "incident", content)
    )
    assert obs.index is not None
    softened = {"answers": {**content["answers"], "description": "all fine"}}
    operator = private_key_from_seed(b"operator")
    with db.session() as s:
        [bad_pub] = append_entries(s, eid, [{**sig.publication(operator, "m1", obs.index, softened),
                                             "kind": "observation-content", "election": eid}])  # fmt: skip
    problems = replay(_log(db, eid), _definition(db, eid), _evidence(db, eid)).problems
    assert any(p.startswith(f"log entry {bad_pub}: observation-content") for p in problems), (
        problems
    )


def test_three_hundred_submissions_at_once_each_logged_once(db: Database) -> None:
    """Concurrent submissions are grouped into shared transactions: every one logged exactly once,
    in an order the replay accepts, and each caller told its own entry."""
    import threading

    sim = generate(SMALL)
    run_simulation(db, sim)
    eid = sim.election.id
    _, keys = _mission(db, sim)
    stations = sorted(s for ids in election_strata(sim.election).values() for s in ids)
    content = {"answers": {"time": "12:00", "category": "other", "description": "queue"}}
    jobs = [sig.observation(keys[i % 4], "m1", f"o{i % 4}", stations[i % len(stations)], "incident",
                            {**content, "n": i}) for i in range(300)]  # fmt: skip
    got: dict[int, int | None] = {}

    def send(i: int) -> None:
        got[i] = record(db, eid, "observation", jobs[i]).index

    threads = [threading.Thread(target=send, args=(i,)) for i in range(300)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    indexes = [got[i] for i in range(300)]
    assert None not in indexes and len(set(indexes)) == 300
    log = _log(db, eid)
    for i, index in got.items():
        assert index is not None
        assert json.loads(log[index])["signature"] == jobs[i]["signature"]
    assert replay(log, _definition(db, eid), _evidence(db, eid)).problems == []


def _every_hand_count_held_back(db: Database) -> tuple[SimElection, list[bytes]]:
    """The SMALL election simulated as the demo does when it serves: every station's hand count
    held back, to be transmitted later."""
    from achyk.cli.demo import _hold_back

    sim = generate(SMALL)
    sim, held = _hold_back(sim, len(list(sim.election.stations())))
    run_simulation(db, sim)
    return sim, held


def test_observers_copy_hand_counts_the_commission_has_not_received(db: Database) -> None:
    # The demo holds hand counts back, to transmit them over HTTP once it serves: the observers
    # at those stations saw them counted and copy them all the same (the demo's observers phase
    # failed when the domestic sample drew such a station, kg-2025, 2026-12-01).
    sim, held = _every_hand_count_held_back(db)
    run = simulate_observers(db, sim, pending=held)
    copies = [json.loads(raw)["protocol"] for raw in held]
    honest = [d for d in copies if d["contest"] == run.contest and d["station"] != run.altered]
    assert run.official == sum(d["votes"][run.party] for d in honest) / sum(
        d["valid"] for d in honest
    )
    assert run.pvt.covers(run.official), (run.pvt, run.official)


def test_without_the_hand_counts_observers_copy_the_scanners_count(db: Database) -> None:
    sim, _ = _every_hand_count_held_back(db)
    run = simulate_observers(db, sim)  # nothing pending: the preliminary protocols
    assert run.pvt.covers(run.official), (run.pvt, run.official)
