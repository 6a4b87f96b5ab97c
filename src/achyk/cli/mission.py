"""`achyk mission …` and `achyk observe …`: observer missions on the record.

Every envelope is signed on its signer's device — the CEC's accreditation, the mission's
registrations and plan, an observer's forms and protocol copies; these commands log what was signed
(refusals kept as evidence, exit status 1) and read the missions' coverage and the protocol copies
that differ from the published protocols. `achyk observe sign` is the observer's side: it signs a
form's answers with the observer's own key, offline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from achyk.cli import mission_statement
from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.errors import InputError, Problem
from achyk.ledger.note import parse_signer_key
from achyk.observers import signing as sig
from achyk.observers.deployment import ABROAD
from achyk.observers.forms import STANDARD, check_answers
from achyk.observers.mission_forms import parse_mission_forms
from achyk.observers.model import KINDS, ObserverError
from achyk.observers.moves import lto_draw
from achyk.services.elections import get_election
from achyk.services.observers.findings import copy_flags, mission_coverage
from achyk.services.observers.inbox import publish_inbox
from achyk.services.observers.record import election_strata, read_observers, record_many

app = typer.Typer(help="Observer missions: accreditation, observers, plans.", no_args_is_help=True)
observe = typer.Typer(help="An observer's forms and protocol copies.", no_args_is_help=True)
app.add_typer(mission_statement.statement, name="statement")
app.command("member")(mission_statement.member)


def _private(key: Path) -> Any:
    try:
        return parse_signer_key(key.read_text(encoding="utf-8").strip())[1]
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise InputError(str(key), [Problem("", f"not a readable key file: {err}")]) from None


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(str(path), [Problem("", f"not a readable JSON file: {err}")]) from None


def _log(kind: str, envelopes: list[Any], database: str | None, election: str | None) -> None:
    results = record_many(open_db(database), election, kind, envelopes)
    refused = 0
    for n, r in enumerate(results, start=1):
        if r.index is None:
            refused += 1
            err_console.print(f"[red]{kind} #{n} refused (kept as evidence): "
                              f"{'; '.join(r.refused)}[/red]")  # fmt: skip
    console.print(f"{kind}: {len(results) - refused} logged, {refused} refused")
    if refused:
        raise typer.Exit(1)


@app.command("record")
def record(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    file: Annotated[Path, typer.Argument(help="A signed envelope or a JSON list of them.")],
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Log signed envelopes of one kind (accreditations, registrations, a plan, publications)."""
    if kind not in KINDS:
        raise typer.BadParameter(f"one of {', '.join(KINDS)}", param_hint="KIND")
    data = _json(file)
    _log(kind, data if isinstance(data, list) else [data], database, election)


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Each mission's coverage and findings, from its entries on the log."""
    rows = mission_coverage(open_db(database), election)
    if as_json:
        typer.echo(json.dumps([r.__dict__ | {"sentence": r.sentence()} for r in rows]))
        return
    for c in rows:
        console.print(f"{c.mission}\t{c.kind}\t{c.observers} observers\t{c.sentence()}\t"
                      f"{c.negative}/{c.assessments} negative\t{c.copies} copies", highlight=False)  # fmt: skip


