"""The statutory clock: how long each body has, per jurisdiction, as data.

Kyrgyzstan — Constitutional Law "On Presidential and Jogorku Kenesh Elections" (2 July 2011 No 68,
as amended 23 April 2015; IFES translation): art. 44 — decisions of a PEC are appealed to the TEC,
of a TEC to the CEC, of the CEC to the court of first instance and then the Supreme Court, whose
decision is final; complaints are decided within three days, and those filed on election day or
the day before at once; art. 55(2)–(3) — the CEC determines the results within twenty days of
election day, and while voting returns are appealed in court it waits for the court's final word.
Station results may be challenged within three days of election day.

Kazakhstan — Constitutional Law "On Elections in the Republic of Kazakhstan" (28 September 1995
No 2464), art. 20 (appeals against commissions' acts): a constitutional challenge of the Mäjilis
results may be brought within ten days. The days a commission has to decide are NOT verified here
against art. 20's text: the preset assumes the Kyrgyz three days, and a CEC using it must set the
figure its law gives (a definition may name its own rules).

A definition chooses its rules in an optional `disputes:` section (`achyk.formats.dispute_rules`):
a preset and any figure it overrides, with the election's UTC offset. Without one, the Kyrgyz
rules apply.

Time zones: Kyrgyzstan is UTC+6. Kazakhstan has kept one zone, UTC+5, since 1 March 2024 (before
that Astana and Almaty were UTC+6): the preset uses UTC+5; a definition for an earlier election
sets its offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from achyk.disputes.model import Body


@dataclass(frozen=True)
class DisputeRules:
    name: str
    decide_days: int  # a body decides a complaint within this many days of receiving it
    results_challenge_days: int | None  # station results may be challenged this long after the day
    certify_days: int | None  # the CEC determines the results within this many days of the day
    court_challenge_days: int | None  # a challenge of the results in court, after publication
    source: str
    utc_offset_minutes: int = 360  # the election's time zone, in which the days are counted

    @property
    def tz(self) -> tzinfo:
        return timezone(timedelta(minutes=self.utc_offset_minutes))


KG = DisputeRules("kg", 3, 3, 20, 3, "KG Constitutional Law of 2 July 2011 No 68, arts. 44, 55")
KZ = DisputeRules(
    "kz",
    3,
    None,
    None,
    10,
    "KZ Constitutional Law of 28 September 1995 No 2464, art. 20 (decide_days assumed)",
    300,
)
PRESETS = {r.name: r for r in (KG, KZ)}


def decision_due(
    rules: DisputeRules, received: datetime, election_day: date, tz: tzinfo
) -> datetime:
    """When a body must have decided a complaint it received at `received`.

    Filed on election day or the day before: "at once", which we hold to the end of that day in
    the election's time zone (a commission that sits through the night still decides that day).
    Otherwise `decide_days` days later.
    """
    local = received.astimezone(tz)
    if local.date() in (election_day, election_day - timedelta(days=1)):
        return datetime.combine(local.date(), time(23, 59, 59), tz)
    return local + timedelta(days=rules.decide_days)


def results_challenge_closes(
    rules: DisputeRules, election_day: date, tz: tzinfo
) -> datetime | None:
    if rules.results_challenge_days is None:
        return None
    last = election_day + timedelta(days=rules.results_challenge_days)
    return datetime.combine(last, time(23, 59, 59), tz)


def certification_due(rules: DisputeRules, election_day: date, tz: tzinfo) -> datetime | None:
    if rules.certify_days is None:
        return None
    return datetime.combine(election_day + timedelta(days=rules.certify_days), time(23, 59, 59), tz)


def body_may_order(body: Body) -> bool:
    """Recounts and annulments are ordered by a superior commission or a court, never by the
    station commission whose own count is in question."""
    return body is not Body.STATION
