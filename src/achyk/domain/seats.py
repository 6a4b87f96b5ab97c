"""Seats for party lists: thresholds, the law's method, a per-party cap.

The steps, in order:

1. **Thresholds.** A party qualifies when ``votes * 100 >= threshold_pct * base`` ("at least
   5%"), computed exactly (Decimal percentages become Fractions; no floats). The base is
   ``base_total`` when given — everyone who voted, invalid ballots (and "against all") included,
   as in Kazakhstan and Kyrgyzstan — else the sum of the votes given (a valid-vote base). With a
   regional threshold the party must also reach it in *every* region given, each against that
   region's base (``region_base``, else the sum of the region's votes). A party with no votes
   never qualifies.
2. **Method.** The seats are apportioned among the qualifying parties only, by Hare–Niemeyer
   largest remainder, D'Hondt or Sainte-Laguë (see :mod:`achyk.domain.seat_methods`).
3. **Cap.** Every party allotted more than ``cap`` seats is held at ``cap``; the remaining seats
   are apportioned afresh, by the same method and on the same votes, among the qualifying
   parties not yet capped; this repeats until no party is over the cap.

Ties (equal remainders or averages for the last seat) go to the party with more votes, then
to the party id that sorts first by code point. This is a documented, reproducible rule rather
than a lot; the law may require a lot, which a CEC would then record as a correction.

If no party qualifies, every party gets 0 seats and ``qualified`` is empty: what happens then
is for the law to say, not for arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from achyk.domain.definition import Method
from achyk.domain.seat_methods import apportion
from achyk.errors import InputError, Problem

SUBJECT = "seat allocation"


@dataclass(frozen=True)
class SeatRules:
    seats: int
    method: Method
    threshold_pct: Decimal = Decimal(0)
    region_threshold_pct: Decimal = Decimal(0)
    cap: int | None = None


@dataclass(frozen=True)
class SeatAllocation:
    seats: tuple[tuple[str, int], ...]  # every party given, in input order (0 allowed)
    qualified: tuple[str, ...]  # in input order
    excluded: tuple[tuple[str, str], ...]  # (party, human reason)
    capped: tuple[str, ...] = ()  # parties held at the cap, in input order

    def as_dict(self) -> dict[str, int]:
        return dict(self.seats)

    @property
    def total(self) -> int:
        return sum(n for _, n in self.seats)


def format_pct(value: Fraction, *, truncate: bool = True) -> str:
    """A share in percent to two decimals.

    Truncated by default, so a reason never reads "5.00% < 5%" for 4.999%; ``truncate=False``
    rounds half to even, as published result tables do (53.895% shows as 53.90%).
    """
    scaled = value * 100
    hundredths = int(scaled) if truncate else round(scaled)  # shares are non-negative
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def _pct_text(pct: Decimal) -> str:
    text = format(pct.normalize(), "f")
    return f"{text}%"


def _reaches(votes: int, base: int, pct: Fraction) -> bool:
    return votes * 100 >= pct * base


def _check_pct(pct: Decimal, name: str, problems: list[Problem]) -> None:
    if not pct.is_finite() or pct < 0 or pct > 100:
        problems.append(Problem(name, f"{pct} is not a percentage between 0 and 100"))


def _validate(
    votes: Mapping[str, int],
    rules: SeatRules,
    base_total: int | None,
    region_votes: Mapping[str, Mapping[str, int]] | None,
    region_base: Mapping[str, int] | None,
) -> list[Problem]:
    problems: list[Problem] = []
    if rules.seats < 1:
        problems.append(Problem("seats", f"{rules.seats} seats: at least 1 is needed"))
    if not isinstance(rules.method, Method):
        problems.append(Problem("method", f"unknown method {rules.method!r}"))
    _check_pct(rules.threshold_pct, "threshold", problems)
    _check_pct(rules.region_threshold_pct, "region threshold", problems)
    if rules.cap is not None and rules.cap < 1:
        problems.append(Problem("cap", f"cap {rules.cap}: at least 1 is needed"))
    if not votes:
        problems.append(Problem("votes", "no parties given"))
    for party, v in votes.items():
        if not party.strip():
            problems.append(Problem("votes", "a party has an empty id"))
        if v < 0:
            problems.append(Problem(f"party {party}", f"negative votes {v}"))
    valid = sum(votes.values())
    if base_total is not None and base_total < max(valid, 1):
        problems.append(
            Problem("base", f"base {base_total} is less than the {valid} votes given for parties")
        )
    if rules.region_threshold_pct > 0 and not region_votes:
        problems.append(
            Problem("region threshold", "a regional threshold needs votes by region; none given")
        )
    for region, table in (region_votes or {}).items():
        for party, v in table.items():
            if party not in votes:
                problems.append(Problem(f"region {region}", f"party {party} is not in the votes"))
            if v < 0:
                problems.append(Problem(f"region {region}", f"party {party}: negative votes {v}"))
        base = (region_base or {}).get(region)
        region_sum = sum(table.values())
        if base is not None and base < region_sum:
            problems.append(
                Problem(f"region {region}", f"base {base} is less than its {region_sum} votes")
            )
        if rules.region_threshold_pct > 0 and (base if base is not None else region_sum) <= 0:
            problems.append(Problem(f"region {region}", "no votes: no percentage can be taken"))
    for party, v in votes.items():
        in_regions = sum(t.get(party, 0) for t in (region_votes or {}).values())
        if in_regions > v:
            problems.append(
                Problem(f"party {party}", f"{in_regions} votes in regions exceed {v} nationally")
            )
    for region in region_base or {}:
        if region not in (region_votes or {}):
            problems.append(Problem(f"region {region}", "has a base but no votes"))
    return problems


def _exclusion(
    party: str,
    votes: int,
    base: int,
    rules: SeatRules,
    region_votes: Mapping[str, Mapping[str, int]],
    region_base: Mapping[str, int],
) -> str | None:
    """Why a party does not qualify, or None when it does."""
    if votes == 0:
        return "no votes"
    reasons: list[str] = []
    national = Fraction(rules.threshold_pct)
    if national > 0 and not _reaches(votes, base, national):
        share = format_pct(Fraction(votes * 100, base))
        reasons.append(f"{share} < {_pct_text(rules.threshold_pct)} national threshold")
    regional = Fraction(rules.region_threshold_pct)
    if regional > 0:
        for region, table in region_votes.items():
            r_votes = table.get(party, 0)
            r_base = region_base.get(region, sum(table.values()))
            if not _reaches(r_votes, r_base, regional):
                share = format_pct(Fraction(r_votes * 100, r_base))
                threshold = _pct_text(rules.region_threshold_pct)
                reasons.append(f"{share} < {threshold} threshold in region {region}")
    return "; ".join(reasons) or None


def allocate_seats(
    votes: Mapping[str, int],
    rules: SeatRules,
    *,
    base_total: int | None = None,
    region_votes: Mapping[str, Mapping[str, int]] | None = None,
    region_base: Mapping[str, int] | None = None,
) -> SeatAllocation:
    """Allocate ``rules.seats`` among the parties in ``votes`` (see the module docstring)."""
    problems = _validate(votes, rules, base_total, region_votes, region_base)
    if problems:
        raise InputError(SUBJECT, problems)
    base = base_total if base_total is not None else sum(votes.values())
    regions = region_votes or {}
    bases = region_base or {}

    qualified: list[str] = []
    excluded: list[tuple[str, str]] = []
    for party, v in votes.items():
        reason = _exclusion(party, v, base, rules, regions, bases)
        if reason is None:
            qualified.append(party)
        else:
            excluded.append((party, reason))

    if rules.cap is not None and qualified and rules.cap * len(qualified) < rules.seats:
        raise InputError(
            SUBJECT,
            [
                Problem(
                    "cap",
                    f"{len(qualified)} qualifying parties × cap {rules.cap} = "
                    f"{rules.cap * len(qualified)} < {rules.seats} seats: seats cannot be filled",
                )
            ],
        )

    result = dict.fromkeys(votes, 0)
    cap = rules.cap
    capped: dict[str, int] = {}
    while qualified:
        pool = {p: votes[p] for p in qualified if p not in capped}
        alloc = apportion(pool, rules.seats - sum(capped.values()), rules.method)
        over = [p for p, n in alloc.items() if cap is not None and n > cap]
        if cap is None or not over:
            result.update(alloc)
            result.update(capped)
            break
        # Capped parties keep the cap; the rest is apportioned afresh among the others.
        capped.update(dict.fromkeys(over, cap))
    return SeatAllocation(
        seats=tuple(result.items()),
        qualified=tuple(qualified),
        excluded=tuple(excluded),
        capped=tuple(p for p in votes if p in capped),
    )
