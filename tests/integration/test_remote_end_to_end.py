"""Remote voting abroad end to end, through the services, the published record and `achyk verify`.

Five trustees (quorum 3, trustees 2 and 4 absent at decryption), 1,000 remote voters with
challenged and re-voted ballots among them: the decrypted tally equals the voters' intent, the
published record verifies (on a process pool, and on a Dask cluster), double voting across channels
is refused, and any altered ballot, proof, share, tally or protocol — even in a log the CEC rewrites
and re-signs with its own key — fails verification with the part named.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from achyk.canonical import canonical_json
from achyk.crypto.group import SECP256K1 as G
from achyk.ledger import Checkpoint, MemoryTree, leaf_hash, sign_checkpoint
from achyk.ledger.note import parse_signer_key
from achyk.ledger.tiles import build_tiles, decode_entry_bundle, entry_bundles
from achyk.services.log_key import log_key_path
from achyk.services.publish import publish_record
from achyk.services.register import import_register
from achyk.services.remote.simulation import PRESENT, run_remote, with_remote_unit
from achyk.services.simulation import run_simulation
from achyk.sim.generator import SimElection, generate
from achyk.sim.profiles import SMALL
from achyk.sim.voters import register_entries, register_secret, station_slices
from achyk.store.database import Database
from achyk.verify.record import Report, verify_record

REMOTE_CHECK = "remote voting: ceremony, credentials, ballots, re-votes, challenges, tally"


def failed(report: Report) -> dict[str, str]:
    return {name: detail for name, ok, detail in report.checks if not ok}


def prepare(db: Database) -> SimElection:
    sim = with_remote_unit(generate(SMALL))
    run_simulation(db, sim)
    slices = station_slices(sim)
    import_register(db, sim.election.id, register_entries(sim, slices), register_secret(sim),
                    total=sum(s.count for s in slices))  # fmt: skip
    return sim


def test_thousand_remote_voters_end_to_end(db: Database, tmp_path: Path) -> None:
    sim = prepare(db)
    run = run_remote(db, sim, 1000)
    assert run.credentials == 1000 and run.counted == 1000
    assert run.challenged > 0 and run.revotes > 0
    assert run.results == run.intent  # the decryption with 3 of 5 trustees is what voters meant
    # Double voting across channels: voters who voted at a station get no credential, and
    # credential holders are turned away at their station, both by the register.
    assert len(run.refused) == 6 and all("already voted" in r for r in run.refused)
    assert sum("remote channel" in r for r in run.refused) == 3

    record = publish_record(db, sim.election.id, tmp_path / "record")
    report = verify_record(str(tmp_path / "record"), workers=2)
    assert report.ok, failed(report)
    detail = next(d for name, ok, d in report.checks if name == REMOTE_CHECK)
    assert f"{run.cast + run.challenged} ballots ({run.challenged} challenged)" in detail
    assert "1000 counted, 3 trustees decrypted" in detail
    place = sim.election.place("remote")
    assert place is not None
    path = tmp_path / "record" / "results" / "stations" / f"{place.region_id}.json"
    unit = json.loads(path.read_text())["contests"]["list"]["station/remote"]["counted"]
    options = [*(o.id for o in sim.election.contests[0].options), "against-all"]
    assert unit["votes"] == dict(zip(options, run.results["list"], strict=True))
    assert record["size"] > 1000


# --- tampering, on a small record ----------------------------------------------------------------


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("remote")
    db = Database.open(f"sqlite:///{base / 'db.sqlite'}")
    sim = prepare(db)
    run_remote(db, sim, 40)
    publish_record(db, sim.election.id, base / "record")
    key = log_key_path(sim.election.id, str(base / "db.sqlite"))
    return base / "record", key.read_text(encoding="utf-8").strip()


def entries_of(record: Path) -> list[bytes]:
    out: list[bytes] = []
    for b in sorted((record / "log" / "tile" / "entries").rglob("*")):
        if b.is_file():
            out.extend(decode_entry_bundle(b.read_bytes()))
    return out


def rewrite(honest: tuple[Path, str], tmp_path: Path, change: Callable[[list[Any]], None]) -> Path:
    """A copy of the record whose log the CEC rewrote and re-signed with its own log key."""
    record = tmp_path / "record"
    shutil.copytree(honest[0], record)
    docs = [json.loads(e) for e in entries_of(record)]
    change(docs)
    entries = [canonical_json(d) for d in docs]
    shutil.rmtree(record / "log" / "tile")
    leaves = [leaf_hash(e) for e in entries]
    for path, data in (build_tiles(leaves) | entry_bundles(entries)).items():
        (record / "log" / path).parent.mkdir(parents=True, exist_ok=True)
        (record / "log" / path).write_bytes(data)
    name, key = parse_signer_key(honest[1])
    cp = Checkpoint(name, len(entries), MemoryTree(leaves).root())
    (record / "log" / "checkpoint").write_text(sign_checkpoint(cp, name, key))
    return record


def _of(docs: list[Any], kind: str, n: int = 0) -> Any:
    return [d for d in docs if d["kind"] == kind][n]


def _cast(docs: list[Any]) -> Any:
    return next(d for d in docs if d["kind"] == "remote-ballot" and d["status"] == "cast")


def _bump(s: str) -> str:
    return f"{(int(s, 16) + 1) % G.order:064x}"


def swap_selections(docs: list[Any]) -> None:
    sel = _cast(docs)["ballot"]["contests"][0]["selections"]
    sel[0], sel[1] = sel[1], sel[0]


def bend_proof(docs: list[Any]) -> None:
    proof = _cast(docs)["ballot"]["contests"][0]["proofs"][2]
    proof["v"][1] = _bump(proof["v"][1])


def bend_share(docs: list[Any]) -> None:
    share = _of(docs, "remote-decryption", 1)["share"]["shares"]["list"][0]
    share["proof"]["v"] = _bump(share["proof"]["v"])


def inflate_total(docs: list[Any]) -> None:
    tally = _of(docs, "remote-tally")
    tally["results"]["list"][0] += 1
    tally["protocols"][0]["votes"]["p01"] += 1
    tally["protocols"][0]["votes"]["p02"] -= 1


def shift_protocol(docs: list[Any]) -> None:
    votes = _of(docs, "remote-tally")["protocols"][0]["votes"]
    votes["p01"], votes["p02"] = votes["p01"] + 2, votes["p02"] - 2


def drop_credential(docs: list[Any]) -> None:
    listed = _of(docs, "remote-credentials")["list"]["credentials"]
    listed.remove(_cast(docs)["credential"])


def lie_in_opening(docs: list[Any]) -> None:
    opening = next(d for d in docs if d.get("status") == "challenged")["opening"]
    opening["choices"][0] = opening["choices"][0][1:] + opening["choices"][0][:1]


# --- the operator's attacks from issue 10 ("Why", 3 and 6): each must be named by `achyk verify` -----


def _ballots(docs: list[Any]) -> list[Any]:
    return [d for d in docs if d["kind"] == "remote-ballot"]


def _append_ballot(docs: list[Any], entry: Any) -> None:
    """Append a ballot entry right after the last one on the board, renumbering what follows."""
    last = max(i for i, d in enumerate(docs) if d["kind"] == "remote-ballot")
    entry["seq"] = len(_ballots(docs))
    docs.insert(last + 1, entry)
    close = _of(docs, "remote-close")
    close["ballots"] += 1


def superseded_appended_again(docs: list[Any]) -> None:
    """A voter re-voted; the operator appends their first (superseded) ballot again so it counts."""
    by_cred: dict[str, list[Any]] = {}
    for d in _ballots(docs):
        if d["status"] == "cast":
            by_cred.setdefault(d["credential"], []).append(d)
    first = next(v[0] for v in by_cred.values() if len(v) > 1)
    _append_ballot(docs, json.loads(json.dumps(first)))


def challenged_marked_cast(docs: list[Any]) -> None:
    """An audited ballot re-labelled cast under the credential of a voter who audited then cast."""
    audited = next(d for d in _ballots(docs) if d["status"] == "challenged")
    voter = next(d for d in _ballots(docs) if d["status"] == "cast" and d["seq"] > audited["seq"])
    entry = {k: v for k, v in audited.items() if k != "opening"}
    entry |= {"status": "cast", "credential": voter["credential"], "counter": 9}
    _append_ballot(docs, entry)


def seq_as_text(docs: list[Any]) -> None:
    _cast(docs)["seq"] = str(_cast(docs)["seq"])


def malformed_entry(docs: list[Any]) -> None:
    _cast(docs)["ballot"]["contests"] = "nothing here"


def vote_in_the_clear(docs: list[Any]) -> None:
    """A ciphertext with nonce 0: pad = identity, data = m·G — the vote readable by anyone."""
    _cast(docs)["ballot"]["contests"][0]["selections"][0]["pad"] = "00"


def uppercase_credential(docs: list[Any]) -> None:
    """One key listed twice, once in upper case: as text they differ, as points they are one."""
    listed = _of(docs, "remote-credentials")["list"]["credentials"]
    listed.append(listed[0].upper())


def identity_credential(docs: list[Any]) -> None:
    """The identity key (anyone can sign under it) on the list."""
    _of(docs, "remote-credentials")["list"]["credentials"].append("01" + "00" * 31)


def operator_mints_credentials(docs: list[Any]) -> None:
    """Attack 1: the server makes credentials of its own and publishes them as a list part,
    signed with a key it made up (it has not the authority's)."""
    import os

    from achyk.evoting import credentials
    from achyk.evoting.authority import sign_list

    part = _of(docs, "remote-credentials")["list"]
    extra = [credentials.public_credential(os.urandom(32)) for _ in range(3)]
    forged = sign_list(os.urandom(32), part["election"], part["fingerprint"], extra)
    last = max(i for i, d in enumerate(docs) if d["kind"] == "remote-credentials")
    docs.insert(last + 1, {"kind": "remote-credentials", "election": part["election"],
                           "list": forged[0]})  # fmt: skip


def fewer_voters_abroad(docs: list[Any]) -> None:
    """The register commitment says 10 voters abroad; the list holds 40 credentials (attack 6:
    no eligibility audit). Checked against whatever commitment the log holds."""
    c = _of(docs, "register-commitment")
    per = c["voters_per_station"]
    abroad = [st for st in per if st.startswith("9")]
    for st in abroad:
        c["count"] -= per[st]
        per[st] = 0
    per[abroad[0]] = 10
    c["count"] += 10


def key_made_in_one_place(docs: list[Any]) -> None:
    """Attack 2: a ceremony that no trustee announced or dealt — the old `remote setup` that
    dealt every share in one process — is no longer accepted."""
    docs[:] = [d for d in docs if d["kind"] not in ("remote-trustees", "remote-dealing")]


def dealing_replaced(docs: list[Any]) -> None:
    """The relay swaps a trustee's dealing for one of its own (it has not the trustee's key)."""
    a, b = _of(docs, "remote-dealing", 0), _of(docs, "remote-dealing", 1)
    a["dealing"]["commitment"], b["dealing"]["commitment"] = (
        b["dealing"]["commitment"], a["dealing"]["commitment"])  # fmt: skip


def bad_ballot_before_any_tally(docs: list[Any]) -> None:
    """Attack 6: ballots were checked only once a tally existed. A board without one is checked."""
    docs[:] = [d for d in docs if d["kind"] not in ("remote-decryption", "remote-tally")]
    bend_proof(docs)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (bad_ballot_before_any_tally, "contest list option p03"),
        (key_made_in_one_place, "no trustee announcements before the ceremony"),
        (dealing_replaced, "the ceremony's commitments are not the trustees' dealings"),
        (fewer_voters_abroad, "40 credentials for 10 voters abroad"),
        (superseded_appended_again, "the same ballot appended twice"),
        (challenged_marked_cast, "credential signature does not verify"),
        (seq_as_text, "is not its place on the board"),
        (malformed_entry, "contests: not a list"),
        (vote_in_the_clear, "the identity element is not allowed here"),
        (uppercase_credential, "not signed by the credential authority"),
        (identity_credential, "not signed by the credential authority"),
        (operator_mints_credentials, "part 2: not signed by the credential authority"),
        (swap_selections, "contest list option p01"),
        (bend_proof, "contest list option p03"),
        (bend_share, f"trustee {PRESENT[1]} decryption share"),
        (inflate_total, "is not what the shares decrypt to"),
        (shift_protocol, "remote unit protocol for list is not the decrypted totals"),
        (drop_credential, "credential is not on the public list"),
        (lie_in_opening, "opening contest list"),
    ],
)
def test_an_altered_remote_record_fails_named(
    honest: tuple[Path, str], tmp_path: Path, change: Callable[[list[Any]], None], named: str
) -> None:
    problems = failed(verify_record(str(rewrite(honest, tmp_path, change))))
    assert named in problems.get(REMOTE_CHECK, ""), problems


def test_the_record_verifies_on_a_dask_cluster(honest: tuple[Path, str], tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp", dashboard_address=None) as cluster:  # fmt: skip
        report = verify_record(str(honest[0]), scheduler=cluster.scheduler_address)
        assert report.ok, failed(report)
        bad = verify_record(str(rewrite(honest, tmp_path, bend_proof)),
                            scheduler=cluster.scheduler_address)  # fmt: skip
        assert "contest list option p03" in failed(bad)[REMOTE_CHECK]
