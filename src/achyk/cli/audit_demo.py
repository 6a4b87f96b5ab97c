"""The demo's audit: dice digits on the log, stations drawn, boards' hand counts, the decision."""

from __future__ import annotations

import hashlib

from achyk.cli.common import console
from achyk.services.audit_record import audit_checker
from achyk.services.audit_run import AuditKeys, board_paper, run_audit
from achyk.sim.generator import BOARD, SimElection, authority_key, board_key
from achyk.store.database import Database

RISK_LIMIT = "10"


def dice_seed(name: str) -> str:
    """Twenty 'dice' digits for the demo (a real ceremony rolls them in public)."""
    digits = str(int.from_bytes(hashlib.sha256(f"achyk-demo-dice/{name}".encode()).digest(), "big"))
    return digits[:20]


def audit_demo(db: Database, sim: SimElection) -> None:
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
    out = run_audit(db, election.id, "list", seed, RISK_LIMIT, keys, board_paper(db, election.id, "list"),
                    witnesses=["observer missions", "party agents"])  # fmt: skip
    console.print(
        f"audit of the list seats: seed {seed} on the log; {out.rounds} round(s), {out.counted:,} of "
        f"{out.stations:,} stations hand-counted by two-party boards ({out.discrepancies} with an "
        f"honest discrepancy, recorded); risk {out.risk:.4f} against a {RISK_LIMIT}% limit: "
        f"{out.decision}"
    )
