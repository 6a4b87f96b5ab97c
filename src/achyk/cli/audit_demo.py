"""The demo's audit: dice digits on the log, stations drawn, boards' hand counts, the decision.

Two variants (``achyk demo --audit-variant honest|manipulated``):

- **honest** — the paper is what the protocols say, but for a few honest misreads the boards
  record; the audit confirms the seats after a round or two;
- **manipulated** — the commissions of a tenth of the home stations wrote votes of the runner-up
  list for the leader into their signed official protocols, by the least amount per station that
  moves a seat (:mod:`achyk.sim.manipulation`); the paper holds the true votes. The audit cannot
  confirm the reported seats, escalates round by round to a full hand count, and the CEC enters
  the hand counts through the correction path, which restores the true seats. ``achyk verify``
  recomputes either record: the audit, the corrections and the seats.
"""

from __future__ import annotations

import hashlib

from achyk.cli.common import console
from achyk.services.audit_record import audit_checker
from achyk.services.audit_run import AuditKeys, board_paper, correct_from_full_count, run_audit
from achyk.sim.generator import BOARD, SimElection, authority_key, board_key
from achyk.sim.manipulation import Manipulation
from achyk.store.database import Database

RISK_LIMIT = "10"
VARIANTS = ("honest", "manipulated")


def dice_seed(name: str) -> str:
    """Twenty 'dice' digits for the demo (a real ceremony rolls them in public)."""
    digits = str(int.from_bytes(hashlib.sha256(f"achyk-demo-dice/{name}".encode()).digest(), "big"))
    return digits[:20]


def _list_seats(db: Database, sim: SimElection) -> dict[str, int]:
    from achyk.domain.seat_results import list_seats
    from achyk.services.results import results

    election, tab = results(db, sim.election.id)
    contest = election.contest("list")
    assert contest is not None
    allocation = list_seats(election, tab, contest).allocation
    return dict(allocation.as_dict()) if allocation is not None else {}


def _seats_text(seats: dict[str, int]) -> str:
    return ", ".join(f"{p} {n}" for p, n in sorted(seats.items(), key=lambda t: -t[1]) if n)


def audit_demo(db: Database, sim: SimElection, manipulation: Manipulation | None = None) -> None:
    election = sim.election
    if not election.audit_boards or election.contest("list") is None:
        return
    if audit_checker(db, election.id).audits:
        console.print(
            "audit: already on the log in this database (a demo run before); kept as it is"
        )
        return
    profile = sim.profile
    keys = AuditKeys(
        "cec", authority_key(profile), tuple((m, board_key(profile, m)) for m, _ in BOARD[:2])
    )
    seed = dice_seed(profile.name)
    if manipulation is None:
        paper = board_paper(db, election.id, "list")
    else:
        truth, shifted = manipulation.true_votes, set(manipulation.stations)
        console.print(
            f"[yellow]manipulated variant:[/yellow] at {len(shifted)} stations the commission "
            f"wrote {manipulation.per_station} votes for {manipulation.to_party} taken from other "
            f"lists ({manipulation.from_party} first) into its signed protocol; the paper is "
            f"unchanged. Seats as reported: {_seats_text(_list_seats(db, sim))}"
        )
        # elsewhere the boards find what the counted protocol says (a recount already corrected)
        counted = board_paper(db, election.id, "list", misread_every=0)

        def paper(station: str) -> tuple[dict[str, int], int]:
            if station in shifted:
                votes, invalid = truth[station]
                return dict(votes), invalid
            return counted(station)

    out = run_audit(db, election.id, "list", seed, RISK_LIMIT, keys, paper,
                    witnesses=["observer missions", "party agents"])  # fmt: skip
    console.print(
        f"audit of the list seats: seed {seed} on the log; {out.rounds} round(s), {out.counted:,} of "
        f"{out.stations:,} stations hand-counted by two-party boards ({out.discrepancies} with a "
        f"discrepancy, recorded); risk {out.risk:.4f} against a {RISK_LIMIT}% limit: "
        f"{out.decision}"
    )
    _polling_demo(db, sim, keys, seed)
    if out.decision == "full-count":
        corrected = correct_from_full_count(db, election.id, "list", paper, keys)
        console.print(
            f"full hand count: the CEC corrected {len(corrected)} official protocols the paper "
            f"contradicts (correction entries on the log); seats now: "
            f"{_seats_text(_list_seats(db, sim))}"
        )


def _polling_demo(db: Database, sim: SimElection, keys: AuditKeys, seed: str) -> None:
    """BRAVO ballot polling of the district contest with the widest reported margin."""
    from achyk.audit import polling_record
    from achyk.audit.party_list import batches
    from achyk.domain.definition import ContestKind
    from achyk.errors import InputError
    from achyk.services.audit_polling import run_polling_audit
    from achyk.services.audit_record import counted_protocols

    counted = counted_protocols(db, sim.election.id)
    best: tuple[float, str] | None = None
    for contest in sim.election.contests:
        if contest.kind not in polling_record.POLLING_KINDS:
            continue
        mine = {s: p for (s, c), p in counted.items() if c == contest.id}
        totals = polling_record.Reported.of(contest, batches(sim.election, contest, mine))
        try:
            polling_record.assertions(contest, totals)
        except InputError:
            continue  # a tie: only a full hand count settles it
        ranked = sorted(totals.votes.values(), reverse=True)
        k = contest.seats if contest.kind is ContestKind.DISTRICT else 1
        margin = (ranked[k - 1] - ranked[k]) / max(1, totals.ballots)
        if best is None or margin > best[0]:
            best = (margin, contest.id)
    if best is None:
        return
    out = run_polling_audit(db, sim.election.id, best[1], seed, RISK_LIMIT, keys)
    console.print(
        f"ballot-polling audit (BRAVO) of {best[1]}: {out.drawn:,} ballots drawn with replacement "
        f"from {out.ballots:,} in {out.rounds} round(s), votes recorded by the boards; risk "
        f"{out.risk:.4f}: {out.decision}"
    )
