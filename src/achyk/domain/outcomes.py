"""Who is elected: presidential (absolute majority, else runoff) and district (plurality) contests.

Presidential rule (Kazakhstan and Kyrgyzstan): a candidate who gets *more than half of those
who voted* (invalid ballots included, so pass ``voted``, not the valid total) is elected. If
nobody does and the "against all" line got more votes than the leader, the election is repeated
with new candidates. Otherwise the two candidates with the most votes go to a runoff; a single
candidate without a majority cannot have a runoff, so the election is repeated.

District rule: the ``seats`` candidates with the most votes are elected. Where the ballot has
"against all", a candidate with fewer votes than "against all" is not elected (Kyrgyzstan 2021:
two Bishkek districts went to repeat elections this way); the seats left are ``vacant``.

Ties are never hidden. Candidates are ranked by votes, then by id in code-point order, so the
result is reproducible; when two candidates with equal votes straddle the line (2nd/3rd place
for a runoff, k-th/k+1-th for a district), ``tied`` names all of them and the summary says the
order was settled by id, so the commission can apply what the law says instead (often a lot).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from achyk.errors import InputError, Problem


class Decision(StrEnum):
    ELECTED = "elected"
    RUNOFF = "runoff"
    REPEAT = "repeat"


@dataclass(frozen=True)
class PresidentialOutcome:
    decision: Decision
    winner: str | None
    runoff: tuple[str, ...]  # the two candidates of the second round, or ()
    ranking: tuple[tuple[str, int], ...]  # every candidate, most votes first
    voted: int
    against_all: int | None
    tied: tuple[str, ...]  # candidates with equal votes across the runoff line, or ()
    summary: str


@dataclass(frozen=True)
class DistrictOutcome:
    elected: tuple[str, ...]
    vacant: int  # seats left for a repeat election
    ranking: tuple[tuple[str, int], ...]
    tied: tuple[str, ...]  # candidates with equal votes across the last-seat line, or ()
    summary: str


def _rank(votes: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(votes.items(), key=lambda item: (-item[1], item[0]))


def _check_votes(votes: Mapping[str, int], problems: list[Problem]) -> None:
    if not votes:
        problems.append(Problem("votes", "no candidates given"))
    for candidate, v in votes.items():
        if not candidate.strip():
            problems.append(Problem("votes", "a candidate has an empty id"))
        if v < 0:
            problems.append(Problem(f"candidate {candidate}", f"negative votes {v}"))


def _tied_across(ranking: list[tuple[str, int]], line: int) -> tuple[str, ...]:
    """Candidates whose votes equal those at the boundary between place ``line`` and ``line+1``."""
    if line <= 0 or line >= len(ranking) or ranking[line - 1][1] != ranking[line][1]:
        return ()
    level = ranking[line][1]
    return tuple(c for c, v in ranking if v == level)


def _pct(part: int, whole: int) -> str:
    if whole == 0:
        return "0.00%"
    hundredths = part * 10_000 // whole
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def decide_presidential(
    votes: Mapping[str, int], voted: int, against_all: int | None
) -> PresidentialOutcome:
    """Apply the absolute-majority rule to one round (see the module docstring)."""
    problems: list[Problem] = []
    _check_votes(votes, problems)
    cast = sum(votes.values()) + (against_all or 0)
    if against_all is not None and against_all < 0:
        problems.append(Problem("against all", f"negative votes {against_all}"))
    if voted < cast or voted <= 0:
        problems.append(
            Problem("voted", f"{voted} who voted is less than the {cast} votes counted (or zero)")
        )
    if problems:
        raise InputError("presidential result", problems)

    ranking = _rank(votes)
    leader, lead_votes = ranking[0]
    share = _pct(lead_votes, voted)
    if lead_votes * 2 > voted:
        return PresidentialOutcome(
            Decision.ELECTED,
            leader,
            (),
            tuple(ranking),
            voted,
            against_all,
            (),
            f"{leader} is elected with {lead_votes} votes, {share} of the {voted} who voted "
            "(more than half).",
        )
    if against_all is not None and against_all > lead_votes:
        return PresidentialOutcome(
            Decision.REPEAT,
            None,
            (),
            tuple(ranking),
            voted,
            against_all,
            (),
            f"No candidate has more than half; 'against all' ({against_all}) got more than the "
            f"leader {leader} ({lead_votes}): the election is repeated.",
        )
    if len(ranking) < 2:
        return PresidentialOutcome(
            Decision.REPEAT,
            None,
            (),
            tuple(ranking),
            voted,
            against_all,
            (),
            f"The only candidate, {leader}, has {share} of the {voted} who voted, not more than "
            "half, and no runoff is possible: the election is repeated.",
        )
    second, second_votes = ranking[1]
    tied = _tied_across(ranking, 2)
    note = (
        f" Equal votes ({', '.join(tied)}) across the runoff line were ordered by candidate id;"
        " the law's tie rule must be applied."
        if tied
        else ""
    )
    return PresidentialOutcome(
        Decision.RUNOFF,
        None,
        (leader, second),
        tuple(ranking),
        voted,
        against_all,
        tied,
        f"No candidate has more than half of the {voted} who voted (leader {leader}: {share}): "
        f"runoff between {leader} ({lead_votes}) and {second} ({second_votes}).{note}",
    )


def decide_district(
    votes: Mapping[str, int], seats: int, *, against_all: int | None = None
) -> DistrictOutcome:
    """Plurality: the ``seats`` candidates with most votes (see the module docstring)."""
    problems: list[Problem] = []
    _check_votes(votes, problems)
    if seats < 1:
        problems.append(Problem("seats", f"{seats} seats: at least 1 is needed"))
    if against_all is not None and against_all < 0:
        problems.append(Problem("against all", f"negative votes {against_all}"))
    if problems:
        raise InputError("district result", problems)

    ranking = _rank(votes)
    floor = against_all if against_all is not None else 0
    elected = tuple(c for c, v in ranking[:seats] if v >= floor)
    vacant = seats - len(elected)
    tied = _tied_across(ranking, seats) if len(elected) == seats else ()
    parts = [
        f"Elected ({len(elected)} of {seats}): "
        + (", ".join(f"{c} ({votes[c]})" for c in elected) or "nobody")
        + "."
    ]
    if vacant:
        why = (
            f" 'against all' ({against_all}) outpolled the next candidates;"
            if against_all is not None and len(ranking) > len(elected)
            else " too few candidates;"
        )
        parts.append(f"{vacant} seat(s) vacant:{why} a repeat election is needed.")
    if tied:
        parts.append(
            f"Equal votes ({', '.join(tied)}) across the last-seat line were ordered by candidate"
            " id; the law's tie rule must be applied."
        )
    return DistrictOutcome(elected, vacant, tuple(ranking), tied, " ".join(parts))
