"""Protocols examined in worker processes and written by one writer are judged exactly as one by
one: the same receipts, the same log, the same refusals with the same reasons, the same totals —
on SQLite and PostgreSQL. And over HTTP from many devices at once, each resend gets its first
answer back word for word."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from achyk.api.app import create_app
from achyk.api.device_checkin import DeviceLimits
from achyk.canonical import canonical_json
from achyk.cli.transmit import SignedRequest, protocol_request, send, sign_protocol
from achyk.domain.submission import parse_envelope
from achyk.domain.tabulation import ballot_order
from achyk.domain.tally import protocol_vector
from achyk.formats.definition_stations import no_cycle_collection
from achyk.ledger import leaf_hash
from achyk.services import elections, ingest
from achyk.services.elections import get_election, load_election
from achyk.services.ingest import Examiners, _examined_or_here, ingest_protocols
from achyk.services.protocols import (
    Examination,
    Outcome,
    Passed,
    Receipt,
    examine_submissions,
    record_device_switch,
    record_examined,
    submit_protocols,
)
from achyk.signing import PROTOCOL_PURPOSE, sign
from achyk.sim.generator import SimElection, device_key, generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.models import RejectionRow, TallyRow
from achyk.store.repositories import Statistics
from factories import device_key as station_key
from factories import election, envelope, protocol_doc
from live_server import serving


def _hostile(sim: SimElection) -> list[tuple[str, bytes]]:
    """The generated arrivals, and the kinds of submission a writer must judge by what it holds:
    a resend (duplicate), a second protocol for a filled slot (conflict), a tampered signature,
    bytes that are not JSON, and a second copy of one protocol inside the same batch."""
    subs = list(sim.submissions)
    source, raw = subs[3]
    envelope, _ = parse_envelope(raw)
    assert envelope is not None
    doc = dict(envelope["protocol"])
    votes = dict(doc["votes"])
    give, take = sorted(votes, key=votes.__getitem__)[-2:]  # one vote moves between two parties
    votes[give], votes[take] = votes[give] + 1, votes[take] - 1
    doc["votes"] = votes
    signed = sign(device_key(SMALL, envelope["device"]), PROTOCOL_PURPOSE, doc)
    other = {**envelope, "protocol": doc, "signature": signed}
    forged = envelope["signature"]
    forged = ("B" if forged[0] == "A" else "A") + forged[1:]
    tampered = json.dumps({**envelope, "signature": forged}).encode()
    return [
        *subs[:40], (f"{source}:again", raw), (f"{source}:same-batch", raw), *subs[40:],
        ("other.json", json.dumps(other).encode()), ("tampered.json", tampered),
        ("junk.json", b"{not json"), (f"{source}:resent", raw),
    ]  # fmt: skip


def _prepare(db: Database, sim: SimElection) -> None:
    load_election(db, sim.election)
    for sw in sim.switches:
        record_device_switch(db, sim.election.id, sw.station_id, sw.from_device, sw.to_device,
                             sw.reason)  # fmt: skip


def _stored(db: Database, election_id: str) -> tuple[list[str], list[Any], list[Any]]:
    with db.read() as s:
        log = LogStore(s, election_id)
        entries = log.entries(0, log.head())
        tallies = sorted(s.execute(select(TallyRow.level, TallyRow.unit_id, TallyRow.contest_id,
                                          TallyRow.figures)).all())  # fmt: skip
        refusals = [(r.log_index, r.station_id, r.source, r.raw, r.reasons) for r in
                    s.scalars(select(RejectionRow).order_by(RejectionRow.log_index))]  # fmt: skip
    return entries, tallies, refusals


def test_parallel_examination_is_judged_as_serial(db: Database, tmp_path: Path) -> None:
    sim = generate(SMALL)
    subs = _hostile(sim)
    serial_db = Database.open(f"sqlite:///{tmp_path}/serial.db")
    try:
        _prepare(serial_db, sim)
        serial: list[Receipt] = []
        for at in range(0, len(subs), 37):
            serial += submit_protocols(serial_db, sim.election.id, subs[at : at + 37])
        _prepare(db, sim)
        parallel = list(ingest_protocols(db, sim.election.id, subs, batch=37, workers=2))
        assert [astuple(r) for r in parallel] == [astuple(r) for r in serial]
        assert _stored(db, sim.election.id) == _stored(serial_db, sim.election.id)
    finally:
        serial_db.close()
    outcomes = {r.source: r for r in parallel}
    source = subs[3][0]
    assert outcomes[f"{source}:again"].outcome.value == "duplicate"
    assert outcomes[f"{source}:same-batch"].outcome.value == "duplicate"
    assert outcomes["other.json"].outcome.value == "conflict"
    assert any("signature" in str(p) for p in outcomes["tampered.json"].problems)
    assert outcomes["junk.json"].problems[0].what.startswith("not-json")
    # every refusal is kept as evidence with its reasons, and is on the log
    refused = [r for r in parallel if r.outcome.value in ("rejected", "conflict")]
    _, _, kept = _stored(db, sim.election.id)
    assert [k[0] for k in kept] == [r.log_index for r in refused]
    assert [json.loads(k[4]) for k in kept] == [[str(p) for p in r.problems] for r in refused]


def test_many_devices_at_once_over_http(db: Database) -> None:
    load_election(db, election())
    app = create_app(db=db)
    app.state.device_limits = DeviceLimits(rate=1000, burst=1000)
    stations = ["1001", "1002", "2001"]
    with serving(app) as url:
        requests: list[SignedRequest] = []
        for sid in stations:
            for kind in ("preliminary", "official"):
                doc = protocol_doc(station=sid, kind=kind)
                envelope = sign_protocol(station_key(f"{sid}-a"), f"{sid}-a", doc)
                requests.append(protocol_request(url, station_key(f"{sid}-a"), f"{sid}-a",
                                                 envelope))  # fmt: skip
        broken = protocol_doc(station="1001", kind="official", invalid=12)
        requests.append(protocol_request(url, station_key("1001-a"), "1001-a", sign_protocol(
            station_key("1001-a"), "1001-a", broken)))  # fmt: skip
        with ThreadPoolExecutor(len(requests)) as pool:
            first = list(pool.map(send, requests))
            # every answer was lost: each device sends its very request again, all at once
            again = list(pool.map(send, requests))
    assert again == first
    statuses = sorted(status for status, _ in first)
    assert statuses.count(201) == 2 * len(stations)
    assert statuses.count(422) == 1  # the broken one: refused by its relations, kept
    indexes = [answer["log_index"] for _, answer in first]
    assert len(set(indexes)) == len(indexes)  # each its own log entry
    with db.read() as s:
        assert LogStore(s, "test-2025").head() == 1 + len(requests)
        assert s.scalars(select(RejectionRow)).one().reasons != "[]"


def test_a_worker_that_dies_costs_no_protocol(sqlite_db: Database) -> None:
    load_election(sqlite_db, election())
    held = get_election(sqlite_db, "test-2025")
    subs = [(f"s{i}", envelope(protocol_doc(station=sid, kind=kind)))
            for i, (sid, kind) in enumerate([(s, k) for s in ("1001", "1002", "2001")
                                             for k in ("preliminary", "official")] * 100)]  # fmt: skip
    # the workers hand over what passed in its lean form (Passed), what was refused whole
    here = [x.for_writer() for x in examine_submissions(held, subs, {})]

    def lean(examined: Sequence[Examination | Passed]) -> list[Examination | Passed]:
        return [x.for_writer() if isinstance(x, Examination) else x for x in examined]

    examiners = Examiners(held, 2)
    try:
        assert examiners.examine(subs[:4], {}).result() == here[:4]  # the workers are up
        pending = examiners.examine(subs, {})
        for process in list(examiners._pool._processes.values()):  # type: ignore[union-attr]
            process.kill()
        # whatever the workers had not returned is examined in the writer's process instead
        assert lean(_examined_or_here(sqlite_db, held, subs, pending)) == here
        # and the next batch goes to a fresh pool
        assert examiners.examine(subs[:4], {}).result() == here[:4]
    finally:
        examiners.close()


def test_the_writer_has_postgresql_analyse_what_it_filled(db: Database) -> None:
    statistics = Statistics()
    statistics._next = 1  # the first batch already crosses the threshold
    with db.session() as s:
        statistics.written(s, 1)
    if db.dialect != "postgresql":
        return  # SQLite plans without statistics of its own: nothing to refresh
    with db.read() as s:
        analysed = s.execute(text(
            "select relname from pg_stat_user_tables where schemaname = current_schema() "
            "and last_analyze is not null")).scalars().all()  # fmt: skip
    assert set(Statistics.TABLES) <= set(analysed)


def test_what_the_examiners_make_is_what_the_writer_would(db: Database, tmp_path: Path) -> None:
    """The log entry, its leaf hash and the tally vector an examiner makes of an accepted
    protocol are the writer's own: the same bytes, the same log, totals and receipts either way."""
    sim = generate(SMALL)
    subs = _hostile(sim)
    here = examine_submissions(sim.election, subs, {})
    accepted = [x for x in here if x.examined is not None and x.examined.ok]
    assert accepted and all(x.entry is not None for x in accepted)
    orders = {c.id: ballot_order(c) for c in sim.election.contests}
    for x in accepted:
        e = x.examined
        assert e is not None and e.protocol is not None
        assert x.entry == canonical_json({"kind": "protocol", "election": sim.election.id,
                                          "protocol": json.loads(e.canonical or b""),
                                          "device": e.device_id, "signature": e.signature})  # fmt: skip
        assert x.leaf == leaf_hash(x.entry)
        assert x.vector == tuple(protocol_vector(e.protocol, orders[e.protocol.contest_id]))
    bare = [replace(x, entry=None, leaf=None, vector=None) for x in here]
    other = Database.open(f"sqlite:///{tmp_path}/bare.db")
    try:
        _prepare(db, sim)
        _prepare(other, sim)
        election_ = get_election(db, sim.election.id)
        made, own = [], []
        for at in range(0, len(subs), 50):
            made += record_examined(db, election_, here[at : at + 50])
            own += record_examined(other, get_election(other, sim.election.id), bare[at : at + 50])
        assert [astuple(r) for r in made] == [astuple(r) for r in own]
        assert _stored(db, sim.election.id) == _stored(other, sim.election.id)
    finally:
        other.close()


