"""`achyk audit …`: the JSON contracts of issue 13, through the real command."""

from __future__ import annotations

import itertools
import json

import pytest
from consistent_sampler import sampler
from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.errors import AchykError
from achyk.services.elections import load_election
from achyk.services.protocols import Outcome, submit_protocol
from achyk.store.database import Database
from factories import election, envelope, protocol_doc

runner = CliRunner()


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize("with_replacement", [False, True])
def test_sample_is_the_reference_samplers_draw_from_range(with_replacement: bool) -> None:
    seed = "01382438112797316654"
    args = ["audit", "sample", "--seed", seed, "--population", "50", "--count", "12", "--json"]
    doc = _json(args + (["--with-replacement"] if with_replacement else []))
    reference = sampler(range(50), seed=seed, with_replacement=with_replacement, output="id")
    assert doc == {"sample": list(itertools.islice(reference, 12))}


def test_sample_size_bravo_and_comparison() -> None:
    # BRAVO Table 1 (20% margin, α = 10%): 119; Gentle Introduction p. 5 (10% margin): 48.
    # The 80 % / 90 % first rounds: Arlo's BRAVO figures (votingworks/arlo,
    # server/tests/audit_math/test_bravo.py, contest "test_small_third_candidate") are 3760 / 5426;
    # ours are the first n reaching the probability (a sawtooth in n), within 0.5 %.
    common = ["--ballots", "100000", "--risk-limit", "10", "--json"]
    bravo = _json(["audit", "sample-size", "--method", "bravo", "--votes", "60000,40000", *common])
    assert bravo["asn"] == 119
    assert 119 < bravo["sample_size_80"] < bravo["sample_size_90"]  # type: ignore[operator]
    arlo = _json(["audit", "sample-size", "--method", "bravo", "--votes", "10000,9000,200",
                  "--ballots", "20000", "--risk-limit", "10", "--json"])  # fmt: skip
    assert arlo["sample_size_80"] == pytest.approx(3760, rel=0.005)
    assert arlo["sample_size_90"] == pytest.approx(5426, rel=0.005)
    km = _json(
        ["audit", "sample-size", "--method", "comparison", "--votes", "55000,45000", *common]
    )
    assert km["sample_size"] == 48
    assert 48 <= km["sample_size_80"] <= km["sample_size_90"]  # type: ignore[operator]
    error_free = ["--o1-rate", "0", "--o2-rate", "0"]
    km0 = _json(["audit", "sample-size", "--method", "comparison", "--votes", "55000,45000",
                 *error_free, *common])  # fmt: skip
    assert km0["sample_size_80"] == km0["sample_size_90"] == 48  # no errors: every round of 48
    # two winners of three: the closest winner–loser pair decides
    three = _json(
        [
            "audit",
            "sample-size",
            "--method",
            "bravo",
            "--votes",
            "40000,35000,25000",
            "--winners",
            "2",
            *common,
        ]
    )
    assert (
        three["asn"]
        == _json(["audit", "sample-size", "--method", "bravo", "--votes", "35000,25000", *common])[
            "asn"
        ]
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--method", "bravo", "--votes", "100,200", "--ballots", "300", "--risk-limit", "10"],
        [
            "--method",
            "comparison",
            "--votes",
            "100,200,3",
            "--ballots",
            "300",
            "--risk-limit",
            "10",
        ],
        ["--method", "bravo", "--votes", "200,100", "--ballots", "300", "--risk-limit", "0"],
        ["--method", "bravo", "--votes", "2x,100", "--ballots", "300", "--risk-limit", "10"],
        ["--method", "polling", "--votes", "200,100", "--ballots", "300", "--risk-limit", "10"],
    ],
)
def test_sample_size_refuses_bad_input_without_a_traceback(args: list[str]) -> None:
    result = runner.invoke(app, ["audit", "sample-size", *args, "--json"])
    # a typed error, which `achyk` prints as one line and exits 2 with (cli.main.main)
    assert result.exit_code != 0 and isinstance(result.exception, AchykError)


def test_plan_lists_every_assertion_of_the_loaded_election(sqlite_db: Database) -> None:
    db = sqlite_db
    load_election(db, election())
    for station, votes in [("1001", {"a": 300, "b": 200, "c": 80, "against-all": 10}),
                           ("1002", {"a": 280, "b": 220, "c": 80, "against-all": 10}),
                           ("2001", {"a": 310, "b": 190, "c": 80, "against-all": 10}),
                           ("9001", {"a": 250, "b": 250, "c": 80, "against-all": 10})]:  # fmt: skip
        receipt = submit_protocol(db, None, envelope(protocol_doc(station, votes=votes)), station)
        assert receipt.outcome is Outcome.ACCEPTED
    doc = _json(
        [
            "audit",
            "plan",
            "--risk-limit",
            "10",
            "--json",
            "--database",
            str(db.engine.url.render_as_string(hide_password=False)),
        ]
    )
    (contest,) = doc["contests"]  # type: ignore[misc]
    assert contest["contest"] == "list" and contest["stations"] == 4
    ids = {a["id"] for a in contest["assertions"]}
    # 10 seats by Hare among a, b, c (no threshold): a 4, b 3, c 1 … every ordered pair with a seat
    assert {"seat:a>b", "seat:a>c", "seat:b>a", "seat:b>c", "seat:c>a", "seat:c>b"} <= ids
    for a in contest["assertions"]:
        assert a["diluted_margin"] > 0 and 1 <= a["expected_stations"] <= 4
    assert contest["expected_stations"] <= contest["stations_80"] <= contest["stations_90"] <= 4
