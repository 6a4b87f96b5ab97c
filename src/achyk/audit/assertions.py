"""Assertions that together imply a party-list seat allocation (Blom, Stuckey, Teague et al. 2021).

Blom, Budurushi, Rivest, Stark, Stuckey, Teague, Vukcevic, "Assertion-based approaches to auditing
complex elections, with application to party-list proportional elections" (E-Vote-ID 2021). Each
assertion is linear in the ballots: a ballot b contributes g(b) (a coefficient for the option it
votes for, one for an invalid ballot, 0 for a ballot outside the assertion's region), and the
assertion says Σ g > 0 over all ballots. If every assertion holds on the true ballots, the true
seat allocation equals the reported one (the tests check this by brute force).

With s_P the reported seats of party P and V the votes of the parties in the apportionment pool:

- **national threshold t** — a qualifying party A: Σ [A] − t·[ballot in the base] ≥ 0; an excluded
  party B (with votes): Σ t·[in base] − [B] > 0. The base is every ballot found (``voted``) or the
  valid ones (``valid``), as the contest says;
- **regional threshold t_r** — a qualifying party A in every home region r: the same, over r's ballots;
  a party excluded by a region alone is asserted below t_r in the region where it is furthest below;
- **divisor methods** (D'Hondt d(s) = s, Sainte-Laguë d(s) = 2s − 1, the divisor of a party's s-th
  seat) — for A with s_A ≥ 1 and every other B in the pool, A's last seat beats B's next:
  v_A/d(s_A) > v_B/d(s_B + 1), i.e. Σ d(s_B + 1)·[A] − d(s_A)·[B] > 0;
- **Hare largest remainder** (S seats, quota V/S) — A's last seat beats B's next:
  v_A/Q − (s_A − 1) > v_B/Q − s_B, i.e. Σ S·[A] − S·[B] + (s_B − s_A + 1)·[ballot for the pool] > 0
  (this pairwise condition forces every party to floor or ceiling of its quota, and the
  ceilings to the largest remainders — Blom et al., section 4);
- **seat cap c** — the pool is the qualifying parties not held at the cap, with S − c·(capped)
  seats; each capped party A would exceed the cap among itself and the pool:
  v_A·S'' > (c + 1)·V'' (A's lower quota is above c; Hare and D'Hondt never give less than the
  lower quota, so A would get more than c). Sainte-Laguë does not keep the lower quota, so a
  binding cap under Sainte-Laguë is refused rather than asserted unsoundly.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from achyk.domain.definition import Method, PercentBase
from achyk.domain.seats import SeatAllocation, SeatRules
from achyk.errors import InputError, Problem

INVALID = "(invalid)"


@dataclass(frozen=True)
class Assertion:
    """Σ g(b) > 0 over the ballots (≥ 0 when ``at_least``); g is read off ``coefficients``."""

    id: str
    text: str
    coefficients: tuple[tuple[str, Fraction], ...]  # option → g for a ballot voting it
    other: Fraction  # g for a valid ballot for an option not listed (against-all included)
    invalid: Fraction  # g for an invalid ballot
    region: str | None = None  # only ballots of this region's stations count; elsewhere g = 0
    at_least: bool = False

    def g(self, votes: Mapping[str, int], invalid: int) -> Fraction:
        """Σ g over one batch of ballots (a station's counts)."""
        scale, listed, other, inv = integer_form(self)
        total = inv * invalid
        for option, n in votes.items():
            total += listed.get(option, other) * n
        return Fraction(total, scale)

    def bounds(self) -> tuple[Fraction, Fraction]:
        """The least and greatest g any single ballot can have."""
        values = [c for _, c in self.coefficients] + [self.other, self.invalid]
        if self.region is not None:
            values.append(Fraction(0))
        return min(values), max(values)

    def holds(self, total: Fraction) -> bool:
        return total >= 0 if self.at_least else total > 0


@functools.lru_cache(maxsize=4096)
def integer_form(a: Assertion) -> tuple[int, dict[str, int], int, int]:
    """The coefficients times their common denominator: batch sums in integer arithmetic."""
    values = [c for _, c in a.coefficients] + [a.other, a.invalid]
    scale = math.lcm(*(v.denominator for v in values))
    listed = {o: int(c * scale) for o, c in a.coefficients}
    return scale, listed, int(a.other * scale), int(a.invalid * scale)


@dataclass(frozen=True)
class ListReport:
    """What the assertions are derived from: the reported votes, base and allocation."""

    votes: Mapping[str, int]  # party → votes (against-all excluded)
    rules: SeatRules
    base: PercentBase
    allocation: SeatAllocation
    region_votes: Mapping[str, Mapping[str, int]] | None = None  # home regions, when regional
    region_base: Mapping[str, int] | None = None
    national_base: int = 0


def _threshold(
    party: str, t: Fraction, base: PercentBase, *, reached: bool, region: str | None
) -> Assertion:
    inv = Fraction(0) if base is PercentBase.VALID else -t
    where = f" in region {region}" if region else ""
    pct = f"{float(t * 100):g}%"
    if reached:
        return Assertion(
            f"threshold:{region or 'national'}:{party}",
            f"{party} reaches {pct}{where}",
            ((party, 1 - t),),
            -t,
            inv,
            region,
            at_least=True,
        )
    return Assertion(
        f"below:{region or 'national'}:{party}",
        f"{party} is below {pct}{where}",
        ((party, t - 1),),
        t,
        -inv,
        region,
    )


def _divisor(method: Method, seat: int) -> int:
    return seat if method is Method.DHONDT else 2 * seat - 1


def _pairwise(
    pool: Mapping[str, int], seats: Mapping[str, int], total: int, method: Method
) -> list[Assertion]:
    out: list[Assertion] = []
    for a in pool:
        if seats[a] < 1:
            continue
        for b in pool:
            if b == a:
                continue
            if method is Method.HARE:
                k = Fraction(seats[b] - seats[a] + 1)
                coeffs = [(p, k) for p in pool if p not in (a, b)]
                coeffs += [(a, total + k), (b, -total + k)]
                text = f"{a}'s seat {seats[a]} beats {b}'s seat {seats[b] + 1} (largest remainder)"
            else:
                da, db = _divisor(method, seats[a]), _divisor(method, seats[b] + 1)
                coeffs = [(a, Fraction(db)), (b, Fraction(-da))]
                text = f"{a}/{da} > {b}/{db}: {a}'s seat {seats[a]} beats {b}'s seat {seats[b] + 1}"
            out.append(Assertion(f"seat:{a}>{b}", text, tuple(coeffs), Fraction(0), Fraction(0)))
    return out


def seat_assertions(report: ListReport) -> list[Assertion]:
    """Every assertion of the reported allocation (see the module docstring)."""
    rules, alloc, votes = report.rules, report.allocation, report.votes
    seats = alloc.as_dict()
    t = Fraction(rules.threshold_pct) / 100
    tr = Fraction(rules.region_threshold_pct) / 100
    regions = report.region_votes or {}
    out: list[Assertion] = []
    for party in alloc.qualified:
        if t > 0:
            out.append(_threshold(party, t, report.base, reached=True, region=None))
        if tr > 0:
            out += [_threshold(party, tr, report.base, reached=True, region=r) for r in regions]
    no_threshold = t == 0 and tr == 0
    for party, _reason in alloc.excluded:
        if no_threshold:
            continue  # only a party with no votes is excluded; it joins the pool below
        options: list[tuple[Fraction, Assertion]] = []
        base_n = report.national_base or sum(votes.values())
        if t > 0 and votes[party] * 100 < rules.threshold_pct * base_n:
            options.append(
                (
                    t - Fraction(votes[party], base_n),
                    _threshold(party, t, report.base, reached=False, region=None),
                )
            )
        for r, table in regions.items():
            r_base = (report.region_base or {}).get(r, sum(table.values()))
            if (
                tr > 0
                and r_base
                and table.get(party, 0) * 100 < rules.region_threshold_pct * r_base
            ):
                gap = (tr - Fraction(table.get(party, 0), r_base)) * r_base / base_n
                options.append((gap, _threshold(party, tr, report.base, reached=False, region=r)))
        if options:
            out.append(max(options, key=lambda o: o[0])[1])

    capped = set(alloc.capped)
    pool = {p: votes[p] for p in alloc.qualified if p not in capped}
    if no_threshold:  # the hand count may find votes for a party reported with none
        pool.update({p: votes.get(p, 0) for p, _ in alloc.excluded})
    cap = rules.cap or 0
    pool_seats = rules.seats - cap * len(capped)
    out += _pairwise(pool, seats, pool_seats, rules.method)
    if capped and rules.method is Method.SAINTE_LAGUE:
        raise InputError(
            "audit assertions",
            [Problem("cap", "a binding seat cap under Sainte-Laguë has no sound assertion here")],
        )
    for a in alloc.capped:
        members = [*pool, a]
        s2 = pool_seats + cap
        coeffs = [(p, Fraction(-(cap + 1))) for p in pool] + [(a, Fraction(s2 - cap - 1))]
        out.append(
            Assertion(
                f"cap:{a}",
                f"{a} would win more than the cap of {cap} among {len(members)} parties",
                tuple(coeffs),
                Fraction(0),
                Fraction(0),
            )
        )
    return out
