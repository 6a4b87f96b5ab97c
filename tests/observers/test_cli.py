"""`achyk pvt` and `achyk mission|observe` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.errors import InputError
from achyk.observers import signing as sig
from achyk.services.observers.record import election_strata
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed, public_key_b64
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database

runner = CliRunner()


def test_sample_size_contract_on_ndis_peru_example() -> None:
    # NDI 2002, ch. 5: N = 14,570,774, ±0.32 points at 99 %; 160 voters a station. The unrounded
    # formula gives 160,718 voters (the handbook prints 163,185 from rounded terms, see test_pvt).
    args = ["pvt", "sample-size", "--voters", "14570774", "--margin", "0.32", "--confidence", "99",
            "--per-station", "160", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"voters": 160_718, "stations": 1_005}


def test_estimate_contract(tmp_path: Path) -> None:
    csv = tmp_path / "sample.csv"
    csv.write_text("station,votes,base\n1001,30,100\n1002,50,200\n1003,20,100\n", encoding="utf-8")
    result = runner.invoke(app, ["pvt", "estimate", str(csv), "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert got["share"] == 0.25
    assert got["moe"] == pytest.approx(100 * 1.96 * (25 / 3) ** 0.5 / (400 / 3))
    # Known population total: the finite population correction narrows the margin.
    narrower = json.loads(runner.invoke(app, ["pvt", "estimate", str(csv), "--population", "800",
                                               "--json"]).output)  # fmt: skip
    assert narrower["moe"] == pytest.approx(got["moe"] * 0.5**0.5)


def test_estimate_names_every_bad_line(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("station,votes,base\n1,5,x\n2,9,3\n3,1,10\n", encoding="utf-8")
    result = runner.invoke(app, ["pvt", "estimate", str(csv)])
    assert isinstance(result.exception, InputError)
    text = str(result.exception)
    assert "line 2" in text and "line 3" in text and "line 4" not in text


def test_the_executable_refuses_a_confidence_of_90() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", "from achyk.cli.main import main; main()", "pvt", "sample-size",
         "--voters", "1000", "--margin", "1", "--confidence", "90"],
        capture_output=True, text=True, timeout=120, cwd=root,
    )  # fmt: skip
    assert done.returncode == 2 and "95 or 99" in done.stdout + done.stderr


def test_mission_record_list_flags_and_observe(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    sim = generate(SMALL)
    run_simulation(Database.open(url), sim)
    cec = private_key_from_seed(sim.authority_seed)
    mkey, okey = private_key_from_seed(b"m"), private_key_from_seed(b"o")
    acc = tmp_path / "acc.json"
    acc.write_text(
        json.dumps(sig.accreditation(cec, "cec", "m", "domestic", "Watch", public_key_b64(mkey)))
    )
    assert (
        runner.invoke(
            app, ["mission", "record", "mission-accreditation", str(acc), "--database", url]
        ).exit_code
        == 0
    )
    reg = tmp_path / "reg.json"
    reg.write_text(json.dumps([sig.registration(mkey, "m", "w1", "domestic", None, okey)]))
    assert (
        runner.invoke(
            app, ["mission", "record", "observer-registration", str(reg), "--database", url]
        ).exit_code
        == 0
    )
    again = runner.invoke(
        app, ["mission", "record", "observer-registration", str(reg), "--database", url]
    )
    assert again.exit_code == 1 and "already registered" in again.output
    # The observer signs offline with a key file (the witness key format), then submits.
    keyfile = tmp_path / "w1.key"
    from achyk.ledger.note import format_signer_key

    keyfile.write_text(format_signer_key("w1", okey))
    station = next(iter(election_strata(sim.election).values()))[0]
    answers = tmp_path / "a.json"
    answers.write_text(
        json.dumps({"time": "10:00", "category": "carousel-voting", "description": "buses"})
    )
    signed = runner.invoke(app, ["observe", "sign", "--key", str(keyfile), "--mission", "m", "--observer", "w1",
                                 "--station", station, "--form", "incident", "--answers", str(answers)])  # fmt: skip
    assert signed.exit_code == 0, signed.output
    out = tmp_path / "obs.json"
    out.write_text(signed.stdout)
    done = runner.invoke(app, ["observe", "submit", str(out), "--database", url])
    assert done.exit_code == 0 and "1 logged" in done.output, done.output
    listed = json.loads(runner.invoke(app, ["mission", "list", "--json", "--database", url]).stdout)
    assert listed[0]["mission"] == "m" and listed[0]["visited"] == 1 and listed[0]["published"] == 0
    flags = runner.invoke(app, ["mission", "flags", "--database", url])
    assert "every protocol copy matches" in flags.output
