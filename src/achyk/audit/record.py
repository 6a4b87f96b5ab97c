"""The audit on the log: the seed, the rounds, the boards' hand counts, the decisions — checked.

One checker for both sides: the service judges an entry with it before appending it, and
``achyk verify`` replays every audit entry through it, so a record whose audit stopped before the
risk limit was met, sampled other stations, or holds an unsigned hand count fails, named. The
entry kinds and their exact rules are specified in ``docs/record-format.md`` ("Audits").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from achyk.audit import polling_record, sampling
from achyk.audit.batch import Batch
from achyk.audit.party_list import batches, risks
from achyk.domain.definition import ContestKind, Election
from achyk.domain.protocol import Protocol, ProtocolKind
from achyk.domain.tabulation import ballot_order
from achyk.errors import AchykError
from achyk.signing import verify

AUDIT_PURPOSE = "achyk/audit/v1"  # seeds and decisions, signed by an authority of the definition
COUNT_PURPOSE = "achyk/audit-count/v1"  # hand counts, signed by audit-board members
AUDIT_KINDS = ("audit-seed", "audit-round", "audit-count", "audit-ballots", "audit-decision")
DECISIONS = ("continue", "confirmed", "full-count")
RISK_TOLERANCE = 2e-6  # risks are written to 6 decimals; independent float code may differ a little


def counted_now(protocols: list[Protocol]) -> dict[tuple[str, str], Protocol]:
    """(station, contest) → the counted protocol: official where there is one, else preliminary."""
    out: dict[tuple[str, str], Protocol] = {}
    for p in protocols:
        key = (p.station_id, p.contest_id)
        if p.kind is ProtocolKind.OFFICIAL or key not in out:
            out[key] = p
    return out


def risk_text(risk: float) -> str:
    return f"{risk:.6f}"


def unsigned(entry: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The signed document of an entry: the entry without its signature field(s)."""
    return {k: v for k, v in entry.items() if k != key}


@dataclass
class ContestAudit:
    contest_id: str
    seed: str
    alpha: float
    population: tuple[str, ...]
    reported: tuple[Batch, ...]
    draws: list[str] = field(default_factory=list)  # every station drawn so far, in order
    regions: dict[str, str] = field(default_factory=dict)  # station → its batch's region
    rounds: int = 0
    counts: dict[str, Batch] = field(default_factory=dict)
    decided: int = 0  # the last round with a decision
    decision: str = ""
    last_risks: dict[str, float] = field(default_factory=dict)
    # ballot polling (polling_record): the population is the manifest's ballots, drawn with
    # replacement; the boards record each drawn ballot's vote
    method: str = "batch-comparison"
    manifest: tuple[tuple[str, int], ...] = ()
    polled: int = 0  # draws whose votes are recorded
    seen: dict[str, int] = field(default_factory=dict)  # vote → draws showing it
    ballot_votes: dict[str, str] = field(
        default_factory=dict
    )  # a ballot drawn again shows the same

    @property
    def polling(self) -> bool:
        return self.method == polling_record.METHOD


