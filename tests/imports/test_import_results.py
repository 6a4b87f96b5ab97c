"""`achyk import results`: a CEC export becomes an election marked imported, with its log."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from achyk.canonical import canonical_json
from achyk.cli.main import app
from achyk.errors import ConflictError, InputError
from achyk.forensics.integers import integer_peaks
from achyk.services.forensics import election_table
from achyk.services.import_results import import_results, is_imported
from achyk.services.publish import publish_record
from achyk.services.results import results
from achyk.sim.cec_export import export_csv, mapping_yaml
from achyk.sim.manipulations import honest
from achyk.store.database import Database
from achyk.store.ledger_repo import LogStore
from achyk.store.repositories import Rejections
from achyk.verify.record import verify_record
from achyk.verify.replay import replay

runner = CliRunner()


def test_import_keeps_broken_protocols_flagged_and_refuses_unreadable_rows(db: Database) -> None:
    s = honest(300, seed=3)
    text = export_csv(s, regions=4, broken={s.ids[7], s.ids[8]})
    lines = text.splitlines()
    lines.append(lines[5])  # a station repeated
    cells = lines[9].split(";")
    lines.append(";".join([*cells[:2], "9999", "много", *cells[4:]]))  # not a number
    data = ("\n".join(lines) + "\n").encode()
    report = import_results(db, data, mapping_yaml(), "export.csv")
    assert report.stations == 300 and report.flagged == 2 and report.refused == 2
    assert is_imported(db, "imported-2025")
    _, tab = results(db, "imported-2025")
    national = tab.national("list")
    assert national is not None
    # The broken protocols are counted as published: the CEC's figures, not ours.
    assert national.counted.votes_for("a") == int(s.leader.sum())
    assert national.counted.stations == 300
    _, table = election_table(db, "imported-2025")
    assert table.leader == "a"
    assert sorted(table.stations.ids) == sorted(s.ids)
    with db.read() as session:
        refused = Rejections(session).for_election("imported-2025")
    assert [json.loads(r.reasons) for r in refused] == [
        ["line 302: station " + lines[5].split(";")[2] + " appears twice; the first row is kept"],
        ["line 303: voters_on_list: 'много' is not a whole number ≥ 0"],
    ]
    assert refused[1].raw == lines[-1].encode()  # the row itself, kept as evidence
    with pytest.raises(ConflictError):
        import_results(db, data, mapping_yaml(), "export.csv")


def test_same_figures_through_the_import_as_from_the_table(db: Database) -> None:
    s = honest(400, seed=5)
    import_results(db, export_csv(s, regions=3).encode(), mapping_yaml("x-1"), "e.csv")
    _, table = election_table(db, "x-1")
    order = sorted(range(len(s)), key=lambda i: s.ids[i])
    assert list(table.stations.ids) == [s.ids[i] for i in order]
    assert table.stations.issued.tolist() == [int(s.issued[i]) for i in order]
    assert table.stations.received.tolist() == [int(s.received[i]) for i in order]
    assert table.stations.leader.tolist() == [int(s.leader[i]) for i in order]
    assert integer_peaks(table.stations, replicates=30, seed=1).integer_either == (
        integer_peaks(s, replicates=30, seed=1).integer_either
    )


def test_a_mapping_naming_a_missing_column_is_refused_whole(tmp_path: Path, db: Database) -> None:
    s = honest(20, seed=1)
    mapping = mapping_yaml().replace('"Партия В"}', '"Партия Г"}')
    with pytest.raises(InputError) as err:
        import_results(db, export_csv(s).encode(), mapping, "e.csv")
    assert "no column 'Партия Г'" in str(err.value)
    with pytest.raises(InputError) as err:
        import_results(db, export_csv(s).encode(), "lines: {}\n", "e.csv")
    assert "lines.voters_on_list" in str(err.value) and "election: required" in str(err.value)


def test_cli_import_then_forensics(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'i.db'}"
    s = honest(200, seed=2)
    csv_path, map_path = tmp_path / "export.csv", tmp_path / "map.yaml"
    csv_path.write_text(export_csv(s, regions=2), encoding="utf-8")
    map_path.write_text(mapping_yaml(), encoding="utf-8")
    result = runner.invoke(app, ["import", "results", str(csv_path), "--mapping", str(map_path),
                                 "--database", url])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "imported, not signed" in result.output and "200 stations" in result.output
    result = runner.invoke(app, ["results", "--database", url])
    assert result.exit_code == 0 and "imported, not signed" in result.output
    result = runner.invoke(app, ["forensics", "integers", "--json", "--replicates", "20",
                                 "--database", url])  # fmt: skip
    assert json.loads(result.stdout)["stations"] == 200


def test_the_imported_record_verifies_and_says_it_is_not_signed(
    tmp_path: Path, db: Database
) -> None:
    s = honest(120, seed=4)
    import_results(
        db, export_csv(s, regions=3, broken={s.ids[0]}).encode(), mapping_yaml(), "e.csv"
    )
    publish_record(db, "imported-2025", tmp_path / "record")
    report = verify_record(str(tmp_path / "record"))
    assert report.ok, report
    lines = [name for name, _, _ in report.checks]
    assert any(name.startswith("imported, not signed") for name in lines)


def _replayed(db: Database, edit: Callable[[list[dict[str, Any]]], None]) -> list[str]:
    from achyk.formats.definition import election_to_document
    from achyk.services.elections import get_election

    with db.read() as session:
        texts = LogStore(session, "imported-2025").entries(0, 10_000)
    entries = [json.loads(t) for t in texts]
    edit(entries)
    definition = election_to_document(get_election(db, "imported-2025"))
    return replay([canonical_json(e) for e in entries], definition).problems


def test_hiding_or_forging_a_broken_relation_is_caught(db: Database) -> None:
    s = honest(50, seed=4)
    import_results(db, export_csv(s, regions=2, broken={s.ids[3]}).encode(), mapping_yaml(), "e")
    assert _replayed(db, lambda entries: None) == []

    def hide(entries: list[dict[str, Any]]) -> None:
        for e in entries:
            if e["kind"] == "imported-protocol" and e["problems"]:
                e["problems"] = []

    def smear(entries: list[dict[str, Any]]) -> None:
        next(e for e in entries if e["kind"] == "imported-protocol" and not e["problems"])[
            "problems"
        ] = ["line 9 (valid ballots): made up"]

    def unmark(entries: list[dict[str, Any]]) -> None:
        entries[1] = {"kind": "rejection", "election": "imported-2025", "source": "x",
                      "station": None, "submission_sha256": "0" * 64, "reasons": []}  # fmt: skip

    assert any("the entry lists []" in p for p in _replayed(db, hide))
    assert any("made up" in p for p in _replayed(db, smear))
    # every imported protocol is refused (and the made-up rejection has no evidence to show)
    found = _replayed(db, unmark)
    assert len([p for p in found if "without its evidence" not in p]) == 50


def test_flags_name_the_imported_protocols_that_break_relations(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    s = honest(100, seed=6)
    csv_path, map_path = tmp_path / "export.csv", tmp_path / "map.yaml"
    csv_path.write_text(export_csv(s, regions=2, broken={s.ids[4]}), encoding="utf-8")
    map_path.write_text(mapping_yaml(), encoding="utf-8")
    runner.invoke(app, ["import", "results", str(csv_path), "--mapping", str(map_path),
                        "--database", url])  # fmt: skip
    result = runner.invoke(app, ["forensics", "flags", "--json", "--database", url])
    flags = json.loads(result.stdout)
    assert [f["station"] for f in flags if "relations" in f["reasons"]] == [s.ids[4]]


KAZAKH_MAPPING = """
election: {id: kz-import, name: "Мәжіліс (imported)", date: "2023-03-19", type: parliamentary}
contest: {id: list, name: "Партиялық тізім", seats: 69, method: hare, threshold_pct: 5}
columns: {station: "Учаске №", region: "Облыс"}
lines:
  voters_on_list: "Тізімге енгізілген сайлаушылар саны"
  ballots_received: "Алынған бюллетеньдер саны"
  issued_in_station: "Берілген бюллетеньдер саны"
  issued_outside: 0
  cancelled: "Жойылған бюллетеньдер саны"
  found_mobile: 0
  found_stationary: "Жәшіктегі бюллетеньдер саны"
  invalid: "Жарамсыз бюллетеньдер саны"
  valid: "Жарамды бюллетеньдер саны"
