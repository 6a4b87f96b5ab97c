"""Form 2 — a change of voting place before election day — one voter or a whole file at once.

A batch is all or nothing: every request is checked (a well-formed personal number, a station of
the election, on the register, not already at that station, not twice in the batch) and either
every voter is moved, each move its own ``register-move`` log entry, or nothing is and every
problem is named. The log entry holds the voter's keyed hash, never the personal number.

Problems never quote a personal number: an API answer built from them must carry no personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from achyk.domain.definition import Election
from achyk.domain.form2 import MoveRequest, last_day
from achyk.domain.personal_number import PersonalNumberError, parse_personal_number
from achyk.domain.register import VoterHasher
from achyk.errors import InputError, Problem
from achyk.services.elections import get_election
from achyk.services.ledger import append_entries
from achyk.store.database import Database
from achyk.store.register_repo import RegisterRepo


@dataclass(frozen=True)
class MoveRecord:
    from_station: str
    to_station: str
    log_index: int


class MovesRefused(InputError):
    """Form 2 refused. ``conflict``: the requests are well formed but the register's state (or the
    date) refuses them; otherwise at least one request itself is malformed."""

    def __init__(self, subject: str, problems: Sequence[Problem], *, conflict: bool) -> None:
        super().__init__(subject, problems)
        self.conflict = conflict

    @property
    def reasons(self) -> str:
        return "; ".join(str(p) for p in self.problems)


def _number_problem(err: PersonalNumberError) -> str:
    return f"not a valid personal number ({err.reason})"


def move_voters(
    db: Database,
    election_id: str | None,
    requests: Sequence[MoveRequest],
    secret: bytes,
    *,
    today: date,
    subject: str = "Form 2",
) -> list[MoveRecord]:
    """Move every voter of `requests` to their new station, or none (raising MovesRefused).

    A refusal is kept as evidence, with its reasons and the applications (voters as keyed
    hashes), before it is raised.
    """
    election = get_election(db, election_id)
    try:
        return _move_voters(db, election, requests, secret, today=today, subject=subject)
    except MovesRefused as refusal:
        _keep_refusal(db, election.id, requests, VoterHasher(secret), refusal)
        raise


def _keep_refusal(
    db: Database, election_id: str, requests: Sequence[MoveRequest], hasher: VoterHasher,
    refusal: MovesRefused,
) -> None:  # fmt: skip
    asked = []
    for r in requests:
        number = r.personal_number.strip()
        try:
            parse_personal_number(number)
            voter: str | None = hasher(number).hex()
        except PersonalNumberError:
            voter = None  # not a personal number: nothing of it is kept
        asked.append({"where": r.where, "voter": voter, "to": r.to_station})
    reasons = [{"where": p.where, "problem": p.what} for p in refusal.problems]
    with db.session() as s:
        RegisterRepo(s, election_id).add_move_refusal(refusal.subject, asked, reasons)


def _move_voters(
    db: Database,
    election: Election,
    requests: Sequence[MoveRequest],
    secret: bytes,
    *,
    today: date,
    subject: str,
) -> list[MoveRecord]:
    day = date.fromisoformat(election.date)
    if today >= day:
        raise MovesRefused(
            subject,
            [Problem("", f"Form 2 is accepted until {last_day(day).isoformat()}; "
                         f"today is {today.isoformat()}")],
            conflict=True,
        )  # fmt: skip
    hasher = VoterHasher(secret)
    malformed: list[Problem] = []
    checked: list[tuple[MoveRequest, bytes, str | None]] = []  # (request, voter hash, country)
    first_seen: dict[bytes, str] = {}
    for r in requests:
        number = r.personal_number.strip()
        try:
            parse_personal_number(number)
        except PersonalNumberError as err:
            malformed.append(Problem(r.where, _number_problem(err)))
            number = ""
        place = election.place(r.to_station)
        if place is None:
            malformed.append(Problem(r.where, f"no station {r.to_station!r} in election "
                                              f"{election.id}"))  # fmt: skip
        if not number or place is None:
            continue
        voter = hasher(number)
        if voter in first_seen:
            seen = first_seen[voter]
            twice = f"the same voter is moved again (first at {seen})" if seen else "moved twice"
            malformed.append(Problem(r.where, twice))
            continue
        first_seen[voter] = r.where
        checked.append((r, voter, place.station.country))
    refused: list[Problem] = []
    with db.session() as s:
        repo = RegisterRepo(s, election.id)
        # Rows locked in one order (by hash), whatever the file's: two files moving the same
        # voters in opposite orders must queue, not deadlock.
        locked = {v: repo.station_of(v, for_update=True) for v in sorted(v for _, v, _ in checked)}
        homes = []
        for r, voter, _ in checked:
            home = locked[voter]
            if home is None:
                refused.append(Problem(r.where, "this personal number is not on the register"))
            elif home == r.to_station:
                refused.append(
                    Problem(r.where, f"the voter is already registered at station {home}")
                )
            homes.append(home)
        if malformed or refused:
            problems = sorted(malformed + refused, key=lambda p: _order(p.where))
            raise MovesRefused(subject, problems, conflict=not malformed)
        if not checked:
            return []
        entries = []
        for (r, voter, country), home in zip(checked, homes, strict=True):
            assert home is not None
            repo.move(voter, home, r.to_station, country)
            entries.append(
                {"kind": "register-move", "election": election.id, "voter": voter.hex(),
                 "from": home, "to": r.to_station}
            )  # fmt: skip
        indexes = append_entries(s, election.id, entries)
    return [MoveRecord(e["from"], e["to"], i) for e, i in zip(entries, indexes, strict=True)]


def _order(where: str) -> tuple[int, str]:
    """Problems in input order: "line 10" after "line 9"."""
    head, _, number = where.rpartition(" ")
    return (int(number), head) if number.isdigit() else (0, where)


def move_voter(
    db: Database,
    election_id: str | None,
    personal_number: str,
    to_station: str,
    secret: bytes,
    *,
    today: date,
    subject: str = "Form 2",
) -> MoveRecord:
    """One Form 2: the voter's new station, or MovesRefused saying why not."""
    return move_voters(
        db, election_id, [MoveRequest(personal_number, to_station)], secret, today=today,
        subject=subject,
    )[0]  # fmt: skip
