"""The fold of a complaint's history, on every path the law allows and a few it does not.

The hierarchy is the Kyrgyz one (Constitutional Law "On Presidential and Jogorku Kenesh Elections",
2 July 2011 No 68, art. 44, IFES translation): a PEC's acts are appealed to the TEC, a TEC's to the
CEC, the CEC's to the court of first instance, whose decision goes to the Supreme Court, which is
final. Complaints are decided within three days; filed on election day or the day before, at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from achyk.disputes.lifecycle import BodyKey, Case, DisputeError, Docket
from achyk.disputes.model import Body, Category, Complaint, Decision, Filer, Status, Step, Subject
from achyk.disputes.rules import KG, certification_due, decision_due, results_challenge_closes
from achyk.errors import DefinitionError

WHERE = {"1001": ("d01", "north"), "2001": ("d05", "south")}
TEC_NORTH = BodyKey("tec-north", Body.TERRITORIAL, "north")
TEC_SOUTH = BodyKey("tec-south", Body.TERRITORIAL, "south")
PEC = BodyKey("pec-1001", Body.STATION, "1001")
CEC = BodyKey("cec", Body.CENTRAL, None)
COURT = BodyKey("court", Body.COURT, None)
SUPREME = BodyKey("supreme-court", Body.SUPREME_COURT, None)
BISHKEK = timezone(timedelta(hours=6))


def complaint(
    index: int = 10, body: Body = Body.TERRITORIAL, station: str | None = "1001"
) -> Complaint:
    subject = Subject.STATION if station else Subject.ELECTION
    return Complaint(index, Filer.PARTY, subject, station, Category.BALLOT_STUFFING, "facts", (),
                     "2025-11-30T14:00:00+00:00", body)  # fmt: skip


class Walk:
    def __init__(self, c: Complaint) -> None:
        self.docket = Docket()
        self.docket.file(c)
        self.c = c
        self.n = c.index

    def __call__(self, key: BodyKey, status: Status, **extra: object) -> Status:
        self.n += 1
        step = Step(self.n, self.c.index, status, key.id, "2025-12-01T10:00:00+00:00", "reasons",
                    **extra)  # type: ignore[arg-type]  # fmt: skip
        return self.docket.step(step, key, WHERE).status


def test_founded_complaint_to_a_recount_and_its_correction() -> None:
    walk = Walk(complaint())
    walk(TEC_NORTH, Status.REGISTERED)
    walk(TEC_NORTH, Status.HEARING_SET, hearing="1 December, 10:00, TEC hall")
    walk(TEC_NORTH, Status.DECIDED, decision=Decision.RECOUNT)
    walk(TEC_NORTH, Status.EXECUTED, correction=40)
    assert walk(TEC_NORTH, Status.CLOSED) is Status.CLOSED
    case = walk.docket.cases[10]
    assert case.decision is Decision.RECOUNT and case.correction == 40 and not case.pending


def test_appeal_to_the_cec_then_court_then_supreme_court_which_is_final() -> None:
    walk = Walk(complaint())
    walk(TEC_NORTH, Status.REGISTERED)
    walk(TEC_NORTH, Status.DECIDED, decision=Decision.DISMISS)
    walk(CEC, Status.APPEALED)  # the CEC takes up the appeal of the TEC's decision
    walk(CEC, Status.DECIDED, decision=Decision.DISMISS)
    walk(CEC, Status.REFERRED)  # the CEC's decision goes to court
    walk(COURT, Status.DECIDED, decision=Decision.DISMISS)
    walk(SUPREME, Status.APPEALED)
    assert walk(SUPREME, Status.DECIDED, decision=Decision.UPHOLD) is Status.DECIDED
    with pytest.raises(DisputeError, match="decides finally: there is no appeal"):
        walk(SUPREME, Status.APPEALED)


@pytest.mark.parametrize(
    ("key", "status", "extra", "why"),
    [
        (TEC_SOUTH, Status.REGISTERED, {}, "no jurisdiction over station 1001"),
        (CEC, Status.REGISTERED, {}, "the case is before the territorial"),
        (COURT, Status.DECIDED, {"decision": Decision.ANNUL}, "a court body; the case is before"),
        (TEC_NORTH, Status.CLOSED, {}, "cannot become closed"),
        (TEC_NORTH, Status.REFERRED, {}, "only the central commission refers"),
    ],
)
def test_steps_the_law_does_not_allow(key: BodyKey, status: Status, extra: dict[str, object],
                                      why: str) -> None:  # fmt: skip
    walk = Walk(complaint())
    if status is not Status.REGISTERED:
        walk(TEC_NORTH, Status.REGISTERED)
    with pytest.raises(DisputeError, match=why):
        walk(key, status, **extra)


def test_a_station_commission_cannot_order_a_recount_of_its_own_count() -> None:
    walk = Walk(complaint(body=Body.STATION))
    walk(PEC, Status.REGISTERED)
    with pytest.raises(DisputeError, match="station body cannot order a recount"):
        walk(PEC, Status.DECIDED, decision=Decision.RECOUNT)


def test_an_executed_step_needs_a_recount_behind_it() -> None:
    walk = Walk(complaint())
    walk(TEC_NORTH, Status.REGISTERED)
    walk(TEC_NORTH, Status.DECIDED, decision=Decision.DISMISS)
    with pytest.raises(DisputeError, match="only a recount or an annulment is executed"):
        walk(TEC_NORTH, Status.EXECUTED, correction=40)


def test_a_step_on_a_complaint_never_filed() -> None:
    docket = Docket()
    step = Step(5, 4, Status.REGISTERED, "cec", "2025-12-01T10:00:00+00:00", "r")
    with pytest.raises(DisputeError, match="log entry 4 is not a filed complaint"):
        docket.step(step, CEC, WHERE)


def test_the_clock_kg() -> None:
    day = date(2025, 11, 30)
    # before election day: three days
    early = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
    assert decision_due(KG, early, day, BISHKEK) == early.astimezone(BISHKEK) + timedelta(days=3)
    # on election day (and the day before): the same day, in Bishkek time
    on_day = datetime(2025, 11, 30, 5, 0, tzinfo=UTC)
    assert decision_due(KG, on_day, day, BISHKEK) == datetime(
        2025, 11, 30, 23, 59, 59, tzinfo=BISHKEK
    )
    eve = datetime(2025, 11, 29, 3, 0, tzinfo=UTC)
    assert decision_due(KG, eve, day, BISHKEK).date() == date(2025, 11, 29)
    # station results may be challenged for three days; the CEC certifies within twenty
    closes = results_challenge_closes(KG, day, BISHKEK)
    assert closes is not None and closes.date() == date(2025, 12, 3)
    due = certification_due(KG, day, BISHKEK)
    assert due is not None and due.date() == date(2025, 12, 20)


def test_a_missed_deadline_is_flagged_and_a_late_decision_shown_as_late() -> None:
    from achyk.disputes.clock import timing

    filed = complaint()
    filed = Complaint(filed.index, filed.filer, filed.subject, filed.station, filed.category,
                      filed.facts, (), "2025-11-20T06:00:00+00:00", filed.body)  # fmt: skip
    walk = Walk(filed)
    walk(TEC_NORTH, Status.REGISTERED)
    case = walk.docket.cases[filed.index]
    t = timing(case, KG, date(2025, 11, 30), BISHKEK)
    assert t.due == datetime(2025, 11, 23, 12, 0, tzinfo=BISHKEK)  # filed 12:00 Bishkek + 3 days
    assert not t.overdue(datetime(2025, 11, 23, 5, 0, tzinfo=UTC))
    assert t.overdue(datetime(2025, 11, 23, 7, 0, tzinfo=UTC))  # 13:00 in Bishkek: past due
    walk.n += 1
    late = Step(walk.n, filed.index, Status.DECIDED, TEC_NORTH.id, "2025-11-25T04:00:00+00:00",
                "decided at last", Decision.DISMISS)  # fmt: skip
    walk.docket.step(late, TEC_NORTH, WHERE)
    t = timing(walk.docket.cases[filed.index], KG, date(2025, 11, 30), BISHKEK)
    assert t.late and not t.overdue(datetime(2025, 12, 1, tzinfo=UTC))
    # an appeal starts the CEC's own three days
    walk.n += 1
    appeal = Step(
        walk.n, filed.index, Status.APPEALED, CEC.id, "2025-11-26T04:00:00+00:00", "appeal"
    )
    walk.docket.step(appeal, CEC, WHERE)
    t = timing(walk.docket.cases[filed.index], KG, date(2025, 11, 30), BISHKEK)
    assert t.decided is None and t.due == datetime(2025, 11, 29, 10, 0, tzinfo=BISHKEK)


def test_a_definition_sets_its_own_clock() -> None:
    """The `disputes:` section: a preset, the figures its law sets otherwise, the time zone —
    written back in full (so the hashed definition says which deadlines applied), and absent,
    nothing written (existing definitions keep their hashes)."""
    from achyk.disputes.rules import KZ
    from achyk.formats.definition import election_from_document, election_to_document
    from achyk.web.complaints import clocks
    from factories import election

    plain = election_to_document(election())
    assert "disputes" not in plain and election_from_document(plain).dispute_rules is None
    doc = {**plain, "disputes": {"preset": "kz", "decide_days": 5, "results_challenge_days": 3}}
    rules = election_from_document(doc).dispute_rules
    assert rules is not None and rules.name == "kz" and rules.decide_days == 5
    assert rules.court_challenge_days == KZ.court_challenge_days == 10
    assert rules.results_challenge_days == 3 and rules.certify_days is None
    assert rules.utc_offset_minutes == 300
    again = election_to_document(election_from_document(doc))
    assert again["disputes"]["decide_days"] == 5 and again["disputes"]["source"] == KZ.source
    assert election_from_document(again).dispute_rules == rules
    with pytest.raises(DefinitionError, match="decide_days"):
        election_from_document({**plain, "disputes": {"decide_days": 0}})
    with pytest.raises(DefinitionError, match="preset"):
        election_from_document({**plain, "disputes": {"preset": "fr"}})
    # the register's clock follows the definition: five days (at UTC+5), not the KG three
    kz = election_from_document(doc)
    filed = "2025-12-05T04:00:00+00:00"  # 09:00 at UTC+5, five days after election day
    case = Case(Complaint(7, Filer.VOTER, Subject.ELECTION, None, Category.OTHER, "f", (),
                          filed, Body.CENTRAL), Status.REGISTERED, Body.CENTRAL)  # fmt: skip
    four_days = datetime(2025, 12, 9, 5, 0, tzinfo=UTC)
    assert clocks(kz, [case], four_days) == {7: ""}  # due after 5 days
    assert clocks(election(), [case], four_days) == {7: "overdue"}  # KG: 3 days
