"""A mission's own area over real HTTP, on both databases: admins and analysts registered by
memberships the mission signed, every request signed by the member's own key; mission B cannot read
mission A's unpublished forms or drafts, an observer cannot act as an analyst, a replayed or forged
request is refused; the analysts draft a statement from data the server could not publish, edit it,
and the mission issues it signed with its own key (the server never had it)."""

from __future__ import annotations

import json
import secrets
import time
from io import BytesIO

import httpx
import pytest
from pypdf import PdfReader

from achyk.api.app import create_app
from achyk.observers import signing as sig
from achyk.observers.members import member_request_headers, membership
from achyk.services.observers.record import read_observers, record
from achyk.services.observers.simulation import _key, simulate_observers
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import SimElection, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from live_server import serving


class Client:
    """A member's side: signs each request with the member's own key."""

    def __init__(self, http: httpx.Client, key: object, name: str) -> None:
        self.http, self.key, self.name = http, key, name

    def send(self, method: str, path: str, body: object = None) -> httpx.Response:
        raw = b"" if body is None else json.dumps(body).encode()
        headers = member_request_headers(self.key, self.name, method, path, raw,  # type: ignore[arg-type]
                                         str(int(time.time())), secrets.token_hex(8))  # fmt: skip
        return self.http.request(method, path, content=raw, headers=headers)


@pytest.fixture
def election(db: Database) -> tuple[Database, SimElection]:
    sim = generate(SMALL)
    run_simulation(db, sim)
    simulate_observers(db, sim)
    return db, sim