parties:
  - {id: a, name: "Бірінші партия", column: "Бірінші партия"}
  - {id: b, name: "Екінші партия", column: "Екінші партия"}
"""


def test_a_kazakh_export_with_bom_and_thousands_separators(db: Database) -> None:
    # Kazakh (and Kyrgyz: ң, ө, ү) letters are outside cp1251: such exports come as UTF-8, often
    # with a byte-order mark, and CEC spreadsheets write thousands with a (no-break) space.
    header = ("Облыс,Учаске №,Тізімге енгізілген сайлаушылар саны,Алынған бюллетеньдер саны,"
              "Берілген бюллетеньдер саны,Жойылған бюллетеньдер саны,Жәшіктегі бюллетеньдер саны,"
              "Жарамсыз бюллетеньдер саны,Жарамды бюллетеньдер саны,Бірінші партия,Екінші партия")  # fmt: skip
    rows = ['Алматы,1,"1\u00a0500","1 500",900,600,900,10,890,500,390',
            "Алматы,2,1200,1200,700,500,700,5,695,400,295"]  # fmt: skip
    data = ("\ufeff" + "\n".join([header, *rows]) + "\n").encode("utf-8")
    report = import_results(db, data, KAZAKH_MAPPING, "kz.csv")
    assert (report.stations, report.flagged, report.refused) == (2, 0, 0)
    _, table = election_table(db, "kz-import")
    assert table.stations.voters.tolist() == [1500, 1200]
    assert table.stations.leader.tolist() == [500, 400]


def test_a_russian_cp1251_export(db: Database) -> None:
    s = honest(30, seed=8)
    mapping = mapping_yaml("ru-cp1251") + "encoding: cp1251\n"
    import_results(db, export_csv(s, regions=2).encode("cp1251"), mapping, "ru.csv")
    _, table = election_table(db, "ru-cp1251")
    assert sorted(table.stations.ids) == sorted(s.ids)
    with pytest.raises(InputError) as err:  # the same bytes read as UTF-8 are refused, not garbled
        import_results(db, export_csv(s, regions=2).encode("cp1251"), mapping_yaml("x"), "ru.csv")
    assert "utf-8" in str(err.value)
