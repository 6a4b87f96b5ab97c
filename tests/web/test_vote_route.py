"""The voting page's route: served only where remote voting is set up, with the log key and origin
the browser checks the checkpoint against, and the code it runs; no secret is in the page."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from achyk.api.app import create_app
from achyk.evoting.authority import authority_public_key, new_authority_key
from achyk.services import ledger
from achyk.services.elections import load_election
from achyk.services.remote.simulation import add_remote_unit, simulate_ceremony
from achyk.store.database import Database
from factories import election

EID = "test-2025"


def test_the_vote_page_needs_remote_voting_and_names_the_log_key(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'v.db'}")
    ca = authority_public_key(new_authority_key())
    load_election(db, replace(add_remote_unit(election()), credential_authority=ca))
    client = TestClient(create_app(db=db))
    early = client.get(f"/e/{EID}/vote", params={"lang": "ky"})  # no ceremony yet
    assert early.status_code == 404 and "азырынча даярдала элек" in early.text
    assert "vote.js" not in early.text  # nothing to vote on: no voting code
    assert client.get("/e/no-such-election/vote").status_code == 404
    simulate_ceremony(db, EID, ["CEC"], 1)
    for lang, heading in [("ru", "Голосование из-за рубежа"), ("ky", "Чет өлкөдөн добуш берүү"),
                          ("kk", "Шетелден дауыс беру"), ("en", "Vote from abroad")]:  # fmt: skip
        page = client.get(f"/e/{EID}/vote", params={"lang": lang})
        assert page.status_code == 200 and f"<h1>{heading}</h1>" in page.text
        assert f'data-log-key="{ledger.log_vkey(db, EID)}"' in page.text
        assert f'data-origin="{ledger.log_origin(db, EID)}"' in page.text
        assert 'src="/static/vote.js"' in page.text
    for asset in ("vote.js", "evoting.js"):
        got = client.get(f"/static/{asset}")
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/javascript")
    db.close()