def test_roles_and_isolation_of_a_missions_area(election: tuple[Database, SimElection]) -> None:
    db, sim = election
    eid = sim.election.id
    odihr, cis = _key(sim, "odihr"), _key(sim, "cis")
    admin, analyst = private_key_from_seed(b"odihr admin"), private_key_from_seed(b"odihr analyst")
    cis_analyst = private_key_from_seed(b"cis analyst")
    sto = "sto-001"
    sto_key = _key(sim, "odihr", sto)
    # An STO's form, signed and logged (its hash), its content not published.
    station = next(o.station for o in read_observers(db, eid).observations.values()
                   if o.mission == "odihr" and o.observer == sto)  # fmt: skip
    content = {"answers": {"time": "15:10", "category": "carousel-voting",
                           "description": "The same four voters came back twice."}}  # fmt: skip
    logged = record(db, eid, "observation",
                    sig.observation(sto_key, "odihr", sto, station, "incident", content))  # fmt: skip
    assert logged.index is not None
    api = f"/api/elections/{eid}/missions"
    with serving(create_app(db=db)) as base, httpx.Client(base_url=base, timeout=120) as http:
        # Memberships: the admin by the mission's key, the analyst by the admin.
        made = membership(odihr, "odihr", "admin-1", "admin", public_key_b64(admin))
        assert http.post(f"{api}/odihr/members", json=made).json()["role"] == "admin"
        made = membership(admin, "odihr", "analyst-1", "analyst", public_key_b64(analyst),
                          by="admin-1")  # fmt: skip
        assert http.post(f"{api}/odihr/members", json=made).status_code == 200
        made = membership(cis, "cis", "cis-analyst", "analyst", public_key_b64(cis_analyst))
        assert http.post(f"{api}/cis/members", json=made).status_code == 200
        # The operator cannot make one: a membership signed with any other key is refused.
        forged = membership(private_key_from_seed(b"operator"), "odihr", "mole", "analyst",
                            public_key_b64(private_key_from_seed(b"mole")))  # fmt: skip
        refused = http.post(f"{api}/odihr/members", json=forged)
        assert refused.status_code == 422 and "signature" in refused.json()["detail"]
        # An analyst cannot register members; the mission's admin can.
        by_analyst = membership(analyst, "odihr", "x", "analyst", public_key_b64(cis_analyst),
                                by="analyst-1")  # fmt: skip
        assert http.post(f"{api}/odihr/members", json=by_analyst).status_code == 422

        # Each refusal is kept with its reason; the mission's admin reads them, an analyst not.
        kept = Client(http, admin, "admin-1").send("GET", f"{api}/odihr/area/refused").json()
        assert sorted(r["reason"][:40] for r in kept) == sorted([
            refused.json()["detail"].removeprefix("the membership's signature: ")[:40],
            "'analyst-1' is not an admin of odihr: it",
        ])  # fmt: skip
        assert (
            Client(http, analyst, "analyst-1").send("GET", f"{api}/odihr/area/refused").status_code
            == 403
        )
        mine, theirs = Client(http, analyst, "analyst-1"), Client(http, cis_analyst, "cis-analyst")
        observer = Client(http, sto_key, sto)
        area = f"{api}/odihr/area"
        # The observer hands in their form's content; it must be what they signed.
        assert observer.send("PUT", f"{area}/contents/{logged.index}", content).status_code == 200
        wrong = observer.send("PUT", f"{area}/contents/{logged.index}", {"answers": {}})
        assert wrong.status_code == 422 and "hashes to" in wrong.json()["detail"]
        # The mission's analyst reads it; it is not on the public observations list.
        held = mine.send("GET", f"{area}/contents")
        assert held.status_code == 200 and held.json()[str(logged.index)] == content
        public = http.get(f"{api}/odihr/observations").json()
        assert next(r for r in public if r["log_entry"] == logged.index)["content"] is None
        # Mission B's analyst: not a member of A — nothing of A's area.
        assert theirs.send("GET", f"{area}/contents").status_code == 401
        assert (
            theirs.send("POST", f"{area}/drafts/preliminary", {"languages": ["en"]}).status_code
            == 401
        )
        # The observer cannot act as an analyst.
        assert observer.send("GET", f"{area}/contents").status_code == 403
        assert observer.send("POST", f"{area}/drafts/preliminary",
                             {"languages": ["en"]}).status_code == 403  # fmt: skip
        # Unsigned, or a request replayed with its nonce: refused.
        assert http.get(f"{area}/contents").status_code == 422  # the signature headers missing
        raw = b""
        headers = member_request_headers(analyst, "analyst-1", "GET", f"{area}/contents", raw,
                                         str(int(time.time())), "nonce-once-only")  # fmt: skip
        assert http.get(f"{area}/contents", headers=headers).status_code == 200
        again = http.get(f"{area}/contents", headers=headers)
        assert again.status_code == 401 and "replayed" in again.json()["detail"]
        # Signed by another key under the analyst's name.
        assert (
            Client(http, cis_analyst, "analyst-1").send("GET", f"{area}/contents").status_code
            == 401
        )

        # The analysts draft from the mission's data, unpublished forms included, and edit.
        draft = mine.send("POST", f"{area}/drafts/preliminary", {"languages": ["en", "ru"]})
        assert draft.status_code == 200, draft.text
        doc = draft.json()
        incidents = next(s for s in doc["sections"] if s["id"] == "findings/incidents")
        assert any("carousel-voting: 1 reports." in p["en"] for p in incidents["paragraphs"])
        doc["sections"][0]["paragraphs"].append({"en": "Voting was calm.", "ru": "Спокойно."})
        assert mine.send("PUT", f"{area}/drafts/preliminary", doc).status_code == 200
        assert mine.send("GET", f"{area}/drafts/preliminary").json() == doc
        assert theirs.send("GET", f"{area}/drafts/preliminary").status_code == 401

        # Issued on the mission's machine: signed with its key, then logged and public.
        issued = http.post(f"/api/elections/{eid}/observers/mission-statement",
                           json=sig.mission_statement(odihr, doc))  # fmt: skip
        assert issued.status_code == 200, issued.text
        index = issued.json()[0]["log_entry"]
        [listed] = http.get(f"{api}/odihr/statements").json()
        assert listed["log_entry"] == index and listed["statement"] == doc
        html = http.get(f"{api}/odihr/statements/{index}.html", params={"lang": "ru"})
        assert html.status_code == 200 and "Спокойно." in html.text
        pdf = http.get(f"{api}/odihr/statements/{index}.pdf", params={"lang": "en"})
        assert pdf.headers["content-type"] == "application/pdf"
        reader = PdfReader(BytesIO(pdf.content))
        text = " ".join(p.extract_text() for p in reader.pages)
        assert len(reader.pages) >= 1 and "Voting was calm." in text
        # The public figures: observed vs unobserved, coverage by region, roles.
        effects = http.get(f"{api}/effects").json()
        odihr_fx = effects["odihr"]
        assert [d["metric"] for d in odihr_fx["effect"]["differences"]] == ["turnout",
                                                                          "leader_share"]  # fmt: skip
        assert sum(r["assigned"] for r in odihr_fx["regions"]) == 30  # 10 teams × 3 stations
        assert odihr_fx["trust"]["trustee"] == "OSCE/ODIHR election observation mission"
        # Signed by the CIS mission's key as ODIHR's statement: refused, named, kept.
        forged = http.post(f"/api/elections/{eid}/observers/mission-statement",
                           json=sig.mission_statement(cis, doc))  # fmt: skip
        assert forged.status_code == 422
        assert "not signed by the accredited key of mission odihr" in forged.json()[0]["reasons"][0]
