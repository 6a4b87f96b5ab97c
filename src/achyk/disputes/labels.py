"""Words for the disputes fold's identifiers (statuses, categories, bodies, decisions, filers).

English, and the msgids of the site's catalogs (ru, ky, kk), which translate them on every page;
the open data keeps the identifiers and adds these English labels beside them.
"""

from __future__ import annotations

from achyk.disputes.model import Body, Category, Decision, Filer, Status

LABELS: dict[str, str] = {
    Status.FILED: "filed",
    Status.REGISTERED: "registered",
    Status.HEARING_SET: "hearing set",
    Status.DECIDED: "decided",
    Status.APPEALED: "appealed",
    Status.REFERRED: "referred to court",
    Status.EXECUTED: "executed",
    Status.CLOSED: "closed",
    Status.INVALID: "found invalid",
    Category.BALLOT_STUFFING: "ballot stuffing",
    Category.CAROUSEL: "carousel voting",
    Category.VOTER_LIST: "voter lists",
    Category.COUNTING: "the count",
    Category.PROTOCOL: "the final protocol",
    Category.PRESSURE: "pressure on voters",
    Category.VOTE_BUYING: "vote buying",
    Category.OBSERVERS: "observers obstructed",
    Category.CAMPAIGN: "the campaign",
    Category.OTHER: "other",
    Body.STATION: "station commission",
    Body.TERRITORIAL: "territorial commission",
    Body.CENTRAL: "central commission",
    Body.COURT: "court",
    Body.SUPREME_COURT: "Supreme Court",
    Decision.DISMISS: "dismissed",
    Decision.UPHOLD: "upheld, results unchanged",
    Decision.RECOUNT: "recount ordered",
    Decision.ANNUL: "station result annulled",
    Filer.VOTER: "voter",
    Filer.CANDIDATE: "candidate",
    Filer.PARTY: "party",
    Filer.OBSERVER: "observer",
    Filer.MISSION: "observer mission",
}


def label(identifier: object) -> str:
    """The English label of an identifier (the identifier itself when it has none)."""
    text = str(getattr(identifier, "value", identifier))
    return LABELS.get(text, text)
