"""`achyk demo` and `achyk generate`: a synthetic election end to end through the real services."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from achyk.cli.common import DatabaseOption, console, open_db
from achyk.cli.results import results as show_results
from achyk.formats.definition import election_to_document
from achyk.ledger.note import format_signer_key
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed
from achyk.sim.generator import generate as generate_election
from achyk.sim.profiles import PROFILES

ProfileOption = Annotated[str, typer.Option("--profile", help=f"One of: {', '.join(PROFILES)}.")]


def _profile(name: str) -> str:
    if name not in PROFILES:
        raise typer.BadParameter(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return name


def demo(
    profile: ProfileOption = "kg-2025",
    database: DatabaseOption = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the printout.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the public election record here.")
    ] = None,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Generate an election, run every protocol through the services, print results, then serve."""
    started = time.perf_counter()
    sim = generate_election(PROFILES[_profile(profile)])
    db = open_db(database)
    console.print(
        f"[bold]{sim.election.name}[/bold]: {sim.election.station_count():,} stations, "
        f"{sum(p.station.registered_voters for p in sim.election.stations()):,} voters, "
        f"{len(sim.submissions):,} protocol submissions ({db.dialect})"
    )
    with Progress(
        TextColumn("submitting protocols"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("submit", total=len(sim.submissions))
        report = run_simulation(db, sim, progress=lambda done, _: bar.update(task, completed=done))
    console.print(
        "outcomes: " + ", ".join(f"{k.value} {v:,}" for k, v in sorted(report.outcomes.items()))
    )
    for r in report.refused:
        console.print(f"[yellow]kept as evidence[/yellow] {r.describe()}", highlight=False)
    for name, stations in sim.anomalies.items():
        console.print(f"injected anomaly [bold]{name}[/bold] at stations {', '.join(stations)}")
    show_results(database=database, election=sim.election.id)
    if out is not None:
        from achyk.services.publish import publish

        publish(db, sim.election.id, out)
        console.print(f"public election record written to {out} — check it: achyk verify {out}")
    console.print(f"demo took {time.perf_counter() - started:.1f} s")
    if not no_serve:
        from achyk.cli.serve import serve

        serve(host=host, port=port, database=database)


def generate(
    profile: ProfileOption = "small",
    out: Annotated[Path, typer.Option("--out", help="Directory to write into.")] = Path("election"),
) -> None:
    """Write a synthetic election: definition.yaml and protocols/*.json (signed envelopes)."""
    sim = generate_election(PROFILES[_profile(profile)])
    (out / "protocols").mkdir(parents=True, exist_ok=True)
    definition = yaml.safe_dump(
        election_to_document(sim.election), allow_unicode=True, sort_keys=False
    )
    (out / "definition.yaml").write_text(definition, encoding="utf-8")
    for source, raw in sim.submissions:
        (out / "protocols" / f"{source}.json").write_bytes(raw)
    authority = private_key_from_seed(sim.authority_seed)
    (out / "cec.key").write_text(format_signer_key("cec", authority) + "\n", encoding="utf-8")
    (out / "cec.key").chmod(0o600)
    switches = [sw.__dict__ for sw in sim.switches]
    (out / "device-switches.json").write_text(json.dumps(switches, indent=2), encoding="utf-8")
    console.print(
        f"wrote {out}/definition.yaml, {len(sim.submissions):,} protocols to {out}/protocols/ "
        f"and the CEC's correction key to {out}/cec.key (a synthetic election: keys are derived)"
    )
