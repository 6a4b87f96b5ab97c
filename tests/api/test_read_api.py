"""The public read API over a simulated election: figures equal the tabulation's, OpenAPI is served."""

from __future__ import annotations

from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.services.results import results
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database


def test_results_station_and_openapi(db: Database) -> None:
    sim = generate(SMALL)
    run_simulation(db, sim)
    client = TestClient(create_app(db=db))
    eid = sim.election.id
    assert client.get("/api/elections").json()[0]["id"] == eid
    national = client.get(f"/api/elections/{eid}/results", params={"contest": "list"}).json()
    _, tab = results(db, eid)
    nat = tab.national("list")
    assert nat is not None
    assert national[0]["valid"] == nat.counted.valid
    assert {o["option"]: o["votes"] for o in national[0]["options"]} == dict(nat.counted.votes)
    regions = client.get(
        f"/api/elections/{eid}/results", params={"level": "region", "contest": "list"}
    ).json()
    assert sum(r["valid"] for r in regions) == nat.counted.valid
    sid = sim.anomalies["broken"][0]
    station = client.get(f"/api/elections/{eid}/stations/{sid}").json()
    assert station["rejected_submissions"] == 1
    assert {p["kind"] for p in station["protocols"]} == {"preliminary", "official"}
    # each protocol carries its log entry and an inclusion proof against the served checkpoint
    from base64 import b64decode

    from achyk.ledger import leaf_hash, verify_inclusion

    note = client.get(f"/api/elections/{eid}/log/checkpoint").text.splitlines()
    for p in station["protocols"]:
        entry = client.get(f"/api/elections/{eid}/log/entries/{p['log_entry']}").json()
        assert entry["protocol"] == p["protocol"]
        from achyk.canonical import canonical_json

        verify_inclusion(leaf_hash(canonical_json(entry)), p["log_entry"], p["tree_size"],
                         [bytes.fromhex(h) for h in p["inclusion_proof"]], b64decode(note[2]))  # fmt: skip
    seats = client.get(f"/api/elections/{eid}/seats").json()
    assert sum(seats[0]["seats"].values()) == 20
    assert client.get(f"/api/elections/{eid}/stations/nope").status_code == 404
    assert client.get("/api/elections/nope/results").status_code == 404
    assert "/api/elections/{election_id}/results" in client.get("/openapi.json").json()["paths"]
