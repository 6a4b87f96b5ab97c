"""The station protocol (CIS-style итоговый протокол) and its control relations.

A protocol is checked against every relation and against the election it claims to belong to; every
broken relation is reported, not just the first, so a station commission can fix all of them at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter, itemgetter
from typing import Any

from achyk.domain.definition import Contest, Election
from achyk.domain.forms import BASE_LINES, EARLY, RESERVED, ProtocolForm, check_form
from achyk.errors import Problem

AGAINST_ALL = "against-all"


class ProtocolKind(StrEnum):
    PRELIMINARY = "preliminary"  # the scanner's (ASU) count at close
    OFFICIAL = "official"  # the hand count signed by the station commission


# The numbered lines of the standard protocol (an election that names no form), in the order of
# the paper form. An election that names a form (achyk.domain.forms) numbers them as its law does.
LINES: tuple[tuple[str, str], ...] = BASE_LINES
LINE_NUMBER = {key: i + 1 for i, (key, _) in enumerate(LINES)}
LINE_LABEL = dict(LINES)


@dataclass(frozen=True)
class Protocol:
    election_id: str
    station_id: str
    contest_id: str
    kind: ProtocolKind
    voters_on_list: int
    ballots_received: int
    issued_in_station: int
    issued_outside: int
    cancelled: int
    found_mobile: int
    found_stationary: int
    invalid: int
    valid: int
    votes: tuple[tuple[str, int], ...]  # (option id or AGAINST_ALL, votes), in ballot order
    # Set only for a protocol on a named form: its id, and the form's own lines (early voting,
    # lost and unaccounted ballots …) beyond the nine above, in the form's order.
    form_id: str | None = None
    extra: tuple[tuple[str, int], ...] = ()

    @property
    def issued(self) -> int:
        """Voters who received a ballot (early voters included): the turnout numerator."""
        return self.issued_in_station + self.issued_outside + self.line(EARLY)

    def line(self, key: str) -> int:
        """Any line's value by its field name; 0 for a line this protocol's form does not have."""
        if key in LINE_NUMBER:
            return int(getattr(self, key))
        if not self.extra:  # the standard form: tabulation asks for `issued` of every protocol
            return 0
        return next((n for k, n in self.extra if k == key), 0)

    @property
    def found(self) -> int:
        return self.found_mobile + self.found_stationary

    def votes_for(self, option_id: str) -> int:
        return dict(self.votes).get(option_id, 0)

    def key(self) -> tuple[str, str, ProtocolKind]:
        return (self.station_id, self.contest_id, self.kind)

    def to_json(self) -> dict[str, Any]:
        """The protocol as a JSON object (the form that is hashed, signed and published)."""
        doc: dict[str, Any] = {
            "election": self.election_id,
            "station": self.station_id,
            "contest": self.contest_id,
            "kind": self.kind.value,
        }
        for key, _ in LINES:
            doc[key] = getattr(self, key)
        if self.form_id is not None:  # only then, so standard protocols keep their hashes
            doc["form"] = self.form_id
            doc.update(self.extra)
        doc["votes"] = {option: n for option, n in self.votes}
        return doc


# The nine lines' values of a protocol, in the order of LINES, and an option line's votes: in C,
# for the checks every protocol passes.
_LINE_VALUES = attrgetter(*LINE_NUMBER)
_SECOND = itemgetter(1)


def _line(key: str) -> str:
    return f"line {LINE_NUMBER[key]} ({LINE_LABEL[key]})"


def check_protocol(p: Protocol, form: ProtocolForm | None) -> tuple[list[Problem], list[Problem]]:
    """(refusals, flags): the relations `p` breaks that refuse it, and those that only flag it.

    Without a form (the standard protocol) every broken relation refuses.
    """
    if form is None:
        return check_relations(p), []
    values = {key: p.line(key) for key in form.line_keys()}
    refusals, flags = check_form(form, values, sum(n for _, n in p.votes))
    refusals += [Problem(f"votes for {o}", f"{n} is negative") for o, n in p.votes if n < 0]
    return refusals, flags


def check_relations(p: Protocol, form: ProtocolForm | None = None) -> list[Problem]:
    """Every control relation of the protocol form that `p` breaks and that refuses it."""
    if form is not None:
        return check_protocol(p, form)[0]
    # Each message is written only for a relation broken (a protocol is checked 200,000 times
    # in a country's verification, and almost every one breaks none).
    problems: list[Problem] = []
    option_votes = list(map(_SECOND, p.votes))
    if min(_LINE_VALUES(p)) < 0 or (option_votes and min(option_votes) < 0):
        for key, _ in LINES:
            value = getattr(p, key)
            if value < 0:
                problems.append(Problem(_line(key), f"{value} is negative"))
        for option, n in p.votes:
            if n < 0:
                problems.append(Problem(f"votes for {option}", f"{n} is negative"))
        return problems  # the sums below mean nothing with negative terms

    issued, found = p.issued, p.found
    issued_cancelled = issued + p.cancelled
    if issued_cancelled != p.ballots_received:
        problems.append(Problem(
            _line("ballots_received"),
            f"{p.ballots_received} ≠ issued in station {p.issued_in_station} + issued outside "
            f"{p.issued_outside} + cancelled {p.cancelled} = {issued_cancelled}",
        ))  # fmt: skip
    if p.valid + p.invalid != found:
        problems.append(Problem(
            _line("valid"),
            f"valid {p.valid} + invalid {p.invalid} = {p.valid + p.invalid} ≠ ballots found "
            f"{found} (mobile {p.found_mobile} + stationary {p.found_stationary})",
        ))  # fmt: skip
    total = sum(option_votes)
    if total != p.valid:
        problems.append(Problem(_line("valid"), f"{p.valid} ≠ sum of option votes {total}"))
    if found > issued:
        problems.append(
            Problem("ballots found", f"{found} found in boxes > {issued} ballots issued")
        )
    if p.found_mobile > p.issued_outside:
        problems.append(Problem(
            _line("found_mobile"),
            f"{p.found_mobile} > {p.issued_outside} ballots issued outside the station",
        ))  # fmt: skip
    if issued > p.voters_on_list:
        problems.append(Problem(
            "ballots issued",
            f"{issued} voters received ballots > {p.voters_on_list} voters on the list",
        ))  # fmt: skip
    return problems


def check_against_election(p: Protocol, election: Election) -> list[Problem]:
    """Does the protocol belong to this election: its station, its contest, its ballot lines?"""
    problems: list[Problem] = []
    if p.election_id != election.id:
        problems.append(Problem("election", f"{p.election_id!r} is not election {election.id!r}"))
    place = election.place(p.station_id)
    if place is None:
        problems.append(Problem("station", f"no station {p.station_id!r} in this election"))
    contest = election.contest(p.contest_id)
    if contest is None:
        problems.append(Problem("contest", f"no contest {p.contest_id!r} in this election"))
        return problems
    if place is not None and not contest.covers(place.district_id):
        problems.append(
            Problem(
                "contest",
                f"station {p.station_id} (district {place.district_id}) "
                f"does not vote in {contest.id}",
            )
        )
    problems.extend(_check_ballot_lines(p, contest))
    return problems


def _check_ballot_lines(p: Protocol, contest: Contest) -> list[Problem]:
    expected, distinct = _ballot_lines(contest)
    given = [option for option, _ in p.votes]
    if distinct and given == expected:  # each line of the ballot once, in its order: the usual
        return []
    problems = [Problem("votes", f"missing line for {o!r}") for o in expected if o not in given]
    problems += [
        Problem("votes", f"{o!r} is not on the ballot") for o in given if o not in expected
    ]
    seen: set[str] = set()
    for option in given:
        if option in seen:
            problems.append(Problem("votes", f"{option!r} appears twice"))
        seen.add(option)
    return problems


# contest id → (the contest, its ballot's lines in order, whether each is there once), for
# _check_ballot_lines. Kept per contest object (an election may be reloaded); cleared when a
# process has seen many. The list is shared: typed as a Sequence so that nothing changes it.
_ballots: dict[str, tuple[Contest, list[str], bool]] = {}


def _ballot_lines(contest: Contest) -> tuple[Sequence[str], bool]:
    hit = _ballots.get(contest.id)
    if hit is None or hit[0] is not contest:
        lines = list(contest.option_ids()) + ([AGAINST_ALL] if contest.against_all else [])
        if len(_ballots) >= 64:
            _ballots.clear()
        hit = _ballots[contest.id] = (contest, lines, len(set(lines)) == len(lines))
    return hit[1], hit[2]


def protocol_from_json(
    doc: Mapping[str, Any], form: ProtocolForm | None = None, *, strict: bool = False
) -> tuple[Protocol | None, list[Problem]]:
    """Build a protocol from its JSON object, naming each missing or mistyped field.

    With `form` (or `strict`, for an election on the standard form) the object must be on that
    form: its ``"form"`` names it, it has every line of the form and nothing else. Without, the
    object is read as it says: the standard form when it names none (strictly, as ever), else
    the nine lines tabulation needs and its form's other lines (a stored protocol, checked on
    its way in).
    """
    if form is None and "form" not in doc:
        standard = _standard_protocol(doc)
        if standard is not None:
            return standard, []
    return _read_field_by_field(doc, form, strict)


def _read_field_by_field(
    doc: Mapping[str, Any], form: ProtocolForm | None, strict: bool
) -> tuple[Protocol | None, list[Problem]]:
    problems: list[Problem] = []

    def text(key: str) -> str:
        value = doc.get(key)
        if not isinstance(value, str) or not value:
            problems.append(Problem(key, "required (a non-empty string)"))
            return ""
        return value

    def count(key: str, where: str, source: Mapping[str, Any]) -> int:
        value = source.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(Problem(where, f"required (a whole number), got {value!r}"))
            return 0
        return value

    election_id, station_id, contest_id = text("election"), text("station"), text("contest")
    kind_text = text("kind")
    kind = ProtocolKind.PRELIMINARY
    if kind_text:
        try:
            kind = ProtocolKind(kind_text)
        except ValueError:
            problems.append(Problem("kind", f"{kind_text!r} is not preliminary or official"))
    raw_votes = doc.get("votes")
    votes_doc: Mapping[str, Any] = raw_votes if isinstance(raw_votes, Mapping) else {}
    if not isinstance(raw_votes, Mapping):
        problems.append(Problem("votes", "required (an object of option → votes)"))
    named = doc.get("form")
    form_id: str | None = None
    extra_keys: tuple[str, ...] = ()
    if form is not None:
        form_id = form.id
        extra_keys = form.extra_keys()
        if named != form.id:
            problems.append(Problem("form", f"this election's protocols are on form {form.id!r}: "
                                    f"give \"form\": \"{form.id}\", got {named!r}"))  # fmt: skip
    elif "form" in doc and not strict:
        if not isinstance(named, str) or not named:
            problems.append(Problem("form", "a non-empty string (the form's id)"))
        form_id = str(named)
        extra_keys = tuple(k for k in doc if k not in RESERVED and k not in LINE_NUMBER)

    def where(key: str) -> str:
        line = form.line(key) if form is not None else None
        return f"line {line.number} ({line.label}) [{key}]" if line else key

    lines = {key: count(key, where(key), doc) for key, _ in LINES}
    extra = tuple((key, count(key, where(key), doc)) for key in extra_keys)
    votes = tuple(
        (str(option), count(option, f"votes.{option}", votes_doc)) for option in votes_doc
    )
    known = {"election", "station", "contest", "kind", "votes", *LINE_NUMBER, *extra_keys}
    if form_id is not None:
        known.add("form")
    problems += [Problem(str(k), "unknown field") for k in doc if k not in known]
    if problems:
        return None, problems
    return Protocol(election_id, station_id, contest_id, kind, votes=votes, form_id=form_id,
                    extra=extra, **lines), []  # fmt: skip


_STANDARD_FIELDS = frozenset({"election", "station", "contest", "kind", "votes", *LINE_NUMBER})
_KINDS = {kind.value: kind for kind in ProtocolKind}
_NAMES_AND_VOTES = itemgetter("election", "station", "contest", "kind", "votes")
_LINE_ITEMS = itemgetter(*LINE_NUMBER)  # the nine lines of a JSON object, in the order of LINES


def _standard_protocol(doc: Mapping[str, Any]) -> Protocol | None:
    """The protocol on the standard form that `doc` is beyond doubt, else None.

    Nearly every protocol read is well formed, and reading it field by field (each named for the
    problem it might have) is most of its parsing. Here it is read at once when it has exactly
    the standard fields, non-empty strings (exactly str) for the four names with a known kind,
    and exact ints for every line and option (a bool is an int, and refused): then
    `_read_field_by_field` would find no problem and build this very protocol. Anything else is
    left to it, to name what is wrong.
    """
    if doc.keys() != _STANDARD_FIELDS:
        return None
    election_id, station_id, contest_id, kind_text, votes = _NAMES_AND_VOTES(doc)
    if not (
        type(election_id) is str and election_id
        and type(station_id) is str and station_id
        and type(contest_id) is str and contest_id
        and type(kind_text) is str
        and type(votes) is dict
    ):  # fmt: skip
        return None
    kind = _KINDS.get(kind_text)
    lines = _LINE_ITEMS(doc)
    if kind is None or not _all_of_type(int, (*lines, *votes.values())):
        return None
    if not _all_of_type(str, votes):
        return None
    return Protocol(election_id, station_id, contest_id, kind, votes=tuple(votes.items()),
                    **dict(zip(LINE_NUMBER, lines, strict=True)))  # fmt: skip


def _all_of_type(cls: type, values: Iterable[object]) -> bool:
    """Every value is exactly of `cls`, no subclass (in C: a generator would cost more than the
    two dozen checks of a protocol themselves)."""
    return set(map(type, values)) <= {cls}
