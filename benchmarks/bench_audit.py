"""The audit at the scale of kg-2025: plan, audit, and the verifier's recomputation.

Loads the kg-2025 profile's protocols into a fresh SQLite file, then times
- the plan: every assertion of the list seats with its margins and expected stations;
- the audit itself (seed, rounds, two-party boards' signed hand counts, decisions) — printed for
  information, it is mostly hand counts entered and logged;
- verify: the audit entries replayed from the log by the same checker `achyk verify` uses
  (population at the seed, sampler redraw, board signatures, every round's risks, the decision).
Side by side with rlacalc (McBurnett, MIT), the peer for the sample-size formulas, with ratios.

Run: make bench-audit  (last line: `audit: plan N ms for N stations, verify N ms`)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time

import rlacalc

from achyk.audit import comparison, polling
from achyk.audit.record import AUDIT_KINDS, AuditChecker, counted_now
from achyk.cli.audit_demo import dice_seed
from achyk.domain.protocol import protocol_from_json
from achyk.services.audit_plan import plan_election
from achyk.services.audit_run import AuditKeys, board_paper, run_audit
from achyk.services.ledger import entries, log_size
from achyk.services.simulation import run_simulation
from achyk.sim.generator import BOARD, authority_key, board_key, generate
from achyk.sim.profiles import PROFILES
from achyk.store.database import Database


def formulas() -> None:
    margins = [m / 1000 for m in range(5, 400, 3)]
    t = time.perf_counter()
    for m in margins:
        w = int(50_000 * (1 + m))
        polling.asn(polling.Contest((w, 100_000 - w), 100_000), 0.1)
        comparison.sample_size(m, 0.1)
    ours = time.perf_counter() - t
    t = time.perf_counter()
    for m in margins:
        rlacalc.findAsn(alpha=0.1, margin=m)
        rlacalc.nmin(alpha=0.1, margin=m)
    theirs = time.perf_counter() - t
    print(
        f"sample sizes ({len(margins)} margins): achyk {ours * 1000:.1f} ms, rlacalc {theirs * 1000:.1f} ms, ratio {ours / theirs:.2f}"
    )


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "kg-2025"
    formulas()
    profile = PROFILES[name]
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(f"sqlite:///{tmp}/bench.db")
        t = time.perf_counter()
        sim = generate(profile)
        run_simulation(db, sim)
        print(f"{name}: protocols loaded in {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        _, plans = plan_election(db, None, 0.10)
        plan_ms = (time.perf_counter() - t) * 1000
        lists = [p for p in plans if p.method == "batch-comparison"]
        stations = sum(p.stations for p in lists)
        for p in lists:
            print(
                f"plan {p.contest.id}: {len(p.assertions)} assertions, expect {p.expected} of {p.stations} stations"
            )

        keys = AuditKeys(
            "cec", authority_key(profile), tuple((m, board_key(profile, m)) for m, _ in BOARD[:2])
        )
        t = time.perf_counter()
        out = run_audit(
            db, None, "list", dice_seed(name), "10", keys, board_paper(db, None, "list")
        )
        print(
            f"audit: {out.rounds} round(s), {out.counted} stations counted, {out.decision} in {time.perf_counter() - t:.1f} s"
        )

        texts = entries(db, sim.election.id, 0, log_size(db, sim.election.id))
        t = time.perf_counter()
        checker = AuditChecker(sim.election)
        slots = {}
        problems = []
        for text in texts:
            entry = json.loads(text)
            kind = entry.get("kind")
            if kind in ("protocol", "correction"):
                p, _ = protocol_from_json(entry["protocol"])
                if p is not None:
                    slots[(p.station_id, p.contest_id, p.kind.value)] = p
            elif kind in AUDIT_KINDS:
                counted = counted_now(list(slots.values())) if kind == "audit-seed" else {}
                problems += checker.check(entry, counted)
        problems += checker.finish()
        verify_ms = (time.perf_counter() - t) * 1000
        assert not problems, problems[:3]
    print(f"audit: plan {plan_ms:.0f} ms for {stations} stations, verify {verify_ms:.0f} ms")


if __name__ == "__main__":
    main()