class AuditChecker:
    """Judges audit entries in log order; each method returns what is wrong with the entry."""

    def __init__(self, election: Election) -> None:
        self.election = election
        self.audits: dict[str, ContestAudit] = {}

    def check(
        self, entry: Mapping[str, Any], counted: Mapping[tuple[str, str], Protocol]
    ) -> list[str]:
        """``counted``: (station, contest) → the counted protocol at this point of the log."""
        kind = entry.get("kind")
        try:
            if kind == "audit-seed":
                return self._seed(entry, counted)
            contest = str(entry.get("contest"))
            audit = self.audits.get(contest)
            if audit is None:
                return [f"{kind} for contest {contest!r}, which has no audit seed before it"]
            if kind == "audit-round":
                return self._round(entry, audit)
            if kind == "audit-count":
                return self._count(entry, audit)
            if kind == "audit-ballots":
                return self._ballots(entry, audit)
            if kind == "audit-decision":
                return self._decision(entry, audit)
        except (AchykError, TypeError, ValueError, KeyError) as err:
            return [f"{kind}: malformed ({err})"]
        return [f"unknown audit entry kind {kind!r}"]

    def _authority(self, entry: Mapping[str, Any]) -> list[str]:
        authority = next(
            (a for a in self.election.authorities if a.id == entry.get("authority")), None
        )
        if authority is None:
            return [
                f"{entry.get('kind')} names no authority of the definition ({entry.get('authority')!r})"
            ]
        try:
            verify(
                authority.public_key,
                AUDIT_PURPOSE,
                unsigned(entry, "signature"),
                str(entry.get("signature")),
            )
        except AchykError:
            return [
                f"{entry.get('kind')}: the signature of authority {authority.id} does not verify"
            ]
        return []

    def _seed(
        self, entry: Mapping[str, Any], counted: Mapping[tuple[str, str], Protocol]
    ) -> list[str]:
        contest = self.election.contest(str(entry.get("contest")))
        polled = contest is not None and contest.kind in polling_record.POLLING_KINDS
        if contest is None or not (contest.kind is ContestKind.PARTY_LIST or polled):
            return [
                f"audit seed for {entry.get('contest')!r}, not a party-list, presidential or "
                "district contest of the election"
            ]
        method = polling_record.METHOD if polled else "batch-comparison"
        if entry.get("method", "batch-comparison") != method:
            return [
                f"audit seed for {contest.id}: the method of a {contest.kind} contest is {method}"
            ]
        if contest.id in self.audits:
            return [f"a second audit seed for contest {contest.id}"]
        problems = self._authority(entry)
        seed = str(entry.get("seed"))
        try:
            sampling.check_seed(seed)
        except AchykError:
            problems.append(f"audit seed {seed!r} is not 20 or more dice digits")
        try:
            pct = Decimal(str(entry.get("risk_limit")))
            ok = pct.is_finite() and 0 < pct < 100
        except InvalidOperation:
            ok = False
        if not ok:
            return [
                *problems,
                f"risk limit {entry.get('risk_limit')!r} is not a percentage in (0, 100)",
            ]
        mine = {s: p for (s, c), p in counted.items() if c == contest.id}
        reported = tuple(batches(self.election, contest, mine))
        if polled:
            problems += self._polling_seed(entry, contest.id, seed, pct, reported, ok=not problems)
            return problems
        population = tuple(b.id for b in reported if b.paper)
        if list(entry.get("population", [])) != list(population):
            problems.append(
                f"audit seed for {contest.id}: the population is not the {len(population)} stations "
                f"with a counted protocol at this point, in id order"
            )
        if problems:
            return problems
        regions = {b.id: b.region for b in reported}
        self.audits[contest.id] = ContestAudit(
            contest.id, seed, float(pct) / 100, population, reported, regions=regions
        )
        return []

    def _polling_seed(
        self, entry: Mapping[str, Any], contest_id: str, seed: str, pct: Decimal,
        reported: tuple[Batch, ...], *, ok: bool,
    ) -> list[str]:  # fmt: skip
        """The manifest's check; the audit is opened only when this and the seed's others pass."""
        listed = polling_record.manifest(reported)
        if entry.get("manifest") != [list(m) for m in listed]:
            return [
                f"audit seed for {contest_id}: the manifest is not the {len(listed)} stations with a "
                f"counted protocol at this point and their ballots, in id order"
            ]
        contest = self.election.contest(contest_id)
        assert contest is not None
        totals = polling_record.Reported.of(contest, reported)
        polling_record.assertions(contest, totals)  # a tie: InputError, reported as malformed
        if not ok:
            return []
        self.audits[contest_id] = ContestAudit(
            contest_id, seed, float(pct) / 100, (), reported,
            method=polling_record.METHOD, manifest=tuple(listed),
        )  # fmt: skip
        return []

    def _polling_round(
        self, entry: Mapping[str, Any], audit: ContestAudit, number: int, size: Any
    ) -> list[str]:
        if not isinstance(size, int) or size <= len(audit.draws):
            return [
                f"audit round {number} of {audit.contest_id}: size {size!r} is not more than {len(audit.draws)}"
            ]
        ids = polling_record.ballot_ids(audit.manifest)
        expected = sampling.draw(audit.seed, ids, size, with_replacement=True)[len(audit.draws) :]
        if entry.get("sample_sha256") != polling_record.sample_hash(expected):
            return [
                f"audit round {number} of {audit.contest_id} sampled other ballots than the seed draws ({expected[:5]}…)"
            ]
        audit.draws.extend(expected)
        audit.rounds = number
        return []

    def _ballots(self, entry: Mapping[str, Any], audit: ContestAudit) -> list[str]:
        """The boards' record of the open round's next drawn ballots: one vote per draw, in order."""
        number, votes, sample = entry.get("round"), entry.get("votes"), entry.get("sample")
        if not audit.polling:
            return [f"ballots recorded for {audit.contest_id}, whose audit is not ballot polling"]
        if number != audit.rounds or audit.polled == len(audit.draws):
            return [
                f"ballots of round {number!r} of {audit.contest_id}: no open round without them"
            ]
        contest = self.election.contest(audit.contest_id)
        assert contest is not None
        choices = polling_record.vote_choices(contest)
        if not isinstance(sample, list) or not isinstance(votes, list):
            return [f"ballots of round {number} of {audit.contest_id}: sample and votes are lists"]
        if not 0 < len(sample) <= polling_record.BALLOTS_PER_ENTRY or len(votes) != len(sample):
            return [
                f"ballots of round {number} of {audit.contest_id}: 1 to {polling_record.BALLOTS_PER_ENTRY} draws, one vote each"
            ]
        drawn = audit.draws[audit.polled : audit.polled + len(sample)]
        if sample != drawn:
            return [
                f"ballots of round {number} of {audit.contest_id}: not the next draws of the seed (draw {audit.polled + 1} on)"
            ]
        for ballot, vote in zip(drawn, votes, strict=True):
            if vote not in choices:
                return [f"ballot {ballot}: {vote!r} is not one of {list(choices)}"]
            if audit.ballot_votes.get(ballot, vote) != vote:
                return [
                    f"ballot {ballot} drawn again shows {vote!r}, recorded before as {audit.ballot_votes[ballot]!r}"
                ]
        problems = self._board(entry, f"ballots of round {number}")
        if problems:
            return problems
        for ballot, vote in zip(drawn, votes, strict=True):
            audit.ballot_votes[ballot] = vote
            audit.seen[vote] = audit.seen.get(vote, 0) + 1
        audit.polled += len(drawn)
        return []

    def _round(self, entry: Mapping[str, Any], audit: ContestAudit) -> list[str]:
        number, size, sample = entry.get("round"), entry.get("size"), entry.get("sample")
        if number != audit.rounds + 1:
            return [f"audit round {number!r} of {audit.contest_id} after round {audit.rounds}"]
        if audit.rounds and (audit.decided != audit.rounds or audit.decision != "continue"):
            return [
                f"audit round {number} of {audit.contest_id} without a decision to continue round {audit.rounds}"
            ]
        if audit.polling:
            return self._polling_round(entry, audit, number, size)
        if not isinstance(size, int) or not len(audit.draws) < size <= len(audit.population):
            return [
                f"audit round {number} of {audit.contest_id}: size {size!r} is not between {len(audit.draws) + 1} and {len(audit.population)}"
            ]
        expected = sampling.draw(audit.seed, audit.population, size)[len(audit.draws) :]
        if sample != expected:
            return [
                f"audit round {number} of {audit.contest_id} sampled other stations than the seed draws ({expected[:5]}…)"
            ]
        audit.draws.extend(expected)
        audit.rounds = number
        return []

    def _count(self, entry: Mapping[str, Any], audit: ContestAudit) -> list[str]:
        station = str(entry.get("station"))
        if audit.polling:
            return [f"hand count of station {station} in {audit.contest_id}'s ballot-polling audit"]
        if station not in audit.draws:
            return [f"hand count of station {station}, which was not drawn for {audit.contest_id}"]
        if station in audit.counts:
            return [f"a second hand count of station {station} for {audit.contest_id}"]
        contest = self.election.contest(audit.contest_id)
        assert contest is not None
        votes, invalid = entry.get("votes"), entry.get("invalid")
        order = list(ballot_order(contest))
        if not isinstance(votes, dict) or sorted(votes) != sorted(order):
            return [f"hand count of station {station}: votes must list exactly {order}"]
        if not all(isinstance(v, int) and v >= 0 for v in [*votes.values(), invalid]):
            return [f"hand count of station {station}: counts must be whole numbers ≥ 0"]
        problems = self._board(entry, f"hand count of station {station}")
        if problems:
            return problems
        region = audit.regions[station]
        assert isinstance(invalid, int)
        audit.counts[station] = Batch(station, region, dict(votes), invalid)
        return []

    def _board(self, entry: Mapping[str, Any], what: str) -> list[str]:
        """Two board members of two parties signed the entry; ``what`` names it in a problem."""
        members = {m.id: m for m in self.election.audit_boards}
        if not members:
            return ["hand count entered, but the definition names no audit board"]
        signatures = entry.get("signatures")
        if not isinstance(signatures, list) or len(signatures) < 2:
            return [f"{what}: needs the signatures of two board members"]
        doc = unsigned(entry, "signatures")
        parties, seen = set(), set()
        for s in signatures:
            member = members.get(str(s.get("member"))) if isinstance(s, dict) else None
            if member is None or member.id in seen:
                return [f"{what}: signer {s!r} is not a distinct board member"]
            try:
                verify(member.public_key, COUNT_PURPOSE, doc, str(s.get("signature")))
            except AchykError:
                return [f"{what}: the signature of {member.id} does not verify"]
            seen.add(member.id)
            parties.add(member.party)
        if len(parties) < 2:
            return [f"{what}: the board's members are all from {parties.pop()}"]
        return []

    def _decision(self, entry: Mapping[str, Any], audit: ContestAudit) -> list[str]:
        number, decision = entry.get("round"), entry.get("decision")
        if number != audit.rounds or audit.decided == audit.rounds:
            return [
                f"audit decision on round {number!r} of {audit.contest_id}; the open round is {audit.rounds}"
            ]
        if decision not in DECISIONS:
            return [f"audit decision {decision!r} is not one of {DECISIONS}"]
        problems = self._authority(entry)
        missing = [s for s in audit.draws if s not in audit.counts]
        if audit.polling:
            missing = [] if audit.polled == len(audit.draws) else ["the drawn ballots' votes"]
        if missing:
            return [
                *problems,
                f"audit decision on round {number} of {audit.contest_id} before the hand counts of {missing[:5]}",
            ]
        contest = self.election.contest(audit.contest_id)
        assert contest is not None
        if audit.polling:
            totals = polling_record.Reported.of(contest, audit.reported)
            asserted = polling_record.assertions(contest, totals)
            measured = polling_record.risks(asserted, totals, audit.seen, len(audit.draws))
        else:
            measured = {
                r.id: r.risk for r in risks(contest, audit.reported, audit.draws, audit.counts)
            }
        recorded = entry.get("risks")
        if not isinstance(recorded, dict) or set(recorded) != set(measured):
            return [
                *problems,
                f"audit decision on round {number} of {audit.contest_id}: risks must name every assertion ({len(measured)})",
            ]
        for aid, risk in measured.items():
            try:
                value = float(recorded[aid])
            except (TypeError, ValueError):
                value = -1.0
            if abs(value - risk) > RISK_TOLERANCE:
                problems.append(
                    f"audit round {number} of {audit.contest_id}: assertion {aid} risk is {risk_text(risk)}, recorded {recorded[aid]!r}"
                )
        worst = max(measured.values(), default=0.0)
        if decision == "confirmed" and worst > audit.alpha:
            problems.append(
                f"audit of {audit.contest_id} stopped at round {number} before the risk limit was met: "
                f"risk {risk_text(worst)} > {audit.alpha:g}"
            )
        if not problems:
            audit.decided, audit.decision, audit.last_risks = audit.rounds, str(decision), measured
        return problems

    def finish(self) -> list[str]:
        """What is left open at the end of the log: an audit neither confirmed nor escalated."""
        out = []
        for audit in self.audits.values():
            if audit.decided != audit.rounds or audit.decision not in ("confirmed", "full-count"):
                worst = max(audit.last_risks.values(), default=1.0)
                out.append(
                    f"audit of {audit.contest_id} not finished after round {audit.rounds} (risk {risk_text(worst)} > {audit.alpha:g})"
                )
        return out
