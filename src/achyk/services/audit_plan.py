"""Audit planning from what is stored: the assertions of each list contest, BRAVO for the rest."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass

from achyk.audit import completion, polling_record
from achyk.audit.batch import Batch
from achyk.audit.party_list import PlannedAssertion, batches, plan
from achyk.audit.party_list import completion as list_completion
from achyk.domain.definition import Contest, ContestKind, Election
from achyk.domain.protocol import Protocol, ProtocolKind
from achyk.errors import InputError
from achyk.services.elections import get_election
from achyk.services.results import accepted_protocols
from achyk.store.database import Database


def counted(protocols: Iterable[Protocol], contest_id: str) -> dict[str, Protocol]:
    """Station → the counted protocol (official where there is one, else preliminary)."""
    out: dict[str, Protocol] = {}
    for p in protocols:
        if p.contest_id != contest_id:
            continue
        if p.kind is ProtocolKind.OFFICIAL or p.station_id not in out:
            out[p.station_id] = p
    return out


@dataclass(frozen=True)
class ContestPlan:
    contest: Contest
    method: str  # "batch-comparison" (list) or "ballot-polling" (presidential)
    stations: int  # stations that can be sampled (paper)
    ballots: int
    assertions: tuple[PlannedAssertion, ...] = ()
    asn: int | None = None  # ballot polling: BRAVO's average sample number (ballots)
    # the first round that completes with probability 0.8 / 0.9 (stations, or ballots for BRAVO)
    completion: tuple[tuple[float, int], ...] = ()

    @property
    def expected(self) -> int:
        return max((a.expected for a in self.assertions), default=0)


def contest_batches(election: Election, contest: Contest, protocols: list[Protocol]) -> list[Batch]:
    return batches(election, contest, counted(protocols, contest.id))


def plan_election(
    db: Database, election_id: str | None, alpha: float
) -> tuple[Election, list[ContestPlan]]:
    election = get_election(db, election_id)
    protocols = accepted_protocols(db, election.id)
    out = []
    for contest in election.contests:
        reported = contest_batches(election, contest, protocols)
        paper = sum(1 for b in reported if b.paper)
        ballots = sum(b.ballots for b in reported)
        if not reported:
            continue
        if contest.kind is ContestKind.PARTY_LIST:
            planned = tuple(plan(contest, reported, alpha))
            levels = list_completion(reported, planned, alpha)
            out.append(
                ContestPlan(
                    contest, "batch-comparison", paper, ballots, planned,
                    completion=tuple(sorted(levels.items())),
                )
            )  # fmt: skip
        elif contest.kind in polling_record.POLLING_KINDS:
            totals = polling_record.Reported.of(contest, reported)
            asn, levels = None, {}
            # a tie: no sample confirms it; the plan shows no ASN (only a full hand count settles it)
            with suppress(InputError):
                asn, levels = polling_record.plan(contest, totals, alpha, completion.LEVELS)
            out.append(
                ContestPlan(
                    contest, "ballot-polling", paper, ballots, asn=asn,
                    completion=tuple(sorted(levels.items())),
                )
            )  # fmt: skip
    return election, out
