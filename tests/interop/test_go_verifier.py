"""The Go verifier (interop/, written from docs/record-format.md alone) agrees with `achyk verify`.

Both must pass the honest record, and both must fail every tampered one: the cases of
tests/verify/test_tampering.py and a few more, each applied to a fresh copy. Where they disagree,
the format document is wrong or incomplete (or one verifier has a bug). The Go verifier also takes
the pins `achyk verify` is meant to take (-trust, -log-key, -witness, -quorum), and reads a live
server over HTTP.

The Go toolchain is Debian's golang-go with golang-golang-x-mod-dev and
golang-github-btcsuite-btcd-btcec-dev (`make interop`); without `go` the module is skipped, except
under CI=true where that is a failure.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.api.app import create_app
from achyk.canonical import canonical_json
from achyk.ledger.cosignature import WitnessKey, cosign
from achyk.ledger.note import format_vkey, raw_public_key
from achyk.services.publish import publish
from achyk.services.simulation import run_simulation
from achyk.signing import public_key_b64, sign
from achyk.sim.generator import SimElection, body_key, generate
from achyk.sim.profiles import PROFILES, SMALL
from achyk.store.database import Database
from achyk.verify.record import verify_record
from go_verifier import (
    entries_of,
    first,
    forget_history,
    go_failed,
    log_secret,
    rebuild,
    run_go,
    trust_file,
)
from live_server import serving


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The small demo election — protocols, a rejection kept as evidence, device switches, the
    register's commitment, remote voting abroad — published as a record, with its log's key."""
    base = tmp_path_factory.mktemp("record")
    url = f"sqlite:///{base / 'db.sqlite'}"
    demo = [str(Path(sys.executable).with_name("achyk")), "demo", "--profile", "small",
            "--no-serve", "--remote-ballots", "12", "--database", url,
            "--out", str(base / "record")]  # fmt: skip
    subprocess.run(demo, check=True, capture_output=True, timeout=300)
    eid = json.loads((base / "record" / "record.json").read_text())["election"]
    return base / "record", log_secret(Database.open(url), eid)


# Each case tampers with a copy of the honest record; the name says what a verifier must catch.
def changed_entry_byte(record: Path, secret: str) -> None:
    bundle = next(p for p in (record / "log" / "tile" / "entries").rglob("*") if p.is_file())
    data = bytearray(bundle.read_bytes())
    at = data.index(b'"valid":') + 9
    data[at] = ord("9") if data[at] != ord("9") else ord("8")
    bundle.write_bytes(bytes(data))


def changed_published_figure(record: Path, secret: str) -> None:
    results = json.loads((record / "results.json").read_text())
    results["contests"]["list"]["national/national"]["counted"]["votes"]["p02"] += 1000
    (record / "results.json").write_text(json.dumps(results))


def changed_seats(record: Path, secret: str) -> None:
    results = json.loads((record / "results.json").read_text())
    results["seats"]["list"]["seats"]["p01"] += 1
    results["seats"]["list"]["seats"]["p02"] -= 1
    (record / "results.json").write_text(json.dumps(results))


def changed_district_winner(record: Path, secret: str) -> None:
    results = json.loads((record / "results.json").read_text())
    district = next(iter(results["districts"].values()))
    district["elected"] = [*reversed(district["elected"]), "nobody"]
    (record / "results.json").write_text(json.dumps(results))


def forged_checkpoint_signature(record: Path, secret: str) -> None:
    note = (record / "log" / "checkpoint").read_text()
    head, sig = note.rsplit(" ", 1)
    flipped = ("A" if sig[5] != "A" else "B").join([sig[:5], sig[6:]])
    (record / "log" / "checkpoint").write_text(f"{head} {flipped}")


def rewrite_resigned_with_the_log_key(record: Path, secret: str) -> None:
    entries = entries_of(record)
    i = first(entries, b"protocol")
    entry = json.loads(entries[i])
    votes = entry["protocol"]["votes"]
    a, b = list(votes)[:2]
    votes[a], votes[b] = votes[a] + 5, votes[b] - 5
    entries[i] = canonical_json(entry)
    rebuild(record, entries, secret)


