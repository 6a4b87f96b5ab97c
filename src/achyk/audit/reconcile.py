"""The scanner's count against the hand count, station by station, line by line, party by party.

Kyrgyzstan counts twice: the automatic ballot box (ASU) at close — the *preliminary* protocol —
then the mandatory hand count that prevails — the *official* protocol. Where a station has both,
every line and every option is compared. A difference is *outside tolerance* when it exceeds the
limits a results centre would use (defaults below, all configurable):

- ballots found in the boxes (mobile + stationary): within ``found_pct`` % of the hand count (3 %);
- each option's votes and the invalid ballots: within ``votes_abs`` votes (5);
- the lines that are not counted but copied — voters on the list, ballots received — must be equal
  (``copied_abs``, 0): a difference there is a clerical error or a substituted form.

Both protocols already passed every control relation (the CIS identities of the form) when they
were accepted; an identity broken *between* them — the hand count's valid + invalid against the
scanner's ballots found — is the first check above.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from achyk.domain.protocol import LINES, Protocol


@dataclass(frozen=True)
class Tolerances:
    found_pct: Decimal = Decimal(3)
    votes_abs: int = 5
    copied_abs: int = 0


@dataclass(frozen=True)
class Difference:
    line: str  # a protocol line ("found", "invalid", "voters_on_list", …) or "votes:OPTION"
    scanner: int
    hand: int
    limit: int  # the largest difference within tolerance

    @property
    def delta(self) -> int:
        return self.scanner - self.hand

    @property
    def outside(self) -> bool:
        return abs(self.delta) > self.limit


@dataclass(frozen=True)
class StationReconciliation:
    station_id: str
    contest_id: str
    differences: tuple[Difference, ...]  # every line that differs, within tolerance or not

    @property
    def outside(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.outside)

    @property
    def within_tolerance(self) -> bool:
        return not self.outside


COPIED = ("voters_on_list", "ballots_received")


def reconcile(
    scanner: Protocol, hand: Protocol, tol: Tolerances | None = None
) -> StationReconciliation:
    """Compare one station's preliminary (scanner) and official (hand) protocols for a contest."""
    tol = tol or Tolerances()
    assert (scanner.station_id, scanner.contest_id) == (hand.station_id, hand.contest_id)
    diffs: list[Difference] = []
    found_limit = int(Decimal(hand.found) * tol.found_pct / 100)
    diffs.append(Difference("found", scanner.found, hand.found, found_limit))
    for key, _label in LINES:
        s, h = getattr(scanner, key), getattr(hand, key)
        if key in COPIED:
            diffs.append(Difference(key, s, h, tol.copied_abs))
        elif key == "invalid":
            diffs.append(Difference(key, s, h, tol.votes_abs))
        elif key in ("found_mobile", "found_stationary", "valid"):
            continue  # covered by "found" and the per-option votes
        else:
            diffs.append(Difference(key, s, h, found_limit))
    scanner_votes, hand_votes = dict(scanner.votes), dict(hand.votes)
    for option in dict.fromkeys([*scanner_votes, *hand_votes]):
        s, h = scanner_votes.get(option, 0), hand_votes.get(option, 0)
        diffs.append(Difference(f"votes:{option}", s, h, tol.votes_abs))
    return StationReconciliation(
        scanner.station_id, scanner.contest_id, tuple(d for d in diffs if d.delta != 0)
    )


_NOT_COMPARED = ("found_mobile", "found_stationary", "valid")  # in "found" and the votes


def within_tolerance(scanner: Protocol, hand: Protocol, tol: Tolerances | None = None) -> bool:
    """`reconcile(scanner, hand, tol).within_tolerance`, without building a Difference for every
    line that differs: the paper pages of a country reconcile 100,000 stations, nearly all of
    them within tolerance, and only those outside are kept (achyk.web.paper_summary)."""
    tol = tol or Tolerances()
    assert (scanner.station_id, scanner.contest_id) == (hand.station_id, hand.contest_id)
    found_limit = int(Decimal(hand.found) * tol.found_pct / 100)
    delta = scanner.found - hand.found
    if delta and abs(delta) > found_limit:  # a difference of 0 is not one (reconcile's filter)
        return False
    for key, _label in LINES:
        if key in COPIED:
            limit = tol.copied_abs
        elif key == "invalid":
            limit = tol.votes_abs
        elif key in _NOT_COMPARED:
            continue
        else:
            limit = found_limit
        delta = getattr(scanner, key) - getattr(hand, key)
        if delta and abs(delta) > limit:
            return False
    if scanner.votes == hand.votes:
        return True
    scanner_votes, hand_votes = dict(scanner.votes), dict(hand.votes)
    for option in scanner_votes.keys() | hand_votes.keys():
        delta = scanner_votes.get(option, 0) - hand_votes.get(option, 0)
        if delta and abs(delta) > tol.votes_abs:
            return False
    return True


@dataclass(frozen=True)
class OptionEffect:
    option: str
    scanner: int  # summed over the stations that have both counts
    hand: int


@dataclass(frozen=True)
class ContestReconciliation:
    contest_id: str
    stations: tuple[StationReconciliation, ...]  # stations with both counts
    effects: tuple[OptionEffect, ...]
    scanner_found: int
    hand_found: int

    @property
    def outside(self) -> tuple[StationReconciliation, ...]:
        return tuple(s for s in self.stations if not s.within_tolerance)


def reconcile_contest(
    contest_id: str,
    pairs: list[tuple[Protocol, Protocol]],
    order: tuple[str, ...],
    tol: Tolerances | None = None,
) -> ContestReconciliation:
    """Every station's reconciliation and the summed effect per option (pairs: scanner, hand)."""
    stations = tuple(reconcile(s, h, tol) for s, h in sorted(pairs, key=lambda p: p[0].station_id))
    scanner = dict.fromkeys(order, 0)
    hand = dict.fromkeys(order, 0)
    for s, h in pairs:
        for option, n in s.votes:
            scanner[option] = scanner.get(option, 0) + n
        for option, n in h.votes:
            hand[option] = hand.get(option, 0) + n
    effects = tuple(OptionEffect(o, scanner[o], hand.get(o, 0)) for o in scanner)
    return ContestReconciliation(
        contest_id, stations, effects,
        sum(s.found for s, _ in pairs), sum(h.found for _, h in pairs),
    )  # fmt: skip
