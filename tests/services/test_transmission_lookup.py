"""The writer's lookup of answers already given: exactly the (device, nonce) pairs asked for.

On SQLite the lookup probes the (device, nonce) index once per pair (not every device with every
nonce); a device's other nonces, or another device's use of the same nonce, are never an answer.
"""

from __future__ import annotations

import json

from achyk.formats.definition import election_from_document, election_to_document
from achyk.services.elections import load_election
from achyk.store.database import Database
from achyk.store.transmission_models import add_transmissions, find_transmissions
from factories import election


def _row(election_id: str, device: str, nonce: str, status: int) -> dict[str, object]:
    return {"election_id": election_id, "station_id": "s", "device_id": device, "nonce": nonce,
            "request_sha256": f"{device}:{nonce}", "status": status,
            "answer": json.dumps({"n": nonce}), "refused": None}  # fmt: skip


def test_finds_exactly_the_pairs_asked_for(db: Database) -> None:
    e = election_from_document(election_to_document(election()))
    load_election(db, e)
    devices = [f"dev-{i}" for i in range(30)]
    stored = [(d, f"nonce-{d}-{k}") for d in devices for k in range(3)]
    stored.append(("dev-0", "nonce-shared"))
    with db.session() as s:
        add_transmissions(s, [_row(e.id, d, n, 201) for d, n in stored])
    # Asked: some stored pairs, a device with a nonce another device used, and pairs whose
    # device and nonce were each stored, but never together (a cross product would find them).
    asked = [stored[i] for i in range(0, len(stored), 4)]
    asked += [("dev-1", "nonce-shared"), ("dev-2", "nonce-dev-3-0"), ("dev-5", "missing")]
    asked += asked[:3]  # a request sent twice in one group
    asked *= 5  # more than one statement's worth (400 pairs a statement)
    with db.read() as s:
        found = find_transmissions(s, asked)
    expected = {pair for pair in asked if pair in set(stored)}
    assert set(found) == expected
    assert all(found[(d, n)] == (f"{d}:{n}", 201, json.dumps({"n": n})) for d, n in expected)
    with db.read() as s:
        assert find_transmissions(s, []) == {}
