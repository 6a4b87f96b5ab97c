"""Tabulation at every level, from hand-built protocols whose sums are checked by hand."""

from __future__ import annotations

from decimal import Decimal

from achyk.domain.protocol import Protocol, protocol_from_json
from achyk.domain.tabulation import Level, percent, tabulate
from factories import election, protocol_doc


def proto(**kw: object) -> Protocol:
    p, problems = protocol_from_json(protocol_doc(**kw))  # type: ignore[arg-type]
    assert p is not None, problems
    return p


def test_levels_sum_up_and_abroad_is_its_own_unit() -> None:
    e = election()
    ps = [
        proto(station="1001"),
        proto(station="2001", votes={"a": 100, "b": 400, "c": 80, "against-all": 10}),
        proto(station="9001", issued_outside=0, found_mobile=0, issued_in_station=600,
              cancelled=400, found_stationary=600),
    ]  # fmt: skip
    tab = tabulate(e, ps)
    nat = tab.national("list")
    assert nat is not None
    assert nat.counted.votes_for("a") == 300 + 100 + 300
    assert nat.counted.stations == 3 and nat.stations_expected == 4
    assert nat.reported_pct == Decimal("75.00")
    north = tab.get(Level.REGION, "north", "list")
    assert north is not None and north.counted.stations == 1 and north.stations_expected == 2
    abroad = tab.get(Level.ABROAD, "abroad", "list")
    assert abroad is not None and abroad.counted.votes_for("b") == 200
    country = tab.get(Level.COUNTRY, "RU", "list")
    assert country is not None and country.counted.valid == 590
    assert tab.get(Level.STATION, "1002", "list").counted.stations == 0  # type: ignore[union-attr]
    # district contest only where its district votes
    d1 = tab.national("d1")
    assert d1 is not None and d1.stations_expected == 2


def test_turnout_and_shares_use_the_declared_base() -> None:
    tab = tabulate(election(), [proto(station="1001")])
    nat = tab.national("list")
    assert nat is not None
    assert nat.turnout_pct == Decimal("60.00")  # 600 issued of 1000 on the list
    assert nat.base == 600  # 'voted': valid + invalid found in the boxes
    assert nat.share_pct("a") == Decimal("50.00")
    assert nat.share_pct("c") == Decimal("13.33")  # 80/600 = 13.333… truncated


def test_percent_truncates_and_never_divides_by_zero() -> None:
    assert percent(2, 3) == Decimal("66.66")
    assert percent(1, 0) == Decimal(0)
