"""`achyk forensics …`: the JSON contract on a CSV, figures on disk, and a loaded election."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.forensics.stations import Stations
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.manipulations import honest, rounding
from achyk.sim.profiles import SMALL
from achyk.store.database import Database

runner = CliRunner()
CONTRACT = {"stations", "included", "integer_turnout", "integer_share", "integer_either",
            "expected_either", "excess"}  # fmt: skip


def write_csv(path: Path, s: Stations) -> Path:
    rows = ["station,voters,issued,received,leader"]
    rows += [",".join(map(str, r)) for r in zip(s.ids, s.voters, s.issued, s.received, s.leader,
                                                   strict=True)]  # fmt: skip
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_integers_json_contract(tmp_path: Path) -> None:
    s, _ = rounding(honest(2000, seed=2), 0.05, seed=3)
    path = write_csv(tmp_path / "st.csv", s)
    args = ["forensics", "integers", str(path), "--replicates", "200", "--seed", "4", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= CONTRACT
    assert doc["stations"] == doc["included"] == 2000
    assert doc["integer_either"] <= doc["integer_turnout"] + doc["integer_share"]
    assert doc["excess"] == round(doc["integer_either"] - doc["expected_either"], 3)
    assert doc["excess"] > 50  # 100 stations were rounded
    again = runner.invoke(app, args)
    assert again.output == result.output  # the seed makes it reproducible
    bigger_bin = runner.invoke(app, [*args[:-1], "--bin", "0.2", "--json"])
    assert json.loads(bigger_bin.output)["expected_either"] > doc["expected_either"] * 1.5


def test_bad_csv_is_refused_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("station,voters,issued,received,leader\n1,100,50,50,x\n2,100,50,50,60\n"
                    "2,100,50,50,10\n", encoding="utf-8")  # fmt: skip
    result = runner.invoke(app, ["forensics", "integers", str(path), "--json"])
    assert result.exit_code != 0
    message = str(result.exception)
    assert "line 2: leader 'x' is not a whole number" in message
    assert "line 3: leader 60 > received 50" in message
    assert "line 4: station '2' appears twice" in message


def test_plots_write_svg_and_png(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "st.csv", honest(500, seed=1))
    result = runner.invoke(app, ["forensics", "plots", str(path), "--out", str(tmp_path / "f")])
    assert result.exit_code == 0, result.output
    for name in ("turnout", "share", "comet", "fingerprint"):
        assert (tmp_path / "f" / f"{name}.svg").read_bytes().startswith(b"<?xml")
        assert (tmp_path / "f" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_on_a_loaded_election_the_demo_stuffing_is_flagged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    sim = generate(SMALL)
    run_simulation(Database.open(url), sim)
    result = runner.invoke(app, ["forensics", "flags", "--json", "--database", url])
    assert result.exit_code == 0, result.output
    flags = json.loads(result.stdout)
    extreme = {f["station"] for f in flags if "extreme" in f["reasons"]}
    assert extreme == set(sim.anomalies["stuffing"])
    result = runner.invoke(app, ["forensics", "integers", "--json", "--replicates", "50",
                                 "--database", url])  # fmt: skip
    doc = json.loads(result.stdout)
    assert doc["stations"] == SMALL.stations_home + SMALL.stations_abroad
    assert np.isfinite(doc["expected_either"])
