"""`achyk demo` and `achyk generate`: a synthetic election end to end through the real services."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from achyk.cli.common import DatabaseOption, console, open_db
from achyk.cli.demo_phases import disputes_phase, observers_phase, vote_page_phase
from achyk.cli.protocol import show_dry_run
from achyk.cli.results import results as show_results
from achyk.formats.definition import election_to_document
from achyk.ledger.note import format_signer_key
from achyk.services.simulation import run_simulation
from achyk.signing import private_key_from_seed
from achyk.sim.generator import SimElection
from achyk.sim.generator import generate as generate_election
from achyk.sim.manipulation import Manipulation
from achyk.sim.profiles import PROFILES
from achyk.store.database import Database

ProfileOption = Annotated[str, typer.Option("--profile", help=f"One of: {', '.join(PROFILES)}.")]


def _profile(name: str) -> str:
    if name not in PROFILES:
        raise typer.BadParameter(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return name


BULK_FILES_ABOVE = 20_000  # stations: above this, `generate` writes JSON and JSON lines
DEFAULT_REMOTE_BALLOTS = {"small": 200, "kg-2025": 2_000, "kz-2023": 2_000}


def _bar(label: str) -> Progress:
    return Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    )  # fmt: skip


def demo(
    profile: ProfileOption = "kg-2025",
    database: DatabaseOption = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Stop after the printout.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the public election record here.")
    ] = None,
    register: Annotated[
        bool, typer.Option(help="Import the voter register and make every check-in.")
    ] = True,
    remote_ballots: Annotated[
        int | None,
        typer.Option(help="Remote voters abroad (default by profile; 0: no remote voting)."),
    ] = None,
    seeded: Annotated[
        bool,
        typer.Option(
            "--seeded",
            help="REPRODUCIBLE DEMO ONLY: take the trustees' keys, the credentials and the ballot "
            "nonces from the profile's seed instead of the OS's randomness. Never for a real "
            "election: anyone with the profile can recompute every secret.",
        ),
    ] = False,
    audit: Annotated[
        bool, typer.Option(help="Run the risk-limiting audit of the list seats after the results.")
    ] = True,
    audit_variant: Annotated[
        str,
        typer.Option(
            help="honest, or manipulated: votes shifted at a tenth of the stations, enough to "
            "move a seat; the audit escalates to a full hand count that restores the true seats."
        ),
    ] = "honest",
    host: str = "127.0.0.1",
    port: int = 8000,
    transmit: Annotated[
        int,
        typer.Option(
            help="When serving: hold back this many stations' hand counts; their "
            "devices transmit them over HTTP once the server is up (watch the site)."
        ),
    ] = 20,
    vote_online: Annotated[
        bool,
        typer.Option(
            "--vote-online",
            help="Leave remote voting open (no remote tally) and write three credential letters "
            "no simulated voter used, to vote with on the voting page (/e/ID/vote).",
        ),
    ] = False,
) -> None:
    """A whole election through the real services: protocols, register and check-ins, remote
    voting abroad; then results, seats and turnout by hour, and the API and site."""
    from achyk.services.remote.simulation import run_remote, with_remote_unit

    started = time.perf_counter()
    phases: list[tuple[str, float]] = []
    name = _profile(profile)
    ballots = DEFAULT_REMOTE_BALLOTS[name] if remote_ballots is None else remote_ballots
    sim = generate_election(PROFILES[name])
    manipulation = _manipulated(sim, audit_variant, audit)
    sim = manipulation.sim if manipulation else sim
    if ballots:
        import random

        from achyk.crypto.group import SYSTEM_RNG

        sim = with_remote_unit(sim, random.Random(sim.profile.seed) if seeded else SYSTEM_RNG)
        if seeded:
            console.print("[yellow]--seeded: every remote-voting secret follows from the profile's "
                          "seed — a reproducible demo, not an election[/yellow]")  # fmt: skip
    db = open_db(database)
    held: list[bytes] = []
    if not no_serve and transmit > 0:
        sim, held = _hold_back(sim, transmit)
    console.print(
        f"[bold]{sim.election.name}[/bold]: {sim.election.station_count():,} stations, "
        f"{sum(p.station.registered_voters for p in sim.election.stations()):,} voters, "
        f"{len(sim.submissions):,} protocol submissions ({db.dialect})"
    )
    phases.append(("election generated", time.perf_counter() - started))
    mark = time.perf_counter()
    with _bar("station protocols") as bar:
        task = bar.add_task("submit", total=len(sim.submissions))
        report = run_simulation(db, sim, progress=lambda done, _: bar.update(task, completed=done))
    phases.append(("station protocols", time.perf_counter() - mark))
    console.print(
        "protocols: "
        + ", ".join(f"{k.value} {v:,}" for k, v in sorted(report.outcomes.items()))
        + f" ({time.perf_counter() - started:.1f} s)"
    )
    for r in report.refused:
        console.print(f"[yellow]kept as evidence[/yellow] {r.describe()}", highlight=False)
    raw_of = dict(sim.submissions)
    if report.refused and report.refused[0].source in raw_of:  # a typo caught before it is public
        first = report.refused[0].source
        show_dry_run(db, sim.election.id, first, raw_of[first])
    for anomaly, stations in sim.anomalies.items():
        console.print(f"injected anomaly [bold]{anomaly}[/bold] at stations {', '.join(stations)}")
    _forensics_line(db, sim.election.id)
    if register and not _already(db, "register", sim.election.id):
        mark = time.perf_counter()
        phases += _register_and_check_in(db, sim)
        console.print(f"  register and check-ins took {time.perf_counter() - mark:.1f} s")
    if ballots and _already(db, "remote voting", sim.election.id):
        ballots = 0
    if ballots:
        mark = time.perf_counter()
        with _bar("remote voting abroad") as bar:
            task = bar.add_task("remote", total=None)

            def step(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total or None)

            run = run_remote(db, sim, ballots, progress=step, seeded=seeded,
                             open_for=3 if vote_online else 0)  # fmt: skip
        phases.append(("remote voting abroad", time.perf_counter() - mark))
        if vote_online:
            console.print(
                f"remote voting: {run.credentials:,} credentials, {run.cast:,} ballots cast "
                f"({run.revotes} re-votes), {run.challenged} challenged and opened; left OPEN "
                f"for the voting page: no remote tally yet ({time.perf_counter() - mark:.1f} s)"
            )
        else:
            console.print(
                f"remote voting: {run.credentials:,} credentials, {run.cast:,} ballots cast "
                f"({run.revotes} re-votes, last counts), {run.challenged} challenged and opened, "
                f"{run.counted:,} counted; decrypted by 3 of 5 trustees; tally equals intent: "
                f"{run.results == run.intent} ({time.perf_counter() - mark:.1f} s)"
            )
        vote_page_phase(db, sim.election.id, f"http://{host}:{port}", run.spare, out)
    if sim.anomalies.get("stuffing") and not _already(db, "observers", sim.election.id):
        phases.append(observers_phase(db, sim, held))
    if sim.anomalies.get("stuffing") and not _already(db, "complaints", sim.election.id):
        phases.append(disputes_phase(db, sim))
    mark = time.perf_counter()
    show_results(database=database, election=sim.election.id)
    if register:
        _turnout_by_hour(db, sim.election.id)
    phases.append(("results, seats, turnout by hour", time.perf_counter() - mark))
    from achyk.cli.audit_demo import audit_demo

    if audit:
        mark = time.perf_counter()
        audit_demo(db, sim, manipulation)
        phases.append(("risk-limiting audit of the seats", time.perf_counter() - mark))
    if out is not None:
        from achyk.services.publish import publish

        mark = time.perf_counter()
        publish(db, sim.election.id, out)
        phases.append(("public record written", time.perf_counter() - mark))
        console.print(f"public election record written to {out} — check it: achyk verify {out}")
    _where_the_keys_are(db, sim.election.id)
    _time_by_phase(phases, time.perf_counter() - started)
    if not no_serve:
        from achyk.cli.serve import serve
        from achyk.cli.transmit import transmit_later
        from achyk.sim.generator import device_key

        if held:
            console.print(f"{len(held)} hand counts held back: their stations transmit them over "
                          "HTTP (POST …/stations/{id}/protocols) once the server is up")  # fmt: skip
            shape = sim.profile
            transmit_later(f"http://{host}:{port}", held, lambda d: device_key(shape, d),
                           report=lambda line: console.print(line, highlight=False))  # fmt: skip
        serve(host=host, port=port, database=database)


def _manipulated(sim: SimElection, variant: str, audit: bool) -> Manipulation | None:
    """The manipulated variant of the election (achyk.cli.audit_demo), or None for the honest one."""
    from achyk.cli.audit_demo import VARIANTS
    from achyk.sim.manipulation import manipulate

    if variant not in VARIANTS:
        raise typer.BadParameter(f"unknown audit variant {variant!r}; choose one of {VARIANTS}")
    if variant == "honest":
        return None
    if not audit:
        raise typer.BadParameter("--audit-variant manipulated needs the audit (drop --no-audit)")
    return manipulate(sim)


def _hold_back(sim: SimElection, stations: int) -> tuple[SimElection, list[bytes]]:
    """The last `stations` stations' hand counts (official protocols), kept for transmission."""
    official = [(source, raw) for source, raw in sim.submissions if source.endswith("-official")]
    last = {json.loads(raw)["protocol"]["station"] for _, raw in official[-stations * 4 :]}
    chosen = sorted(last)[-stations:]
    held = [(s, raw) for s, raw in official if json.loads(raw)["protocol"]["station"] in chosen]
    rest = tuple(item for item in sim.submissions if item not in held)
    return replace(sim, submissions=rest), [raw for _, raw in held]


