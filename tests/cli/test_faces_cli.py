"""The command line fit for real use: results as JSON and CSV, a bulk submit summarised in one
line with its refusals in a file, the record written without the site."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.formats.definition import election_to_document
from factories import election, envelope, protocol_doc

runner = CliRunner()


def loaded(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    path = tmp_path / "election.yaml"
    path.write_text(yaml.safe_dump(election_to_document(election())), encoding="utf-8")
    assert runner.invoke(app, ["election", "load", str(path), "--database", url]).exit_code == 0
    return url


def submit_batch(tmp_path: Path, url: str) -> tuple[int, str]:
    batch = [
        json.loads(envelope(protocol_doc(station="1001", kind="official"))),
        json.loads(envelope(protocol_doc(station="1002"))),
        json.loads(envelope(protocol_doc(station="1002"))),  # the same again: a duplicate
        json.loads(envelope(protocol_doc(station="2001", invalid=11))),  # refused
    ]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch))
    refusals = tmp_path / "refused.jsonl"
    result = runner.invoke(app, ["protocol", "submit", str(path), "--refusals", str(refusals),
                                 "--database", url])  # fmt: skip
    return result.exit_code, result.output


def test_a_bulk_submit_is_one_line_and_a_file_of_refusals(tmp_path: Path) -> None:
    url = loaded(tmp_path)
    code, output = submit_batch(tmp_path, url)
    assert code == 1
    lines = output.strip().splitlines()
    assert lines == [
        "4 protocols: 2 accepted, 1 duplicate, 1 rejected, 0 conflict; refusals in "
        f"{tmp_path / 'refused.jsonl'}"
    ]
    [refusal] = [json.loads(x) for x in (tmp_path / "refused.jsonl").read_text().splitlines()]
    assert refusal["source"] == "batch.json[3]" and refusal["station"] == "2001"
    assert refusal["problems"] == [
        "line 9 (valid ballots): valid 590 + invalid 11 = 601 ≠ ballots found 600 (mobile 20 + "
        "stationary 580)"
    ]
    assert isinstance(refusal["log_index"], int)


def test_results_as_json_and_csv(tmp_path: Path) -> None:
    url = loaded(tmp_path)
    submit_batch(tmp_path, url)
    result = runner.invoke(app, ["results", "--format", "json", "--database", url])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    [nation] = doc["units"]
    assert nation["stations_reported"] == 2 and nation["stations_expected"] == 4
    a = next(o for o in nation["options"] if o["option"] == "a")
    # 1001 official (hand count) + 1002 preliminary (scanner): 300 + 300 counted
    assert (a["votes"], a["scanner"], a["hand"], a["share_pct"]) == (600, 300, 300, "50.00")
    assert doc["seats"][0]["contest"] == "list"
    result = runner.invoke(app, ["results", "--format", "csv", "--level", "region",
                                 "--database", url])  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["unit"] for r in rows] == ["abroad", "north", "south"]
    north = rows[1]
    assert (north["stations_reported"], north["a"], north["a %"]) == ("2", "600", "50.00")
    assert rows[2]["stations_reported"] == "0" and rows[2]["a"] == "0"


def test_no_scanner_count_is_a_dash_in_the_table(tmp_path: Path) -> None:
    url = loaded(tmp_path)
    good = tmp_path / "hand.json"
    good.write_bytes(envelope(protocol_doc(kind="official")))
    assert runner.invoke(app, ["protocol", "submit", str(good), "--database", url]).exit_code == 0
    result = runner.invoke(app, ["results", "--database", url], env={"COLUMNS": "200"})
    row = next(line for line in result.stdout.splitlines() if "Party A" in line)
    assert "—" in row and "300" in row


def test_publish_without_the_site(tmp_path: Path) -> None:
    url = loaded(tmp_path)
    submit_batch(tmp_path, url)
    out = tmp_path / "record"
    result = runner.invoke(app, ["publish", "--out", str(out), "--no-site", "--database", url])
    assert result.exit_code == 0, result.output
    assert (out / "record.json").exists() and not (out / "site").exists()
    assert runner.invoke(app, ["verify", str(out)]).exit_code == 0
