"""Time `achyk demo --profile P --no-serve` end to end on a fresh SQLite file (the issue's 60 s budget).

Run: make bench-demo   (or: python benchmarks/bench_demo.py kz-2023)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 60.0


def main() -> None:
    profile = sys.argv[1] if len(sys.argv) > 1 else "kg-2025"
    achyk = Path(sys.executable).with_name("achyk")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run(
            [str(achyk), "demo", "--profile", profile, "--no-serve", "--database",
             f"sqlite:///{tmp}/demo.db"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        took = time.perf_counter() - started
    print(
        f"demo: {profile} end to end in {took:.1f} s on SQLite ({took / BUDGET_S:.2f} of the {BUDGET_S:.0f} s budget)"
    )


if __name__ == "__main__":
    main()
