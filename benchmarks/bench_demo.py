"""Time `achyk demo --profile P --no-serve` end to end on a fresh SQLite file.

Two budgets from the issues: the whole demo (protocols, the 4.3-million-voter register with every
check-in, remote voting abroad) under 120 s, and the protocols alone (the Foundation's demo:
`--no-register --remote-ballots 0`) under 60 s.

Run: make bench-demo   (or: python benchmarks/bench_demo.py kz-2023)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = {"full": ([], 120.0), "protocols only": (["--no-register", "--remote-ballots", "0"], 60.0)}


def timed(profile: str, extra: list[str]) -> float:
    achyk = Path(sys.executable).with_name("achyk")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run(
            [str(achyk), "demo", "--profile", profile, "--no-serve", "--database",
             f"sqlite:///{tmp}/demo.db", *extra],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        return time.perf_counter() - started


def main() -> None:
    profile = sys.argv[1] if len(sys.argv) > 1 else "kg-2025"
    parts = []
    for name, (extra, budget) in RUNS.items():
        took = timed(profile, extra)
        print(f"{name:15} {took:6.1f} s  ({took / budget:.2f} of its {budget:.0f} s budget)")
        parts.append(f"{name} {took:.1f} s")
    print(f"demo: {profile} on SQLite: " + ", ".join(parts))


if __name__ == "__main__":
    main()