def non_canonical_entry_resigned(record: Path, secret: str) -> None:
    entries = entries_of(record)
    i = first(entries, b"device-switch")
    entries[i] = json.dumps(json.loads(entries[i])).encode()  # spaces after ':' and ','
    rebuild(record, entries, secret)


def deleted_protocol_resigned(record: Path, secret: str) -> None:
    """A protocol dropped from the log and the checkpoint re-signed: the earlier checkpoints
    (and the published figures) expose it."""
    entries = entries_of(record)
    del entries[first(entries, b"protocol")]
    rebuild(record, entries, secret)


def changed_definition(record: Path, secret: str) -> None:
    definition = json.loads((record / "definition.json").read_text())
    definition["regions"][0]["districts"][0]["stations"][0]["registered_voters"] += 1
    (record / "definition.json").write_text(json.dumps(definition))


def changed_rejection_evidence(record: Path, secret: str) -> None:
    evidence = next((record / "evidence").glob("*.bin"))
    evidence.write_bytes(evidence.read_bytes() + b" ")


def missing_earlier_checkpoint(record: Path, secret: str) -> None:
    listed = json.loads((record / "record.json").read_text())["checkpoints"]
    (record / "log" / "checkpoints" / str(listed[len(listed) // 2])).unlink()


def ballot_credential_signature_resigned(record: Path, secret: str) -> None:
    """A cast remote ballot's choice swapped for another's (its one-time key and proofs with it:
    valid ciphertexts with valid proofs), the tracking code recomputed and the log re-signed: the
    voter's seal no longer covers that tracking code."""
    entries = entries_of(record)
    cast = [k for k, e in enumerate(entries) if b'"kind":"remote-ballot"' in e
            and b'"status":"cast"' in e]  # fmt: skip
    a, b = json.loads(entries[cast[0]]), json.loads(entries[cast[1]])
    a["ballot"] = b["ballot"] | {"election": a["ballot"]["election"]}
    a["tracking_code"] = hashlib.sha256(canonical_json(a["ballot"])).hexdigest()
    entries[cast[0]] = canonical_json(a)
    rebuild(record, entries, secret)


def remote_totals_changed_resigned(record: Path, secret: str) -> None:
    """Two published remote totals swapped, the unit's protocol and the results made to match,
    the log re-signed: the decryption shares no longer decrypt to those totals."""
    entries = entries_of(record)
    i = first(entries, b"remote-tally")
    tally = json.loads(entries[i])
    contest = next(iter(tally["results"]))
    totals = tally["results"][contest]
    a = next(k for k in range(1, len(totals)) if totals[k] != totals[0])
    totals[0], totals[a] = totals[a], totals[0]
    protocol = next(p for p in tally["protocols"] if p["contest"] == contest)
    options = list(protocol["votes"])
    order = json.loads(next(e for e in entries if b'"kind":"remote-params"' in e))
    ballot = next(c["options"] for c in order["params"]["contests"] if c["id"] == contest)
    protocol["votes"] = {o: totals[ballot.index(o)] for o in options}
    entries[i] = canonical_json(tally)
    rebuild(record, entries, secret)


def complaint_step_by_the_wrong_body_resigned(record: Path, secret: str) -> None:
    """A territorial case's step re-attributed to the CEC and signed with the CEC's own key (a
    valid signature by an authority of the election), the log re-signed and its history dropped:
    only the disputes fold — the case is before the territorial commission — can catch it."""
    definition = json.loads((record / "definition.json").read_text())
    cec = body_key(PROFILES["small"], "cec")  # the simulated CEC's key, derived like the others
    assert (
        public_key_b64(cec)
        == next(a for a in definition["authorities"] if a["id"] == "cec")["public_key"]
    ), "the demo's CEC key is no longer the small profile's"
    entries = entries_of(record)
    i = next(k for k, e in enumerate(entries) if b'"kind":"complaint-step"' in e
             and b'"authority":"tec-' in e)  # fmt: skip
    step = json.loads(entries[i])
    step["authority"] = "cec"
    statement = {k: v for k, v in step.items() if k not in ("kind", "signature")}
    step["signature"] = sign(cec, "achyk/complaint-step/v1", statement)
    entries[i] = canonical_json(step)
    rebuild(record, entries, secret)
    forget_history(record)


def mission_forms_clashing_resigned(record: Path, secret: str) -> None:
    """The domestic mission's own form renamed to a standard form's id and re-signed with the
    mission's own key, the log re-signed: a mission's form cannot stand in for a standard one."""
    from achyk.services.observers.simulation import _key

    taza = _key(generate(PROFILES["small"]), "taza")
    entries = entries_of(record)
    i = first(entries, b"mission-forms")
    entry = json.loads(entries[i])
    entry["forms"][0]["id"] = "counting"
    statement = {k: v for k, v in entry.items() if k not in ("kind", "election", "signature")}
    entry["signature"] = sign(taza, "achyk/mission-forms/v1", statement)
    entries[i] = canonical_json(entry)
    rebuild(record, entries, secret)
    forget_history(record)


def mission_forms_resigned_by_another_mission(record: Path, secret: str) -> None:
    """The domestic mission's forms re-signed with the CIS mission's key, the log re-signed."""
    from achyk.services.observers.simulation import _key

    cis = _key(generate(PROFILES["small"]), "cis")
    entries = entries_of(record)
    i = first(entries, b"mission-forms")
    entry = json.loads(entries[i])
    statement = {k: v for k, v in entry.items() if k not in ("kind", "election", "signature")}
    entry["signature"] = sign(cis, "achyk/mission-forms/v1", statement)
    entries[i] = canonical_json(entry)
    rebuild(record, entries, secret)
    forget_history(record)


def answer_off_the_missions_form_resigned(record: Path, secret: str) -> None:
    """An answer on the domestic mission's own form made a word where the form asks a number,
    re-signed by the observer and the mission (as if both keys were taken), the log re-signed."""
    from achyk.services.observers.simulation import _key

    sim = generate(PROFILES["small"])
    entries = entries_of(record)
    i = next(k for k, e in enumerate(entries) if b'"form":"queue"' in e)
    j = next(k for k, e in enumerate(entries) if b'"queue_at_close"' in e and b'"content"' in e)
    obs, pub = json.loads(entries[i]), json.loads(entries[j])
    pub["content"]["answers"]["queue_voted"] = "many"
    obs["content_sha256"] = hashlib.sha256(canonical_json(pub["content"])).hexdigest()
    for entry, key, purpose in ((obs, _key(sim, "taza", obs["observer"]), "observation"),
                                (pub, _key(sim, "taza"), "observation-content")):  # fmt: skip
        statement = {k: v for k, v in entry.items() if k not in ("kind", "election", "signature")}
        entry["signature"] = sign(key, f"achyk/{purpose}/v1", statement)
    entries[i], entries[j] = canonical_json(obs), canonical_json(pub)
    rebuild(record, entries, secret)
    forget_history(record)


def observation_logged_twice_resigned(record: Path, secret: str) -> None:
    """An observer's signed submission appended a second time (as if a phone's resend had been
    logged again), the log re-signed: both folds refuse the second copy."""
    entries = entries_of(record)
    entries.append(entries[first(entries, b"observation")])
    rebuild(record, entries, secret)
    forget_history(record)


def audit_risks_rewritten_resigned(record: Path, secret: str) -> None:
    """The audit's decision logs other risks than the hand counts give, re-signed by the CEC's own
    key: the risks are recomputed from the counts."""
    cec = body_key(PROFILES["small"], "cec")
    entries = entries_of(record)
    i = first(entries, b"audit-decision")
    decision = json.loads(entries[i])
    decision["risks"] = {k: "0.500000" if v != "0.500000" else "0.250000"
                         for k, v in decision["risks"].items()}  # fmt: skip
    statement = {k: v for k, v in decision.items() if k != "signature"}
    decision["signature"] = sign(cec, "achyk/audit/v1", statement)
    entries[i] = canonical_json(decision)
    rebuild(record, entries, secret)
    forget_history(record)


def mission_statement_resigned_by_another_mission(record: Path, secret: str) -> None:
    """ODIHR's preliminary statement re-signed with the CIS mission's accredited key (a key the
    log knows, but not ODIHR's), the log re-signed: the statement is not the accredited mission's."""
    from achyk.services.observers.simulation import _key

    cis = _key(generate(PROFILES["small"]), "cis")
    entries = entries_of(record)
    i = first(entries, b"mission-statement")
    entry = json.loads(entries[i])
    statement = {k: v for k, v in entry.items() if k not in ("kind", "election", "signature")}
    entry["signature"] = sign(cis, "achyk/mission-statement/v1", statement)
    entries[i] = canonical_json(entry)
    rebuild(record, entries, secret)
    forget_history(record)


def mission_declared_a_trustee_it_is_not_resigned(record: Path, secret: str) -> None:
    """ODIHR's accreditation re-signed by the CEC's own key declaring it a trustee the key
    ceremony does not have: the cross-check of the missions' roles catches it."""
    cec = body_key(PROFILES["small"], "cec")
    entries = entries_of(record)
    i = next(k for k, e in enumerate(entries) if b'"kind":"mission-accreditation"' in e
             and b'"mission":"odihr"' in e)  # fmt: skip
    entry = json.loads(entries[i])
    entry["trustee"] = "A trustee nobody appointed"
    statement = {k: v for k, v in entry.items() if k not in ("kind", "election", "signature")}
    entry["signature"] = sign(cec, "achyk/mission-accreditation/v1", statement)
    entries[i] = canonical_json(entry)
    rebuild(record, entries, secret)
    forget_history(record)


def seats_status_flipped(record: Path, secret: str) -> None:
    """Seats announced as final while stations are still reporting (or the reverse)."""
    results = json.loads((record / "results.json").read_text())
    seats = results["seats"]["list"]
    seats["status"] = "provisional" if seats["status"] == "final" else "final"
    (record / "results.json").write_text(json.dumps(results))


def missing_tile(record: Path, secret: str) -> None:
    """The level-0 tile of the latest tree (the partial tiles of earlier sizes are checked apart)."""
    size = json.loads((record / "record.json").read_text())["size"]
    name = f"{size // 256:03d}" + (f".p/{size % 256}" if size % 256 else "")
    (record / "log" / "tile" / "0" / name).unlink()


CASES: list[Callable[[Path, str], None]] = [
    changed_entry_byte, changed_published_figure, changed_seats, changed_district_winner,
    forged_checkpoint_signature, rewrite_resigned_with_the_log_key, non_canonical_entry_resigned,
    deleted_protocol_resigned, changed_definition, changed_rejection_evidence,
    missing_earlier_checkpoint, ballot_credential_signature_resigned,
    remote_totals_changed_resigned, missing_tile, complaint_step_by_the_wrong_body_resigned,
    seats_status_flipped, audit_risks_rewritten_resigned, observation_logged_twice_resigned,
    mission_forms_clashing_resigned, mission_forms_resigned_by_another_mission,
    answer_off_the_missions_form_resigned,
    mission_statement_resigned_by_another_mission, mission_declared_a_trustee_it_is_not_resigned,
]  # fmt: skip


# What the Go verifier must name for each case (its FAIL lines and their problems).
GO_SAYS = {
    "changed_entry_byte": "does not hash to its leaf",
    "changed_published_figure": "contests.list.national/national.counted.votes.p02: published",
    "changed_seats": "seats.list.seats.p01: published",
    "changed_district_winner": ".elected: published",
    "forged_checkpoint_signature": "FAIL checkpoint signature",
    "rewrite_resigned_with_the_log_key": "signature does not verify",
    "non_canonical_entry_resigned": "not in RFC 8785 canonical form",
    "deleted_protocol_resigned": "is not a prefix of this log",
    "changed_definition": "definition.json hashes to",
    "changed_rejection_evidence": "published evidence does not match",
    "missing_earlier_checkpoint": "FAIL earlier checkpoints consistent with this one",
    "ballot_credential_signature_resigned": "the seal is not signed by the credential",
    "remote_totals_changed_resigned": "is not what the shares decrypt to",
    "missing_tile": "FAIL Merkle tree",
    "complaint_step_by_the_wrong_body_resigned": "cec is a central body; the case is before the "
    "territorial",
    "seats_status_flipped": "seats.list.status: published",
    "mission_statement_resigned_by_another_mission": "the statement is not signed by the "
    "accredited key of mission odihr",
    "mission_declared_a_trustee_it_is_not_resigned": 'mission odihr is declared trustee "A '
    'trustee nobody appointed", which the key ceremony on the log does not have',
    "audit_risks_rewritten_resigned": "risk is 0.",  # then the recomputed value
    "observation_logged_twice_resigned": "the same signed submission is already log entry",
    "mission_forms_clashing_resigned": "forms[0].id: counting is a standard form's id",
    "mission_forms_resigned_by_another_mission": "the forms are not signed by the accredited key "
    "of mission taza",
    "answer_off_the_missions_form_resigned": "queue_voted: a whole number ≥ 0",
}


def test_both_verifiers_pass_the_honest_record(go_verifier: Path, honest: tuple[Path, str]) -> None:
    out = run_go(go_verifier, str(honest[0]))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "OK   published results and seats recomputed from the log" in out.stdout
    assert "NOT PINNED" in out.stdout  # without a pin it says whose key it trusted
    report = verify_record(str(honest[0]))
    assert report.ok
    # Findings, not failures: the observers' protocol copies that differ from the published
    # protocols (the demo plants some), named alike by both.
    python_flags = [line for _, _, detail in report.checks for line in detail.splitlines()
                    if line.startswith("FLAGGED ")]  # fmt: skip
    go_flags = [line for line in out.stdout.splitlines() if line.startswith("FLAGGED ")]
    assert go_flags and sorted(go_flags) == sorted(python_flags), out.stdout


@pytest.mark.parametrize("tamper", CASES, ids=lambda f: f.__name__)
def test_both_verifiers_fail_a_tampered_record(
    go_verifier: Path, honest: tuple[Path, str], tmp_path: Path, tamper: Callable[[Path, str], None]
) -> None:
    record = tmp_path / "record"
    shutil.copytree(honest[0], record)
    tamper(record, honest[1])
    python = verify_record(str(record))
    go = run_go(go_verifier, str(record))
    assert not python.ok, "achyk verify passed a tampered record"
    assert go.returncode == 1, go.stdout + go.stderr
    assert go_failed(go), go.stdout
    assert GO_SAYS[tamper.__name__] in go.stdout, go.stdout


def test_pins_refuse_a_record_resigned_with_another_key(
    go_verifier: Path, honest: tuple[Path, str], tmp_path: Path
) -> None:
    """The whole record rewritten and signed with a brand-new key verifies against its own
    record.json; the key pinned from outside (flag or trust file) refuses it."""
    record = tmp_path / "record"
    shutil.copytree(honest[0], record)
    meta = json.loads((record / "record.json").read_text())
    pinned = meta["log_key"]
    name = meta["origin"]
    key = Ed25519PrivateKey.generate()
    from achyk.ledger.note import format_signer_key

    secret = format_signer_key(name, key)
    entries = entries_of(record)
    rebuild(record, entries, secret)
    for old in (record / "log" / "checkpoints").iterdir():
        old.unlink()
    meta["log_key"] = format_vkey(name, 0x01, raw_public_key(key.public_key()))
    meta["checkpoints"] = [len(entries)]  # the re-signed latest checkpoint, its only one
    (record / "log" / "checkpoints" / str(len(entries))).write_text(
        (record / "log" / "checkpoint").read_text()
    )
    (record / "record.json").write_text(json.dumps(meta))
    assert run_go(go_verifier, str(record)).returncode == 0  # trusted its own key, and said so
    out = run_go(go_verifier, str(record), "-log-key", pinned)
    assert out.returncode == 1 and "log key" in go_failed(out), out.stdout
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(trust_file(honest[0], pinned, [], 0)))
    out = run_go(go_verifier, str(record), "-trust", str(trust))
    assert out.returncode == 1 and "checkpoint signature" in go_failed(out), out.stdout


def test_a_witness_quorum(go_verifier: Path, honest: tuple[Path, str], tmp_path: Path) -> None:
    record = tmp_path / "record"
    shutil.copytree(honest[0], record)
    meta = json.loads((record / "record.json").read_text())
    keys = [Ed25519PrivateKey.generate() for _ in range(3)]
    vkeys = [WitnessKey.from_private_key(f"witness{i}.example", k).vkey for i, k in enumerate(keys)]
    note = (record / "log" / "checkpoint").read_text()
    for i, k in enumerate(keys[:2]):  # two of the three cosign
        note += cosign(note, f"witness{i}.example", k, 1_700_000_000 + i)
    (record / "log" / "checkpoint").write_text(note)
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(trust_file(record, meta["log_key"], vkeys, 2)))
    out = run_go(go_verifier, str(record), "-trust", str(trust))
    assert out.returncode == 0, out.stdout
    assert "2 of 3 pinned witnesses cosigned, quorum 2" in out.stdout
    flags = [f for v in vkeys for f in ("-witness", v)]
    out = run_go(go_verifier, str(record), *flags, "-quorum", "3")
    assert out.returncode == 1 and "witness cosignatures" in go_failed(out), out.stdout
    trust.write_text(json.dumps({**trust_file(record, meta["log_key"], vkeys, 2),
                                 "definition_sha256": "00" * 32}))  # fmt: skip
    out = run_go(go_verifier, str(record), "-trust", str(trust))
    assert out.returncode == 1 and "definition pinned by the trust file" in go_failed(out)


def test_both_verifiers_read_a_live_server(go_verifier: Path, honest: tuple[Path, str]) -> None:
    """The demo election's own server, remote voting included. Under 256 entries: past that the
    server's tile endpoint is wrong (issue 11, item 1) and both verifiers rightly refuse it."""
    db = Database.open(f"sqlite:///{honest[0].parent / 'db.sqlite'}")
    eid = json.loads((honest[0] / "record.json").read_text())["election"]
    with serving(create_app(db=db)) as base:
        url = f"{base}/api/elections/{eid}"
        out = run_go(go_verifier, url)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "OK   remote voting" in out.stdout
        report = verify_record(url)
        assert report.ok, [c for c in report.checks if not c[1]]
        # Evidence is served under the same paths as in the published directory.
        published = sorted((honest[0] / "evidence").glob("*.bin"))
        assert published
        for file in published:
            with urllib.request.urlopen(f"{url}/evidence/{file.name}") as response:
                assert response.read() == file.read_bytes()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{url}/evidence/0.bin")  # entry 0 is the definition
        assert missing.value.code == 404


def _publish_first_region(sim: SimElection, tmp_path: Path) -> None:
    """Publish, to tmp_path/record, the election with only its first region's protocols in."""
    first_region = {s.id for d in sim.election.regions[0].districts for s in d.stations}
    reported = [sub for sub in sim.submissions if json.loads(sub[1])["protocol"]["station"]
                in first_region]  # fmt: skip
    db = Database.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    run_simulation(db, sim.__class__(sim.profile, sim.election, reported, (), ()))
    publish(db, sim.election.id, tmp_path / "record")


def test_a_partial_count_publishes_and_both_verify(go_verifier: Path, tmp_path: Path) -> None:
    """Election night: only the first region has reported. Its seats cannot be judged yet (the
    other regions' thresholds have no votes), which used to raise out of the results document —
    `achyk publish` and /results.json failed. Now the contest's seats are `undetermined`, with the
    reason naming the silent regions, and both verifiers agree on the record."""
    _publish_first_region(generate(SMALL), tmp_path)
    results = json.loads((tmp_path / "record" / "results.json").read_text())
    seats = results["seats"]["list"]
    assert seats["status"] == "undetermined" and "cannot be judged" in seats["reason"]
    assert results["contests"]["list"]["national/national"]["counted"]["stations"] > 0
    assert verify_record(str(tmp_path / "record")).ok
    out = run_go(go_verifier, str(tmp_path / "record"))
    assert out.returncode == 0, out.stdout


def test_both_verifiers_fail_withheld_evidence(
    go_verifier: Path, honest: tuple[Path, str], tmp_path: Path
) -> None:
    record = tmp_path / "record"
    shutil.copytree(honest[0], record)
    for evidence in (record / "evidence").glob("*.bin"):
        evidence.unlink()
    go = run_go(go_verifier, str(record))
    assert go.returncode == 1 and "is not published" in go.stdout, go.stdout
    assert not verify_record(str(record)).ok


def test_the_go_verifier_names_every_mutation_of_the_log(
    go_verifier: Path, honest: tuple[Path, str], tmp_path: Path
) -> None:
    """Seeded byte mutations (flip, cut, insert) of the log's files — checkpoints, tiles, entry
    bundles — and of the evidence: each is a named FAIL and exit 1, never a crash."""
    rng = random.Random(20251130)
    files = sorted(p.relative_to(honest[0]) for p in honest[0].rglob("*") if p.is_file()
                   and p.parts[len(honest[0].parts)] in ("log", "evidence"))  # fmt: skip
    for n in range(10):
        record = tmp_path / f"m{n}"
        shutil.copytree(honest[0], record)
        target = record / rng.choice(files)
        data = bytearray(target.read_bytes())
        at = rng.randrange(len(data))
        how = rng.choice(("flip", "cut", "insert"))
        if how == "flip":
            data[at] ^= 1 << rng.randrange(8)
        elif how == "cut":
            del data[at:]
        else:
            data.insert(at, rng.randrange(256))
        target.write_bytes(bytes(data))
        out = run_go(go_verifier, str(record))
        where = f"{how} at byte {at} of {target.relative_to(record)}"
        assert out.returncode == 1 and go_failed(out), where + "\n" + out.stdout + out.stderr
        assert "could not be read to the end" not in out.stdout, where + "\n" + out.stdout
        shutil.rmtree(record)


@pytest.mark.slow
def test_both_verifiers_read_a_definition_with_names_in_four_languages(
    go_verifier: Path, tmp_path: Path
) -> None:
    """kg-2025 names its regions, parties and contests in ky/ru/kk/en (`names`, record-format.md
    "Names in other languages"): the Go verifier reads the definition with them, hashes it as
    `achyk verify` does, and both pass the record (Bishkek's stations only, to keep it small)."""
    sim = generate(PROFILES["kg-2025"])
    assert sim.election.regions[0].id == "bishkek" and sim.election.regions[0].names
    _publish_first_region(sim, tmp_path)
    definition = json.loads((tmp_path / "record" / "definition.json").read_text())
    assert definition["regions"][0]["names"]["ky"] == "Бишкек шаары"
    assert verify_record(str(tmp_path / "record")).ok
    out = run_go(go_verifier, str(tmp_path / "record"))
    assert out.returncode == 0, out.stdout
