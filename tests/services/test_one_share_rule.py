"""Every percentage achyk shows is truncated to two decimals, never rounded up: results, seats,
the threshold notes and turnout by hour alike (0.90% beside "0.90% < 5%", never 0.91%)."""

from __future__ import annotations

from fractions import Fraction

from achyk.domain.seats import format_pct
from achyk.domain.tabulation import percent
from achyk.services.register import _pct


def test_the_same_share_reads_the_same_everywhere() -> None:
    # 2/3 of the voters: 66.666…% shows as 66.66% in every face.
    assert str(percent(2, 3)) == "66.66"
    assert _pct(2, 3) == "66.66"  # turnout by hour (check-ins)
    assert format_pct(Fraction(2 * 100, 3)) == "66.66%"  # seats table and threshold notes
    # The case: 0.909…% is 0.90% in the table and in its note.
    assert format_pct(Fraction(10 * 100, 1100)) == "0.90%" and str(percent(10, 1100)) == "0.90"
