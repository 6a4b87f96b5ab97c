"""Complaints and the steps of their handling, as log entries carry them.

A complaint (`complaint` entry) is filed by a voter, candidate, party, observer or mission about a
station, a commission's act or the whole election, with a category, the facts and the SHA-256 of
each evidence file (the files themselves stay in the evidence store and are published, redacted,
when the complaint is decided). Each later act on it (`complaint-step` entry) is signed by the
authority key of the body that takes it, with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Filer(StrEnum):
    VOTER = "voter"
    CANDIDATE = "candidate"
    PARTY = "party"
    OBSERVER = "observer"
    MISSION = "mission"


class Subject(StrEnum):
    STATION = "station"  # a polling station: its voting, count or protocol
    ACT = "act"  # a decision or act of a commission
    ELECTION = "election"  # the election as a whole


class Category(StrEnum):
    """The grounds commissions and observers of the region name most (cf. ODIHR final reports)."""

    BALLOT_STUFFING = "ballot-stuffing"
    CAROUSEL = "carousel-voting"
    VOTER_LIST = "voter-list"
    COUNTING = "counting"
    PROTOCOL = "final-protocol"
    PRESSURE = "pressure"
    VOTE_BUYING = "vote-buying"
    OBSERVERS = "observers-obstructed"
    CAMPAIGN = "campaign"
    OTHER = "other"


class Body(StrEnum):
    """The competent bodies, lowest first: PEC → TEC → CEC → court → Supreme Court."""

    STATION = "station"
    TERRITORIAL = "territorial"
    CENTRAL = "central"
    COURT = "court"
    SUPREME_COURT = "supreme-court"

    def next(self) -> Body | None:
        order = list(Body)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


class Status(StrEnum):
    FILED = "filed"
    REGISTERED = "registered"
    HEARING_SET = "hearing-set"
    DECIDED = "decided"
    APPEALED = "appealed"
    REFERRED = "referred-to-court"
    EXECUTED = "executed"  # the decision's order carried out (a correction, an annulment)
    CLOSED = "closed"
    INVALID = "found-invalid"


class Decision(StrEnum):
    DISMISS = "dismiss"
    UPHOLD = "uphold"  # founded, no change to results (a warning, a referral to prosecutors)
    RECOUNT = "recount"  # the station's ballots counted again; the result becomes a correction
    ANNUL = "annul"  # the station's result removed from the count


ORDERS = (Decision.RECOUNT, Decision.ANNUL)  # decisions that change the results


@dataclass(frozen=True)
class Complaint:
    index: int  # its log entry: the complaint's identity
    filer: Filer
    subject: Subject
    station: str | None  # for a station complaint
    category: Category
    facts: str
    evidence: tuple[str, ...]  # SHA-256 hex of each evidence file
    filed_at: str  # ISO 8601, UTC
    body: Body  # where it is filed


@dataclass(frozen=True)
class Step:
    index: int  # its log entry
    complaint: int  # the complaint's log entry
    status: Status
    authority: str  # the authority id of the body that took the step
    at: str  # ISO 8601, UTC
    reasons: str
    decision: Decision | None = None
    hearing: str | None = None  # "date, place" for hearing-set
    correction: int | None = None  # for executed recounts: the correction's log entry
