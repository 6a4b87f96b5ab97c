"""A result's counts from its stored vectors: the counted series is the scanner's or the hand
count's at a station, and its Count is then shared (equal, and the same object)."""

from __future__ import annotations

from achyk.domain.tabulation import Level
from achyk.domain.tally import COUNTED, HAND, SCANNER, contest_result, count_of, unit_index
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL


def test_a_series_equal_to_the_counted_one_shares_its_count() -> None:
    election = generate(SMALL).election
    index = unit_index(election)
    station = next(k for k in index.expected if k[0] is Level.STATION)
    width = len(index.orders[station[2]])
    v = [1, 900, 600, 598, 8, 590, *range(width)]
    w = [1, 900, 600, 597, 8, 589, *range(1, width + 1)]
    zeros = [0] * len(v)
    for row, shared in (([v, v, zeros], SCANNER), ([w, v, w], HAND)):
        r = contest_result(index, election, station, row)
        counts = {COUNTED: r.counted, SCANNER: r.scanner, HAND: r.hand}
        order = index.orders[station[2]]
        assert all(counts[s] == count_of(row[s], order) for s in counts)
        assert counts[shared] is r.counted
        other = HAND if shared == SCANNER else SCANNER
        assert counts[other] is not r.counted
