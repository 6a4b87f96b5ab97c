"""Scanner against hand count: line by line, party by party, with the tolerances' defaults."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from achyk.audit.reconcile import Tolerances, reconcile, reconcile_contest
from achyk.domain.protocol import Protocol, protocol_from_json
from achyk.services.elections import load_election
from achyk.services.protocols import Outcome, submit_protocol
from achyk.services.reconciliation import reconcile_election
from achyk.store.database import Database
from factories import election, envelope, protocol_doc


def _p(doc: dict[str, Any]) -> Protocol:
    p, problems = protocol_from_json(doc)
    assert p is not None, problems
    return p


def _hand(votes: dict[str, int], invalid: int = 10, station: str = "1001") -> dict[str, Any]:
    valid = sum(votes.values())
    found = valid + invalid
    return protocol_doc(
        station, kind="official", votes=votes, invalid=invalid, valid=valid,
        found_stationary=found - 20, issued_in_station=found - 20,
        cancelled=1000 - found,
    )  # fmt: skip


def test_identical_counts_have_no_difference() -> None:
    r = reconcile(_p(protocol_doc()), _p(protocol_doc(kind="official")))
    assert r.differences == () and r.within_tolerance


def test_small_differences_are_within_tolerance_large_ones_are_flagged() -> None:
    scanner = _p(protocol_doc())  # a 300, b 200, c 80, against-all 10, invalid 10: found 600
    close = _p(_hand({"a": 297, "b": 203, "c": 80, "against-all": 10}))
    r = reconcile(scanner, close)
    assert {d.line for d in r.differences} == {"votes:a", "votes:b"} and r.within_tolerance
    far = _p(_hand({"a": 280, "b": 200, "c": 80, "against-all": 10}, invalid=12))  # found 582
    r = reconcile(scanner, far)
    outside = {d.line: (d.scanner, d.hand, d.limit) for d in r.outside}
    # a: 300 vs 280 (> 5 votes); found 600 vs 582: 18 ballots > 3% of 582 (17)
    assert outside["votes:a"] == (300, 280, 5)
    assert outside["found"] == (600, 582, 17)
    assert "invalid" not in outside  # 10 vs 12: within 5
    loose = reconcile(scanner, far, Tolerances(found_pct=Decimal(4), votes_abs=25))
    assert loose.within_tolerance


def test_contest_effects_sum_both_counts() -> None:
    pairs = [(_p(protocol_doc()), _p(_hand({"a": 280, "b": 220, "c": 80, "against-all": 10})))]
    c = reconcile_contest("list", pairs, ("a", "b", "c", "against-all"))
    effects = {e.option: (e.scanner, e.hand) for e in c.effects}
    assert effects["a"] == (300, 280) and effects["b"] == (200, 220)
    assert len(c.outside) == 1


def test_service_flags_stations_and_compares_seats(db: Database) -> None:
    load_election(db, election())
    for station in ("1001", "1002", "2001"):
        assert (
            submit_protocol(db, None, envelope(protocol_doc(station)), station).outcome
            is Outcome.ACCEPTED
        )
    hand = _hand({"a": 150, "b": 350, "c": 80, "against-all": 10}, station="1002")
    assert submit_protocol(db, None, envelope(hand), "hand").outcome is Outcome.ACCEPTED
    r = reconcile_election(db)
    (lst,) = [c for c in r.contests if c.contest_id == "list"]
    assert [s.station_id for s in lst.outside] == ["1002"]
    scanner_seats, hand_seats = r.seats["list"]
    # scanner a 900, b 600, c 240 → 5, 4, 1; hand a 750, b 750, c 240 → 4, 4, 2 (Hare, 10 seats)
    assert (scanner_seats, hand_seats) == ({"a": 5, "b": 4, "c": 1}, {"a": 4, "b": 4, "c": 2})
    assert sum(scanner_seats.values()) == sum(hand_seats.values()) == 10


def test_the_quick_answer_is_the_reconciliation_s_on_every_line() -> None:
    """within_tolerance (the paper pages' check of 100,000 stations) says what reconcile says,
    for differences on each line alone and on several, at the limits and either side of them."""
    import random
    from dataclasses import replace

    from achyk.audit.reconcile import within_tolerance

    base = _p(protocol_doc())
    hand = _p(protocol_doc(kind="official"))
    fields = ["voters_on_list", "ballots_received", "issued_in_station", "issued_outside",
              "cancelled", "found_mobile", "found_stationary", "invalid", "valid"]  # fmt: skip
    rng = random.Random(16)
    tolerances = [Tolerances(), Tolerances(found_pct=Decimal(0), votes_abs=0),
                  Tolerances(found_pct=Decimal("0.5"), votes_abs=1, copied_abs=2)]  # fmt: skip
    seen = set()
    for _ in range(3000):
        changes: dict[str, Any] = {}
        for name in rng.sample(fields, rng.randint(0, 3)):
            changes[name] = max(0, getattr(base, name) + rng.randint(-25, 25))
        votes = [(o, max(0, n + rng.choice([0, 0, -6, -5, 5, 6, rng.randint(-30, 30)])))
                 for o, n in base.votes]  # fmt: skip
        if rng.random() < 0.2:
            votes = votes[:-1]  # an option one count does not carry
        scanner = replace(base, votes=tuple(votes), **changes)
        for tol in tolerances:
            expected = reconcile(scanner, hand, tol).within_tolerance
            assert within_tolerance(scanner, hand, tol) is expected, (changes, votes, tol)
            assert (
                within_tolerance(hand, scanner, tol)
                is reconcile(hand, scanner, tol).within_tolerance
            )
            seen.add(expected)
    assert seen == {True, False}
