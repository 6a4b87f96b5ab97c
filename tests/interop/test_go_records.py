"""The Go verifier on records other than the demo's: an imported election (no signatures, each
protocol's broken relations listed) and an election on the Russian protocol form (its own lines,
relations that refuse or flag, anomalies.json). Both verifiers must pass the honest records and
fail the tampered ones (docs/record-format.md, "Imported results" and "The definition")."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from achyk.canonical import canonical_json
from achyk.services.import_results import import_results
from achyk.services.publish import publish, publish_record, write_manifest
from achyk.services.simulation import run_simulation
from achyk.signing import sign
from achyk.sim.cec_export import export_csv, mapping_yaml
from achyk.sim.generator import device_key, generate
from achyk.sim.manipulations import honest
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.record import verify_record
from achyk.web.static_site import write_site
from go_verifier import entries_of, forget_history, go_failed, log_secret, rebuild, run_go


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A CEC export of 120 stations, one of them with a protocol that breaks its relations."""
    base = tmp_path_factory.mktemp("imported")
    db = Database.open(f"sqlite:///{base / 'i.db'}")
    s = honest(120, seed=4)
    csv = export_csv(s, regions=3, broken={s.ids[0]}).encode()
    import_results(db, csv, mapping_yaml(), "e.csv")
    publish_record(db, "imported-2025", base / "record")
    return base / "record", log_secret(
        db, json.loads((base / "record" / "record.json").read_text())["election"]
    )


def _flagged(sim_submission: tuple[str, bytes]) -> tuple[str, bytes]:
    """More ballots in the boxes than were issued, re-signed by the station's own device: the
    Russian form flags this (art. 67/68 counts it, with an act attached) rather than refusing."""
    source, raw = sim_submission
    envelope = json.loads(raw)
    p = envelope["protocol"]
    issued = p["issued_early"] + p["issued_in_station"] + p["issued_outside"]
    extra = issued - p["found_mobile"] - p["found_stationary"] + 3
    p["found_stationary"] += extra
    p["valid"] += extra
    first = next(iter(p["votes"]))
    p["votes"][first] += extra
    envelope["signature"] = sign(device_key(SMALL, envelope["device"]), "achyk/protocol/v1", p)
    return source, canonical_json(envelope)


@pytest.fixture(scope="module")
def russian(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("ru")
    sim = generate(replace(SMALL, form="ru-duma"))
    subs = list(sim.submissions)
    i = next(k for k, (src, raw) in enumerate(subs)
             if not src.endswith("-broken") and b'"preliminary"' in raw)  # fmt: skip
    subs[i] = _flagged(subs[i])
    db = Database.open(f"sqlite:///{base / 'f.db'}")
    run_simulation(db, replace(sim, submissions=tuple(subs)))
    publish(db, sim.election.id, base / "record")
    return base / "record", log_secret(
        db, json.loads((base / "record" / "record.json").read_text())["election"]
    )


def _both(go_verifier: Path, record: Path) -> tuple[bool, int, str]:
    out = run_go(go_verifier, str(record))
    return verify_record(str(record)).ok, out.returncode, out.stdout + out.stderr


def test_both_verifiers_pass_an_imported_record(
    go_verifier: Path, imported: tuple[Path, str]
) -> None:
    python, go, out = _both(go_verifier, imported[0])
    assert python and go == 0, out
    assert "OK   imported, not signed: results copied from a publication (e.csv" in out
    problems = [json.loads(e).get("problems") for e in entries_of(imported[0])]
    assert any(problems), "the planted broken protocol lists no problem"


def test_both_verifiers_fail_a_hidden_broken_relation(
    go_verifier: Path, imported: tuple[Path, str], tmp_path: Path
) -> None:
    """The broken protocol passed off as sound: its problems emptied, the log re-signed."""
    record = tmp_path / "record"
    shutil.copytree(imported[0], record)
    entries = entries_of(record)
    i = next(k for k, e in enumerate(entries) if json.loads(e).get("problems"))
    entry = json.loads(entries[i])
    entry["problems"] = []
    entries[i] = canonical_json(entry)
    rebuild(record, entries, imported[1])
    forget_history(record)
    python, go, out = _both(go_verifier, record)
    assert not python and go == 1, out
    assert "the entry lists [], the protocol breaks [line " in out, out


def test_both_verifiers_pass_a_russian_form_record_with_an_anomaly(
    go_verifier: Path, russian: tuple[Path, str]
) -> None:
    python, go, out = _both(go_verifier, russian[0])
    assert python and go == 0, out
    listed = json.loads((russian[0] / "anomalies.json").read_text())["protocols"]
    assert len(listed) == 1, listed
    # The flag names the law's line numbers (7, 8: found; 3, 4, 5: issued early, in, outside).
    assert listed[0]["flags"][0].startswith("line 7 + line 8: line 7 "), listed
    assert "OK   anomalies the protocol form flags, recomputed from the log — 1 flagged" in out


def test_both_verifiers_fail_a_hidden_anomaly(
    go_verifier: Path, russian: tuple[Path, str], tmp_path: Path
) -> None:
    record = tmp_path / "record"
    shutil.copytree(russian[0], record)
    doc = json.loads((record / "anomalies.json").read_text())
    (record / "anomalies.json").write_text(json.dumps({**doc, "protocols": []}))
    python, go, out = _both(go_verifier, record)
    assert not python and go == 1, out
    failed = go_failed(run_go(go_verifier, str(record)))
    # (the manifest's hash of anomalies.json fails too: the operator would have rewritten it)
    assert "anomalies the protocol form flags, recomputed from the log" in failed, out


@pytest.fixture(scope="module")
def with_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small election (no remote votes cast) published with its results site, whose level
    files (national.csv, region/north.json …) both verifiers recompute from the log."""
    base = tmp_path_factory.mktemp("site")
    sim = generate(SMALL)
    db = Database.open(f"sqlite:///{base / 's.db'}")
    run_simulation(db, sim)
    publish(db, sim.election.id, base / "record")
    write_site(db, sim.election.id, base / "record" / "site")
    write_manifest(base / "record")
    return base / "record"


def test_both_verifiers_pass_a_record_with_its_site(go_verifier: Path, with_site: Path) -> None:
    python, go, out = _both(go_verifier, with_site)
    assert python and go == 0, out
    assert "site figures from the log" in out


def test_both_verifiers_fail_a_site_figure_rewritten_with_its_manifest(
    go_verifier: Path, with_site: Path, tmp_path: Path
) -> None:
    """The operator writes the manifest too: a site file's hash proves nothing by itself."""
    record = tmp_path / "record"
    shutil.copytree(with_site, record)
    path = next((record / "site" / "e").glob("*/data/national.json"))
    rows = json.loads(path.read_text())
    rows[0]["options"][0]["votes"] += 1000
    path.write_text(json.dumps(rows))
    write_manifest(record)
    python, go, out = _both(go_verifier, record)
    assert not python and go == 1, out
    assert "national.json: unit/contest national " in out, out
