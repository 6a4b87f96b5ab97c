"""`achyk verify DIR_OR_URL` and `achyk publish --out DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, open_db
from achyk.cli.trust import LogKeyOption, QuorumOption, TrustOption, WitnessOption, pinned
from achyk.verify.record import verify_record


def verify(
    record: Annotated[str, typer.Argument(help="A record directory or its URL.")],
    workers: Annotated[
        int,
        typer.Option(
            "--workers", help="Processes that check protocols and remote ballots (0: all cores)."
        ),
    ] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Check protocols and remote ballots on this Dask cluster (tcp://HOST:PORT), or "
            "on a cluster of N worker processes started here (local:N).",
        ),
    ] = None,
    trust_file: TrustOption = None,
    log_key: LogKeyOption = None,
    witness: WitnessOption = None,
    quorum: QuorumOption = None,
) -> None:
    """Check every published figure of an election record from scratch; exit 1 on any failure.

    Pin the CEC's trust file (--trust) or at least its log key (--log-key): without a pin the
    record is checked against its own key, which proves it consistent, not genuine.
    """
    import os

    trust = pinned(trust_file, log_key, witness, quorum)

    with console.status("verifying…") as status:
        report = verify_record(
            record, progress=lambda step: status.update(f"verifying {step}…"),
            workers=workers or os.cpu_count(), scheduler=scheduler, trust=trust,
        )  # fmt: skip
    for warning in report.warnings:
        console.print(f"[yellow]WARN[/yellow] {warning}", highlight=False)
    for name, ok, detail in report.checks:
        mark = "[green]ok[/green]  " if ok else "[red]FAIL[/red]"
        console.print(f"{mark} {name}" + (f" — {detail}" if ok and detail else ""), highlight=False)
        if not ok:
            for line in detail.splitlines():
                console.print(f"       {line}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
    console.print("[bold green]the record verifies[/bold green]")


def publish(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the record into.")],
    site: Annotated[
        bool, typer.Option("--site/--no-site", help="Also write the static results site.")
    ] = True,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Write the public election record (definition, log tiles, checkpoints, results, evidence)."""
    from achyk.services.elections import freeze_long_lived, get_election
    from achyk.services.publish import RecordBeside, write_manifest
    from achyk.services.publish import publish as write_record
    from achyk.services.tally import index_of
    from achyk.web.static_site import write_site

    db = open_db(database)
    if not site:
        record = write_record(db, election, out)
        console.print(f"wrote the record of {record['election']} (log size {record['size']}) "
                      f"to {out}", soft_wrap=True)  # fmt: skip
        return
    # The site beside the record: any static web server can serve both, and the site's own
    # "verify it yourself" page points at the record next to it. The record is written by a
    # second process meanwhile; the manifest, of both, last.
    loaded = get_election(db, election)
    election_id = loaded.id
    # The unit index (a second or more at 100,000 stations) built before the record writer is
    # forked: it inherits it, rather than building it again beside this process.
    index_of(loaded)
    freeze_long_lived(loaded)  # out of every writer's cyclic collector (and copy-on-write)
    beside = RecordBeside(db, election_id, out)
    write_site(db, election_id, out / "site")
    record = beside.result()
    write_manifest(out)
    console.print(
        f"wrote the record of {record['election']} (log size {record['size']}) to {out}, "
        f"and the results site to {out / 'site'}"
    )
