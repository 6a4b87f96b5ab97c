"""Time `achyk demo --profile P --no-serve` end to end on a fresh SQLite file.

Two budgets from the issues: the whole demo (protocols, the 4.3-million-voter register with every
check-in, remote voting abroad) under 120 s — with a margin for loaded CI machines, 85 s on an
idle 2-core machine — and the protocols alone (the Foundation's demo:
`--no-register --remote-ballots 0`) under 60 s. The demo's own time-by-phase table is printed
after each run, so a slow run says where its time went.

Run: make bench-demo   (or: python benchmarks/bench_demo.py --profile kz-2023 --only full)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = {
    "full": ([], 120.0, 85.0),
    "protocols only": (["--no-register", "--remote-ballots", "0"], 60.0, None),
}


def timed(profile: str, extra: list[str]) -> tuple[float, str]:
    achyk = Path(sys.executable).with_name("achyk")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        done = subprocess.run(
            [str(achyk), "demo", "--profile", profile, "--no-serve", "--database",
             f"sqlite:///{tmp}/demo.db", *extra],
            check=True, capture_output=True, text=True,
            env={**os.environ, "COLUMNS": "100"},
        )  # fmt: skip
        took = time.perf_counter() - started
    lines = done.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "demo took" in line), len(lines))
    return took, "\n".join(lines[start:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", nargs="?", default="kg-2025", help="default: kg-2025")
    parser.add_argument("--only", choices=list(RUNS), help="one of the two runs")
    parser.add_argument("--quiet", action="store_true", help="no time-by-phase tables")
    args = parser.parse_args()
    parts = []
    for name, (extra, budget, target) in RUNS.items():
        if args.only and name != args.only:
            continue
        took, phases = timed(args.profile, extra)
        margin = f"; target {target:.0f} s idle" if target else ""
        print(
            f"{name:15} {took:6.1f} s  ({took / budget:.2f} of its {budget:.0f} s budget{margin})"
        )
        if not args.quiet:
            print(phases)
        parts.append(f"{name} {took:.1f} s")
    print(f"demo: {args.profile} on SQLite: " + ", ".join(parts))


if __name__ == "__main__":
    main()