@app.command("flags")
def flags(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Protocol copies that differ from the published protocol, line by line."""
    rows = copy_flags(open_db(database), election)
    if as_json:
        typer.echo(json.dumps([{"station": s, "copy": w, "differences": d} for s, w, d in rows]))
        return
    for station, who, diffs in rows:
        console.print(f"station {station}: {who}: " + "; ".join(diffs), highlight=False)
    if not rows:
        console.print("every protocol copy matches its published protocol")


@observe.command("sign")
def sign_form(
    key: Annotated[Path, typer.Option("--key", help="The observer's signer key (never uploaded).")],
    mission: Annotated[str, typer.Option("--mission")],
    observer: Annotated[str, typer.Option("--observer", help="The observer's pseudonym.")],
    station: Annotated[str, typer.Option("--station")],
    form: Annotated[
        str,
        typer.Option(
            "--form", help=f"One of {', '.join(STANDARD)} or the mission's own (--forms)."
        ),
    ],
    answers: Annotated[Path, typer.Option("--answers", help="JSON object: question → answer.")],
    own: Annotated[
        Path | None,
        typer.Option(
            "--forms", help="The mission's signed mission-forms envelope, for its own forms."
        ),
    ] = None,
) -> None:
    """Sign a form on the observer's device: prints {"observation": …, "content": …}; the first
    goes to the log now, the second to the mission, which publishes it."""
    private = _private(key)
    given = _json(answers)
    choices = dict(STANDARD)
    if own is not None:
        try:
            choices |= {k: f.form for k, f in parse_mission_forms(_json(own)).items()}
        except (ObserverError, AttributeError) as err:
            raise InputError(str(own), [Problem("", f"not a mission's forms: {err}")]) from None
    spec = choices.get(form)
    if spec is None or not isinstance(given, dict):
        raise InputError(
            str(answers), [Problem("", f"a JSON object for one of {', '.join(choices)}")]
        )
    try:
        flagged = check_answers(spec, given).flags
    except ObserverError as err:
        raise InputError(str(answers), [Problem("", str(err))]) from None
    for flag in flagged:
        err_console.print(f"[yellow]quality check: {flag}[/yellow]")
    content = {"answers": given, "evidence": []}
    envelope = sig.observation(private, mission, observer, station, form, content)
    typer.echo(json.dumps({"observation": envelope, "content": content}, ensure_ascii=False))


@observe.command("submit")
def submit(
    file: Annotated[Path, typer.Argument(help="Signed observations or protocol copies (JSON).")],
    kind: Annotated[str, typer.Option("--kind")] = "observation",
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Log an observer's signed submissions: an observation's hash, or a protocol copy."""
    if kind not in ("observation", "protocol-copy", "station-change"):
        raise typer.BadParameter(
            "observation, protocol-copy or station-change", param_hint="--kind"
        )
    data = _json(file)
    items = data if isinstance(data, list) else [data]
    # `observe sign` prints {"observation": …, "content": …}: only the observation goes to the log.
    envelopes = [i["observation"] if isinstance(i, dict) and "observation" in i and "content" in i
                 else i for i in items]  # fmt: skip
    _log(kind, envelopes, database, election)


@observe.command("move")
def move(
    key: Annotated[Path, typer.Option("--key", help="The observer's signer key (never uploaded).")],
    mission: Annotated[str, typer.Option("--mission")],
    observer: Annotated[str, typer.Option("--observer", help="The observer's pseudonym.")],
    origin: Annotated[str, typer.Option("--from", help="The station the team leaves (or skips).")],
    target: Annotated[str, typer.Option("--to", help="The station it goes to instead.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, in a sentence (on the record).")],
) -> None:
    """Sign a change of station on the day (the phone page does the same): prints the envelope
    for `achyk observe submit --kind station-change`."""
    envelope = sig.station_change(_private(key), mission, observer, origin, target, reason)
    typer.echo(json.dumps(envelope, ensure_ascii=False))


@app.command("lto-areas")
def lto_areas(
    key: Annotated[Path, typer.Option("--key", help="The mission's signer key.")],
    mission: Annotated[str, typer.Option("--mission")],
    seed: Annotated[
        str | None, typer.Option("--seed", help="Draw the areas from this seed.")
    ] = None,
    areas: Annotated[Path | None, typer.Option("--areas", help="JSON: LTO → [region ids].")] = None,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Sign the long-term observers' areas of responsibility: drawn from a seed over the mission's
    registered LTOs and the election's regions (anyone redraws them), or as given. Prints the
    envelope for `achyk mission record lto-areas`."""
    if (seed is None) == (areas is None):
        raise typer.BadParameter("either --seed or --areas", param_hint="--seed/--areas")
    if seed is not None:
        db = open_db(database)
        state = read_observers(db, election)
        strata = election_strata(get_election(db, election))
        ltos = sorted(p for (m, p), o in state.observers.items()
                      if m == mission and o.role.value == "lto")  # fmt: skip
        given = lto_draw(seed, ltos, sorted(h for h in strata if h != ABROAD))
    else:
        assert areas is not None
        given = _json(areas)
        if not isinstance(given, dict):
            raise InputError(str(areas), [Problem("", "a JSON object: LTO → [region ids]")])
    typer.echo(json.dumps(sig.lto_areas(_private(key), mission, given, seed), ensure_ascii=False))


@app.command("publish")
def publish(
    key: Annotated[Path, typer.Option("--key", help="The mission's signer key.")],
    mission: Annotated[str, typer.Option("--mission")],
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Open the mission's inbox with its key and publish every form whose hash is on the log, with
    its photos (metadata stripped; named by the original's hash the observer signed)."""
    done = publish_inbox(open_db(database), election, mission, _private(key))
    console.print(f"{mission}: {done.observations} forms and {done.photos} photos published, "
                  f"{done.waiting} waiting for their submission", highlight=False)  # fmt: skip
    for problem in done.problems:
        err_console.print(f"[red]{problem}[/red]")
    if done.problems:
        raise typer.Exit(1)


@app.command("forms")
def forms(
    key: Annotated[Path, typer.Option("--key", help="The mission's signer key.")],
    mission: Annotated[str, typer.Option("--mission")],
    file: Annotated[Path, typer.Argument(help="The mission's own forms: YAML or JSON.")],
) -> None:
    """Sign the mission's own forms (a list, or {"forms": [...]}; docs/record-format.md) on the
    mission's machine, after checking them as the log will. Prints the envelope for `achyk
    mission record mission-forms`; a later one replaces the earlier."""
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise InputError(
            str(file), [Problem("", f"not a readable YAML or JSON file: {err}")]
        ) from None
    given = data.get("forms") if isinstance(data, dict) else data
    try:
        parse_mission_forms({"forms": given})
    except ObserverError as err:
        raise InputError(str(file), [Problem("", str(err))]) from None
    assert isinstance(given, list)
    typer.echo(json.dumps(sig.mission_forms(_private(key), mission, given), ensure_ascii=False))
