"""A mission that is also a witness of the log: the definition names a witness whose key is the
mission's accredited key; the mission cosigns the head checkpoint with that one key, the server
keeps the cosignature, and the missions page and `achyk verify` say the mission is that witness."""

from __future__ import annotations

import dataclasses
import time

import httpx

from achyk.api.app import create_app
from achyk.domain.definition import Witness
from achyk.ledger.cosignature import WitnessKey, cosign
from achyk.observers import signing as sig
from achyk.services.observers.effect import mission_trust
from achyk.services.observers.record import record
from achyk.services.simulation import run_simulation
from achyk.services.witnessing import accept_cosignature, head_checkpoint
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.replay import replay
from live_server import serving
from replayed import definition, evidence, log_entries


def test_a_mission_witnesses_the_log_with_its_own_key(db: Database) -> None:
    sim = generate(SMALL)
    mission_key = private_key_from_seed(b"a mission that also witnesses")
    vkey = WitnessKey.from_private_key("mission.example/witness", mission_key).vkey
    election = dataclasses.replace(sim.election, witnesses=(Witness("Domestic watch", vkey),),
                                   witness_quorum=1)  # fmt: skip
    run_simulation(db, dataclasses.replace(sim, election=election))
    eid = sim.election.id
    cec = private_key_from_seed(sim.authority_seed)
    accredited = record(db, eid, "mission-accreditation", sig.accreditation(
        cec, "cec", "watch", "domestic", "Domestic watch", public_key_b64(mission_key)))  # fmt: skip
    assert accredited.index is not None, accredited.refused
    head = head_checkpoint(db, eid)
    assert head is not None
    line = cosign(head[1], "mission.example/witness", mission_key, int(time.time()))
    cosig = accept_cosignature(db, eid, vkey, line)  # the one key, as the named witness
    assert cosig.witness == "mission.example/witness"
    roles = mission_trust(db, eid)["watch"]
    assert (roles.witness, roles.witness_by, roles.problems) == ("Domestic watch", "key", ())
    with serving(create_app(db=db)) as base:
        page = httpx.get(f"{base}/e/{eid}/missions", params={"lang": "en"}, timeout=60).text
    assert "Witness of the log: Domestic watch (the same key)" in page
    state = replay(log_entries(db, eid), definition(db, eid), evidence(db, eid))
    assert state.problems == []
    assert [(r.mission, r.witness) for r in state.observers.trust(election)] == [
        ("watch", "Domestic watch")
    ]
