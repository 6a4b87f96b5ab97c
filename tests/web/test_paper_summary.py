"""The paper pages' reconciliation, read a chunk of stations at a time, against the whole one."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_decimal

from achyk.domain.tabulation import ABROAD_ID, NATIONAL_ID, Level
from achyk.services.elections import get_election, load_election
from achyk.services.protocols import Outcome, submit_protocol
from achyk.services.reconciliation import reconcile_election
from achyk.store.database import Database
from achyk.web import paper_summary
from achyk.web.i18n import LANGUAGES, number, percent_text
from factories import election, envelope, protocol_doc


def _inside(e: object, level: Level, unit_id: str) -> set[str]:
    """The stations the paper page of a unit counted before (a walk of every station)."""
    out = set()
    for p in e.stations():  # type: ignore[attr-defined]
        s = p.station
        if (
            level is Level.NATIONAL
            or (level is Level.REGION and p.region_id == unit_id)
            or (level is Level.DISTRICT and p.district_id == unit_id)
            or (level is Level.ABROAD and (s.abroad or s.remote))
            or (level is Level.COUNTRY and s.country == unit_id)
        ):
            out.add(s.id)
    return out


@pytest.mark.parametrize("chunk", [1, 2, 2_000])
def test_the_summary_is_the_whole_reconciliation_sorted_into_units(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'achyk.db'}")
    load_election(db, election())
    for station in ("1001", "1002", "2001"):
        outcome = submit_protocol(db, None, envelope(protocol_doc(station)), station).outcome
        assert outcome is Outcome.ACCEPTED
    hands = {"1002": {"a": 150, "b": 350, "c": 80, "against-all": 10}, "1001": None}
    for station, votes in hands.items():
        doc = protocol_doc(station, kind="official", **({"votes": votes} if votes else {}))
        assert submit_protocol(db, None, envelope(doc), "hand").outcome is Outcome.ACCEPTED
    monkeypatch.setattr(paper_summary, "CHUNK", chunk)
    e = get_election(db, None)
    whole = reconcile_election(db, e.id)
    summary = paper_summary.paper_summary(db, e)
    assert summary.seats == whole.seats and summary.seats
    assert summary.tolerances == whole.tolerances
    units = [(Level.NATIONAL, NATIONAL_ID), (Level.ABROAD, ABROAD_ID)]
    units += [(Level.REGION, r.id) for r in e.regions]
    units += [(Level.DISTRICT, d.id) for r in e.regions for d in r.districts]
    units += [(Level.COUNTRY, c) for c in {p.station.country for p in e.stations()} if c]
    outside = 0
    for level, uid in units:
        inside = _inside(e, level, uid)
        for c in whole.contests:
            key = (level, uid, c.contest_id)
            expected = [s for s in c.outside if s.station_id in inside]
            assert summary.outside.get(key, []) == expected, key
            assert summary.compared.get(key, 0) == sum(s.station_id in inside for s in c.stations)
            outside += len(expected)
    assert outside >= 3  # station 1002 is outside tolerance: in its nation, region and district


def test_numbers_and_shares_are_formatted_as_babel_formats_them() -> None:
    values = [0, 7, -7, 999, 1_000, -1_000, 123_456_789, -98_765, 10**15]
    shares = [Decimal(0), Decimal("0.00"), Decimal("100"), Decimal("100.00"), Decimal("5.5"),
              Decimal("12.34"), Decimal("1234.50"), Decimal("-0.5"), Decimal("-0"),
              Decimal("12.3456"), Decimal("1E+3")]  # fmt: skip
    for lang in LANGUAGES:
        for v in values:
            assert number(v, lang) == format_decimal(v, locale=lang, group_separator=True)
        assert number(Decimal("1234.5"), lang) == format_decimal(
            Decimal("1234.5"), locale=lang, group_separator=True
        )
        for s in shares:
            expected = format_decimal(s, format="#,##0.00", locale=lang) + "\u00a0%"
            assert percent_text(s, lang) == expected, (lang, s)
