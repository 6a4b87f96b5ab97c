"""The observer missions API over real HTTP, on both databases: envelopes signed by the CEC, the
mission and the observer logged; a forged one answered 422 with its reason and kept; coverage,
published content and a differing protocol copy read back."""

from __future__ import annotations

import httpx

from achyk.api.app import create_app
from achyk.observers import signing as sig
from achyk.services.observers.record import election_strata
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.repositories import Rejections
from live_server import serving


def test_accredit_register_observe_publish_and_copy(db: Database) -> None:
    sim = generate(SMALL)
    run_simulation(db, sim)
    eid = sim.election.id
    cec = private_key_from_seed(sim.authority_seed)
    mkey, okey = private_key_from_seed(b"mission"), private_key_from_seed(b"observer phone")
    station = next(iter(election_strata(sim.election).values()))[0]
    content = {"answers": {"time": "11:20", "category": "pressure-on-observers",
                           "description": "Told to stand three metres from the table."}}  # fmt: skip
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        api = f"/api/elections/{eid}"
        acc = sig.accreditation(cec, "cec", "watch", "domestic", "Watch", public_key_b64(mkey))
        assert http.post(f"{api}/observers/mission-accreditation", json=acc).status_code == 200
        reg = sig.registration(mkey, "watch", "w1", "domestic", None, okey)
        assert http.post(f"{api}/observers/observer-registration", json=[reg]).status_code == 200
        obs = sig.observation(okey, "watch", "w1", station, "incident", content)
        logged = http.post(f"{api}/observers/observation", json=obs)
        assert logged.status_code == 200, logged.text
        index = logged.json()[0]["log_entry"]
        # Before publication: a hash, no content.
        [row] = http.get(f"{api}/missions/watch/observations").json()
        assert row["content"] is None and row["content_sha256"] == sig.content_sha256(content)
        # An operator (or anyone) signing as the observer with another key: 422, kept.
        forged = sig.observation(
            private_key_from_seed(b"x"), "watch", "w1", station, "incident", content
        )
        refused = http.post(f"{api}/observers/observation", json=forged)
        assert refused.status_code == 422 and "signature" in refused.json()[0]["reasons"][0]
        pub = sig.publication(mkey, "watch", index, content)
        assert http.post(f"{api}/observers/observation-content", json=pub).status_code == 200
        [row] = http.get(f"{api}/missions/watch/observations").json()
        assert row["content"] == content
        # A protocol copy whose figures differ from the published protocol is flagged.
        with db.read() as s:
            import json

            from achyk.store.repositories import Protocols

            doc = next(json.loads(d) for d in Protocols(s).documents(eid)
                       if json.loads(d)["station"] == station and json.loads(d)["kind"] == "official")  # fmt: skip
        figures = {k: doc[k] for k in ("voters_on_list", "ballots_received", "issued_in_station",
                                       "issued_outside", "cancelled", "found_mobile",
                                       "found_stationary", "invalid", "valid")} | {"votes": dict(doc["votes"])}  # fmt: skip
        first = next(iter(figures["votes"]))
        figures["votes"][first] += 5
        copy = sig.protocol_copy(okey, "watch", "w1", station, doc["contest"], figures)
        assert http.post(f"{api}/observers/protocol-copy", json=copy).status_code == 200
        [flag] = http.get(f"{api}/missions/flags").json()
        assert flag["station"] == station and flag["differences"] == [
            f"votes for {first}: copy {doc['votes'][first] + 5}, published {doc['votes'][first]}"
        ]
        [mission] = http.get(f"{api}/missions").json()
        assert mission["visited"] == 1 and mission["incidents"] == {"pressure-on-observers": 1}
        assert http.post(f"{api}/observers/nonsense", json={}).status_code == 404
    with db.read() as s:
        assert [r.source for r in Rejections(s).for_election(eid) if r.source == "observation"] == [
            "observation"
        ]