def test_a_large_definition_is_frozen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The definition leaves the cyclic collector's reach once, before the examiners fork, and
    only when it is large (a test's or a demo's stays collectable)."""
    frozen: list[int] = []
    monkeypatch.setattr(ingest.gc, "freeze", lambda: frozen.append(1))
    small = election()
    ingest._frozen(small)
    assert frozen == []
    monkeypatch.setattr(elections, "FREEZE_STATIONS", 1)
    ingest._frozen(small)
    ingest._frozen(small)
    assert frozen == [1]
    ingest._frozen(election())  # another definition: frozen too
    assert frozen == [1, 1]


def _collecting(_: object, items: list[int]) -> list[bool]:
    return [gc.isenabled() for _ in items]


def test_a_bulk_import_gives_the_collector_back(sqlite_db: Database) -> None:
    """The writer holds the cyclic collector off while it imports, and gives it back after;
    the examiners, forked meanwhile, collect as ever."""
    load_election(sqlite_db, election())
    subs = [(f"s{i}", envelope(protocol_doc(station=sid, kind=kind)))
            for i, (sid, kind) in enumerate([(s, k) for s in ("1001", "1002", "2001")
                                             for k in ("preliminary", "official")])]  # fmt: skip
    deadline = time.monotonic() + 30  # a definition read in a thread may hold it a moment
    while not gc.isenabled() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gc.isenabled()
    during = []
    for _ in ingest_protocols(sqlite_db, "test-2025", subs, batch=2, workers=2):
        during.append(gc.isenabled())
    assert during and not any(during)
    assert gc.isenabled()
    examiners = Examiners(get_election(sqlite_db, "test-2025"), 2)
    try:
        with no_cycle_collection():  # forked while the writer holds it off
            assert examiners.run(_collecting, [1, 2, 3, 4]).result() == [True] * 4
    finally:
        examiners.close()


def test_a_backup_signed_protocol_handed_over_lean_is_judged_again(db: Database) -> None:
    """Examined while a switch to the backup was in force, handed over as a Passed: the writer
    judges it again against the switches stored (none here), as it would the whole Examination."""
    load_election(db, election())
    held = get_election(db, "test-2025")
    raw = envelope(protocol_doc(), device="1001-b")
    [x] = examine_submissions(held, [("backup", raw)], {"1001": {"1001-b"}})
    lean = x.for_writer()
    assert isinstance(lean, Passed) and lean.backup_signed
    [receipt] = record_examined(db, held, [lean])
    assert receipt.outcome is Outcome.REJECTED
    assert "no switch to it is recorded" in receipt.describe()
    record_device_switch(db, "test-2025", "1001", "1001-a", "1001-b", "scanner jammed")
    [receipt] = record_examined(db, held, [lean])
    assert receipt.outcome is Outcome.ACCEPTED
