"""`achyk demo --audit-variant manipulated` (issue 13, item 7): votes shifted at a tenth of the
stations move a seat; the audit escalates to a full hand count; the CEC's corrections restore the
true seats; `achyk verify` recomputes the record. The honest variant is the default demo's audit
(tests/cli/test_cli.py and tests/interop run it and verify its record)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.services.audit_record import counted_protocols
from achyk.sim.generator import generate
from achyk.sim.manipulation import manipulate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database
from achyk.verify.record import verify_record


@pytest.mark.slow
def test_manipulated_demo_escalates_and_the_full_count_restores_the_true_seats(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo", "--profile", "small", "--audit-variant", "manipulated", "--no-serve",
            "--no-register", "--remote-ballots", "0", "--database", url,
            "--out", str(tmp_path / "record")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "manipulated variant" in text and ": full-count" in text
    assert "full hand count: the CEC corrected" in text

    reported = text.split("Seats as reported: ")[1].split(" audit of")[0]
    restored = text.split("seats now: ")[1].split(" keys:")[0]
    assert reported != restored  # the manipulation moved a seat, the full count moved it back

    # every written-over station's counted protocol is now what its paper says
    m = manipulate(generate(SMALL))
    counted = counted_protocols(Database.open(url), SMALL.election_id)
    for station in m.stations:
        p = counted[(station, "list")]
        assert (dict(p.votes), p.invalid) == m.true_votes[station]

    checked = verify_record(str(tmp_path / "record"))
    assert [name for name, ok, _ in checked.checks if not ok] == []


def test_an_unknown_audit_variant_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--profile", "small", "--audit-variant", "rigged", "--no-serve",
              "--database", f"sqlite:///{tmp_path / 'd.db'}"],
    )  # fmt: skip
    assert result.exit_code != 0 and "unknown audit variant" in result.output
