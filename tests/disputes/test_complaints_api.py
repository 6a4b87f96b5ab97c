"""The complaints API over real HTTP: a signed observer's complaint with a photo, a body's signed
step, refusals answered 422 with reasons and kept, the register as JSON and CSV."""

from __future__ import annotations

import base64
import csv
import hashlib
import io

import httpx

from achyk.api.app import create_app
from achyk.disputes.lifecycle import COMPLAINT_PURPOSE, signed_step
from achyk.disputes.model import Status
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64, sign
from achyk.sim.generator import body_key, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from live_server import serving


def test_file_sign_step_and_read_the_register(db: Database) -> None:
    sim = generate(SMALL)
    run_simulation(db, sim)
    eid = sim.election.id
    station = next(iter(sim.election.stations())).station.id
    place = sim.election.place(station)
    assert place is not None
    observer = private_key_from_seed(b"an observer's own key, on her own phone")
    photo = b"\x89PNG\r\n\x1a\n not really a photo"
    doc = {"filer": "observer", "subject": "station", "station": station,
           "category": "observers-obstructed", "facts": "Asked to leave before the count.",
           "body": "territorial", "filer_key": public_key_b64(observer)}  # fmt: skip
    signed = {**doc, "election": eid, "evidence": [hashlib.sha256(photo).hexdigest()]}
    doc["signature"] = sign(observer, COMPLAINT_PURPOSE, signed)
    evidence = [{"name": "door.png", "media_type": "image/png",
                 "content_base64": base64.b64encode(photo).decode()}]  # fmt: skip
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base) as http:
        url = f"/api/elections/{eid}/complaints"
        filed = http.post(url, json={**doc, "evidence": evidence})
        assert filed.status_code == 200, filed.text
        index = filed.json()["log_entry"]
        # the same complaint with the facts changed no longer carries the observer's signature
        forged = http.post(url, json={**doc, "facts": "Something else.", "evidence": evidence})
        assert forged.status_code == 422 and "signature" in forged.json()["reasons"][0].lower()
        tec = f"tec-{place.region_id}"
        step = signed_step(body_key(SMALL, tec), eid, tec, index, Status.REGISTERED, "registered")
        assert http.post(url + "/steps", json=step).status_code == 200
        again = http.post(url + "/steps", json=step)  # a second 'registered' is out of order
        assert again.status_code == 422 and "cannot become registered" in again.json()["reasons"][0]
        rows = http.get(url).json()
        assert [(r["complaint"], r["status"], r["before"]) for r in rows] == [
            (index, "registered", "territorial")
        ]
        table = list(csv.DictReader(io.StringIO(http.get(url + ".csv").text)))
        assert (
            table[0]["complaint"] == str(index) and table[0]["category"] == "observers-obstructed"
        )
        assert http.get("/api/elections/nope/complaints").status_code == 404
