"""The deployment draw: teams to stations, stratified by region (abroad a stratum of its own),
seeded and reproducible, so that anyone can redraw the plan from the log and compare observed with
unobserved stations fairly.

The draw uses no random-number generator whose output could differ between languages or versions:
a stratum's stations are ordered by SHA-256(seed "/" stratum "/" station id), and the first k are
taken — a verifier in any language redraws it in a few lines. Teams (and, for a parallel vote
tabulation, single observers) are allocated to strata in proportion to their stations by the
largest-remainder method, ties broken by the stratum's id, and ordered by the same hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from achyk.observers.model import ObserverError

ABROAD = "abroad"


def rank(seed: str, stratum: str, item: str) -> bytes:
    return hashlib.sha256(f"{seed}/{stratum}/{item}".encode()).digest()


def allocate(total: int, sizes: Mapping[str, int]) -> dict[str, int]:
    """`total` split over strata in proportion to `sizes` (Hamilton's largest remainder), no stratum
    given more than its size. Ties go to the stratum whose id sorts first."""
    population = sum(sizes.values())
    total = min(total, population)
    if total <= 0:
        return {s: 0 for s in sizes}
    quotas = {s: total * n / population for s, n in sizes.items()}
    out = {s: int(q) for s, q in quotas.items()}
    left = total - sum(out.values())
    for s in sorted(sizes, key=lambda s: (-(quotas[s] - out[s]), s)):
        if left == 0:
            break
        if out[s] < sizes[s]:
            out[s] += 1
            left -= 1
    return out


@dataclass(frozen=True)
class Plan:
    seed: str
    per_team: int
    strata: dict[str, tuple[int, int]]  # stratum → (stations in it, teams sent to it)
    assignments: dict[str, tuple[str, ...]]  # team → its stations, in visiting order

    def stations(self) -> set[str]:
        return {s for stations in self.assignments.values() for s in stations}

    def document(self) -> dict[str, object]:
        return {
            "seed": self.seed, "per_team": self.per_team,
            "strata": {k: list(v) for k, v in sorted(self.strata.items())},
            "assignments": {k: list(v) for k, v in sorted(self.assignments.items())},
        }  # fmt: skip


def strata_of(places: Iterable[tuple[str, str, bool]]) -> dict[str, list[str]]:
    """(station id, region id, abroad) → stratum → station ids; stations abroad are one stratum."""
    out: dict[str, list[str]] = {}
    for station, region, abroad in places:
        out.setdefault(ABROAD if abroad else region, []).append(station)
    return out


def draw(
    seed: str, teams: Sequence[str], strata: Mapping[str, Sequence[str]], per_team: int
) -> Plan:
    """Send `teams` to strata in proportion to their stations; each team visits `per_team`
    stations of its stratum drawn without replacement."""
    if not seed or len(seed) > 128:
        raise ObserverError("a draw needs a seed of 1 to 128 characters")
    if not 1 <= per_team <= 50:
        raise ObserverError("per_team: 1 to 50 stations a team")
    if len(set(teams)) != len(teams):
        raise ObserverError("a team is named twice")
    sizes = {s: len(ids) for s, ids in strata.items()}
    # A stratum cannot usefully take more teams than it has stations.
    per_stratum = allocate(len(teams), sizes)
    order = sorted(teams, key=lambda t: rank(seed, "team", t))
    assignments: dict[str, tuple[str, ...]] = {}
    out_strata: dict[str, tuple[int, int]] = {}
    at = 0
    for stratum in sorted(strata):
        k = per_stratum[stratum]
        out_strata[stratum] = (sizes[stratum], k)
        if k == 0:
            continue
        drawn = sorted(strata[stratum], key=lambda s: rank(seed, stratum, s))
        drawn = drawn[: min(len(drawn), k * per_team)]
        for j, team in enumerate(order[at : at + k]):
            assignments[team] = tuple(drawn[j::k])  # teams share the drawn stations evenly
        at += k
    return Plan(seed, per_team, out_strata, assignments)


def parse_plan(entry: Mapping[str, object]) -> Plan:
    seed, per_team = entry.get("seed"), entry.get("per_team")
    strata, assignments = entry.get("strata"), entry.get("assignments")
    if not isinstance(seed, str) or type(per_team) is not int:
        raise ObserverError("a plan names its seed and per_team")
    if not isinstance(strata, dict) or not isinstance(assignments, dict):
        raise ObserverError("a plan lists its strata and assignments")
    try:
        return Plan(
            seed, per_team,
            {str(k): (int(v[0]), int(v[1])) for k, v in strata.items()},
            {str(k): tuple(str(s) for s in v) for k, v in assignments.items()},
        )  # fmt: skip
    except (TypeError, ValueError, IndexError, KeyError) as err:
        raise ObserverError(f"a malformed plan: {err}") from None


def differences(logged: Plan, redrawn: Plan) -> list[str]:
    """Where a logged plan is not the draw its own seed gives."""
    out = []
    if logged.strata != redrawn.strata:
        out.append("its strata are not those of the election's stations")
    for team in sorted(set(logged.assignments) | set(redrawn.assignments)):
        a, b = logged.assignments.get(team), redrawn.assignments.get(team)
        if a != b:
            out.append(f"team {team}: logged {list(a or ())}, the seed draws {list(b or ())}")
    return out
