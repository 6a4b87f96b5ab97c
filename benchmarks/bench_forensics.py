"""Forensics at national scale: import a 100,000-station CEC export, then the analysis.

1. `import_results` of a Russian-style export (semicolon CSV, 15 columns) into SQLite: the
   definition built from the file, one `imported-protocol` log entry per station (Merkle nodes and
   a signed checkpoint per batch), the protocol rows;
2. the integer-percentage test on the loaded election with 1,000 binomial replicates (Kobak et al.
   2016) — the protocols read back from the database, not from the CSV;
3. the four figures (turnout, share, comet, fingerprint) as SVG and PNG.

No peer runs here: the published implementations are notebooks and R scripts, not packages a
benchmark can call (Kobak's analysis code, Klimek's Matlab), so the figure is absolute.

Run: make bench-forensics [STATIONS=100000]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from achyk.forensics.figures import FIGURES, FORMATS, render
from achyk.forensics.integers import integer_peaks
from achyk.services.forensics import election_table
from achyk.services.import_results import import_results
from achyk.sim.cec_export import export_csv, mapping_yaml
from achyk.sim.manipulations import honest, rounding
from achyk.store.database import Database

REPLICATES = 1000


def main(stations: int) -> None:
    table, _ = rounding(honest(stations, seed=2026), 0.02, seed=7)
    data = export_csv(table, regions=85).encode()
    print(f"export: {stations:,} stations, {len(data) / 1e6:.1f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        start, cpu = time.perf_counter(), time.process_time()
        report = import_results(db, data, mapping_yaml(), "export.csv")
        t_import = time.perf_counter() - start
        print(f"import: {report.stations:,} stations in {t_import:.1f} s "
              f"({report.stations / t_import:,.0f} stations/s; CPU {time.process_time() - cpu:.1f} s)")  # fmt: skip

        start, cpu = time.perf_counter(), time.process_time()
        _, contest = election_table(db, report.election_id)
        t_read = time.perf_counter() - start
        cpu_read = time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        peaks = integer_peaks(contest.stations, 0.1, REPLICATES, seed=1)
        t_integers = time.perf_counter() - start
        cpu_integers = time.process_time() - cpu
        print(f"read back {len(contest.stations):,} protocols in {t_read:.1f} s (CPU "
              f"{cpu_read:.1f} s); integers "
              f"{t_integers:.1f} s (CPU {cpu_integers:.1f} s, all threads): observed {peaks.integer_either}, expected "
              f"{peaks.expected_either:.1f}, excess {peaks.excess:+.1f}, p = {peaks.p_value:.4f}")  # fmt: skip

        start, cpu = time.perf_counter(), time.process_time()
        out = Path(tmp) / "figures"
        out.mkdir()
        for name in FIGURES:
            for fmt in FORMATS:
                (out / f"{name}.{fmt}").write_bytes(render(contest.stations, name, fmt))
        t_plots = time.perf_counter() - start
        print(f"plots: {len(FIGURES) * len(FORMATS)} files in {t_plots:.1f} s "
              f"(CPU {time.process_time() - cpu:.1f} s)")  # fmt: skip
    total = t_read + t_integers + t_plots
    print(f"analysis (read + integers + plots): {total:.1f} s; with the import: "
          f"{total + t_import:.1f} s; cores: {os.cpu_count()}, load average "
          f"{os.getloadavg()[0]:.1f} (wall times stretch on a shared machine)")  # fmt: skip
    print(f"forensics: import {report.stations / t_import:,.0f} stations/s, integers "
          f"{t_integers:.1f} s for {stations:,} stations × {REPLICATES} replicates, "
          f"plots {t_plots:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
