"""Per-station flags: planted stations are named, honest ones are not (beyond the stated rate)."""

from __future__ import annotations

from achyk.forensics.flags import station_flags
from achyk.sim.manipulations import honest, stuffing

REGIONS = ("north", "south", "east", "west", "abroad")


def test_honest_election_has_no_strong_flag() -> None:
    # Stated rate for `extreme`: ≈ 2.5e-7 per station; at 20,000 stations we expect 0.005.
    s = honest(20_000, seed=4, strata=REGIONS)
    flags = station_flags(s)
    assert [f for f in flags if f.strong] == []
    # `integer-both` is weak and expected at about bin² ≈ 1 % of stations under the null.
    assert 0.005 * len(s) < len(flags) < 0.02 * len(s)


def test_extreme_stuffing_is_flagged_at_every_stuffed_station() -> None:
    s, stuffed = stuffing(
        honest(5000, seed=7, strata=REGIONS), 0.004, seed=8, low=0.9, high=1.0, steal=0.9
    )
    flags = station_flags(s)
    strong = {f.station for f in flags if "extreme" in f.reasons}
    assert set(stuffed) <= strong
    assert strong == set(stuffed)
    first = flags[0]
    assert first.strong and first.turnout > 90 and first.stratum in REGIONS


def test_broken_protocols_are_flagged_as_such() -> None:
    s = honest(200, seed=1)
    flags = station_flags(s, broken={s.ids[5]})
    assert flags[0].station == s.ids[5] and flags[0].reasons[0] == "relations"


def test_a_small_stratum_gets_no_shape_flags() -> None:
    s, _ = stuffing(honest(20, seed=1), 0.1, seed=2, low=0.95, high=1.0, steal=0.9)
    assert not any("extreme" in f.reasons for f in station_flags(s))


def test_moderate_stuffing_is_left_to_the_aggregate_tests() -> None:
    # Stuffing half the non-voters' ballots moves a station into the honest cloud's tail, not out
    # of it: per-station flags do not single it out — that is what the fingerprint and the Klimek
    # fit are for (test_klimek.py). This pins the limit the site states in plain words.
    s, stuffed = stuffing(honest(5000, seed=7), 0.01, seed=8, low=0.3, high=0.5)
    strong = {f.station for f in station_flags(s) if f.strong}
    assert len(strong & set(stuffed)) < len(stuffed) / 2