def _already(db: Database, stage: str, election_id: str) -> bool:
    """Run again on the same database, the demo shows what is there instead of failing."""
    from achyk.errors import NotFoundError
    from achyk.services.register import register_stats
    from achyk.services.remote.voting import remote_info

    if stage == "register":
        done = register_stats(db, election_id).merkle_root is not None
    elif stage == "observers":
        from achyk.services.observers.record import read_observers

        done = bool(read_observers(db, election_id).missions)
    elif stage == "complaints":
        from achyk.services.disputes.docket import read_docket
        from achyk.services.elections import get_election

        done = bool(read_docket(db, get_election(db, election_id)).cases)
    else:
        try:
            remote_info(db, election_id)
            done = True
        except NotFoundError:
            done = False
    if done:
        console.print(f"{stage}: already done in this database (a demo run before); kept as it is")
    return done


def _time_by_phase(phases: list[tuple[str, float]], total: float) -> None:
    from rich.table import Table

    table = Table(title=f"demo took {total:.1f} s")
    table.add_column("phase")
    table.add_column("seconds", justify="right")
    for what, took in phases:
        table.add_row(what, f"{took:.1f}")
    console.print(table)


def _register_and_check_in(db: Database, sim: SimElection) -> list[tuple[str, float]]:
    from achyk.services.register_simulation import run_register

    with _bar("voter register") as bar:
        task = bar.add_task("register", total=None)

        def step(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        run = run_register(db, sim, progress=step)
    refused = ", ".join(f"{reason.value} {n:,}" for reason, n in run.refused.items())
    console.print(
        f"register: {run.voters:,} voters (personal numbers kept only as keyed hashes), "
        f"commitment {run.merkle_root[:16]}… in log entry {run.log_index}; "
        f"{run.checkins:,} check-ins; refused: {refused or 'none'}"
    )
    for example in run.examples[:3]:
        console.print(f"  refused at the station: {example}", highlight=False)
    return list(run.phases)


def _turnout_by_hour(db: Database, election_id: str) -> None:
    from rich.table import Table

    from achyk.services.register import turnout

    [nation] = turnout(db, election_id)
    table = Table(title=f"Turnout by hour (check-ins), {nation.voted:,} of {nation.registered:,}")
    table.add_column("hour")
    table.add_column("check-ins", justify="right")
    table.add_column("turnout", justify="right")
    for h in nation.by_hour:
        if h.voted:
            table.add_row(f"{h.hour:02d}:00", f"{h.voted:,}", f"{h.turnout_pct}%")
    console.print(table)


def _where_the_keys_are(db: Database, election_id: str) -> None:
    from achyk.services.ledger import log_key_location

    path, vkey = log_key_location(db, election_id)
    console.print(
        f"keys: the log's signing key is the file {path} (mode 0600; the database holds only "
        f"its public key {vkey}). The register secret and the device, authority and trustee "
        "keys of this synthetic election are derived from the profile's seed, as no real "
        "election's may be.",
        highlight=False,
    )


def generate(
    profile: ProfileOption = "small",
    out: Annotated[Path, typer.Option("--out", help="Directory to write into.")] = Path("election"),
    form: Annotated[
        str | None, typer.Option("--form", help="A protocol form preset: ru-duma, kg or kz.")
    ] = None,
) -> None:
    """Write a synthetic election: definition.yaml and protocols/*.json (signed envelopes)."""
    chosen = PROFILES[_profile(profile)]
    sim = generate_election(replace(chosen, form=form) if form else chosen)
    out.mkdir(parents=True, exist_ok=True)
    if sim.election.station_count() > BULK_FILES_ABOVE:
        # A country of 100,000 stations: JSON (PyYAML would take minutes) and one envelope a line.
        (out / "definition.json").write_text(
            json.dumps(election_to_document(sim.election), ensure_ascii=False), encoding="utf-8"
        )
        with (out / "protocols.jsonl").open("wb") as f:
            f.writelines(raw + b"\n" for _, raw in sim.submissions)
        written = (
            f"{out}/definition.json, {len(sim.submissions):,} protocols to {out}/protocols.jsonl"
        )
    else:
        (out / "protocols").mkdir(parents=True, exist_ok=True)
        definition = yaml.safe_dump(
            election_to_document(sim.election), allow_unicode=True, sort_keys=False
        )
        (out / "definition.yaml").write_text(definition, encoding="utf-8")
        for source, raw in sim.submissions:
            (out / "protocols" / f"{source}.json").write_bytes(raw)
        written = f"{out}/definition.yaml, {len(sim.submissions):,} protocols to {out}/protocols/"
    authority = private_key_from_seed(sim.authority_seed)
    (out / "cec.key").write_text(format_signer_key("cec", authority) + "\n", encoding="utf-8")
    (out / "cec.key").chmod(0o600)
    switches = [sw.__dict__ for sw in sim.switches]
    (out / "device-switches.json").write_text(json.dumps(switches, indent=2), encoding="utf-8")
    console.print(
        f"wrote {written} "
        f"and the CEC's correction key to {out}/cec.key (a synthetic election: keys are derived)"
    )


def _forensics_line(db: Database, election_id: str) -> None:
    """What the forensics screens single out in the demo (its stuffed stations among them)."""
    from achyk.forensics.flags import station_flags
    from achyk.services.forensics import election_forensics

    f = election_forensics(db, election_id)
    strong = [fl.station for fl in station_flags(f.table.stations, f.broken) if fl.strong]
    console.print(f"forensics: stations flagged as extreme: {', '.join(strong) or 'none'} "
                  f"(see /e/{election_id}/forensics/)")  # fmt: skip
