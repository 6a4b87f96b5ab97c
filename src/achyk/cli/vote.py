"""`achyk vote` — the Python voting client — and `achyk remote …`, the operators' commands.

The client encrypts on the voter's own machine: it fetches the election's public parameters (from
the API, or from a published record whose log it checks against the signed checkpoint), encrypts and
proves the choices, signs with the voter's credential, prints the tracking code, and either casts
the ballot or — with `--challenge` — audits the device: the ballot is opened (choices and nonces
published on the log), never counted, and anyone can check it encrypts what the voter chose.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, open_db
from achyk.errors import AchykError, InputError, Problem

app = typer.Typer(
    help="Remote voting abroad: set up, issue credentials, tally.", no_args_is_help=True
)


def params_from_record(location: str) -> tuple[str, Any]:
    """(election id, params) from a published record: the `remote-params` entry of its log,
    taken only from tiles that hash to the checkpoint signed by the record's log key."""
    from achyk.ledger import verify_checkpoint
    from achyk.ledger.tiles import decode_entry_bundle, tiles_for_size, verify_tiles
    from achyk.verify.source import RecordSource

    src = RecordSource(location)
    record = json.loads(src.read("record.json"))
    cp = verify_checkpoint(
        src.text("log/checkpoint"), str(record["log_key"]), origin=record["origin"]
    )

    def fetch(path: str) -> bytes:
        return src.read("log/" + path)

    verify_tiles(cp.size, fetch, cp.root, entries=True)
    for tile in tiles_for_size(cp.size):
        if tile.level == 0:
            for raw in decode_entry_bundle(fetch(tile.entries_path)):
                entry = json.loads(raw)
                if entry.get("kind") == "remote-params":
                    return str(entry["election"]), entry["params"]
    raise InputError(location, [Problem("log", "no remote-params entry: remote voting not set up")])


def _choices(params: Any, picks: list[str]) -> dict[str, tuple[int, ...]]:
    out: dict[str, tuple[int, ...]] = {}
    contests = params.contests
    for pick in picks:
        contest_id, sep, option = pick.partition("=")
        if not sep:
            if len(contests) != 1:
                raise typer.BadParameter("several contests: write --choose CONTEST=OPTION")
            contest_id, option = contests[0].id, pick
        try:
            c = params.contest(contest_id)
        except KeyError:
            raise typer.BadParameter(f"no contest {contest_id!r}") from None
        if option not in c.options:
            raise typer.BadParameter(f"{option!r} is not on the {c.id} ballot: {', '.join(c.options)}")  # fmt: skip
        marks = list(out.get(c.id, (0,) * len(c.options)))
        marks[c.options.index(option)] = 1
        out[c.id] = tuple(marks)
    return out


def fingerprint_matches(given: str, fingerprint: str) -> bool:
    """The fingerprint as printed on the letter (short form) or in full hex."""
    from achyk.evoting.ballot import short_code

    text = given.strip()
    return text.lower() == fingerprint or text.upper() == short_code(fingerprint)


def vote(
    credential: Annotated[Path, typer.Option("--credential", help="File with your credential seed (hex).")],
    choose: Annotated[list[str], typer.Option("--choose", help="CONTEST=OPTION (or OPTION); repeat.")],
    server: Annotated[str | None, typer.Option("--server", help="API base URL, e.g. https://cec.kg")] = None,
    election: Annotated[str | None, typer.Option("--election", help="Election id (with --server).")] = None,
    fingerprint: Annotated[str | None, typer.Option("--fingerprint", help="The election fingerprint printed on your credential letter.")] = None,
    record: Annotated[str | None, typer.Option("--record", help="Take the parameters from this published record.")] = None,
    then: Annotated[str | None, typer.Option("--then", help="cast or audit, for scripts. Without it you are asked after the tracking code is shown — the device cannot know your decision while it encrypts.")] = None,
    counter: Annotated[int | None, typer.Option("--counter", help="Counter of this cast (default: asked of the server; 1 offline).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the sealed ballot here instead of sending it.")] = None,
) -> None:  # fmt: skip
    """Encrypt your vote on this machine, show its tracking code, then cast or audit it."""
    import httpx

    from achyk.evoting import credentials as creds
    from achyk.evoting.ballot import (
        encrypt_ballot,
        seal_audit,
        seal_cast,
        short_code,
        submission,
        tracking_code,
        verify_opening,
    )
    from achyk.evoting.election import ElectionParams

    if record is not None:
        election_id, params_doc = params_from_record(record)
    elif server is not None and election is not None:
        if fingerprint is None:
            raise typer.BadParameter("give --fingerprint (printed on your credential letter): "
                                     "the server's key is not trusted without it")  # fmt: skip
        r = httpx.get(
            f"{server.rstrip('/')}/api/elections/{election}/remote/parameters", timeout=30
        )
        if r.status_code != 200:
            raise InputError(server, [Problem("parameters", f"HTTP {r.status_code}: {r.text[:200]}")])  # fmt: skip
        election_id, params_doc = election, r.json()["params"]
    else:
        raise typer.BadParameter("give --record DIR_OR_URL, or --server URL with --election ID")
    params = ElectionParams.from_dict(params_doc)
    if fingerprint is not None and not fingerprint_matches(fingerprint, params.fingerprint):
        console.print(f"[red]refused[/red]: the election's fingerprint is "
                      f"{short_code(params.fingerprint)}, not {fingerprint}: these are not the "
                      "parameters on your letter; nothing was encrypted", highlight=False)  # fmt: skip
        raise typer.Exit(2)
    try:
        seed = bytes.fromhex(credential.read_text(encoding="utf-8").strip())
    except ValueError:
        raise typer.BadParameter(f"{credential}: not a hex credential seed") from None
    if len(seed) != 32:
        raise typer.BadParameter(f"{credential}: a credential seed is 32 bytes")
    prepared = encrypt_ballot(params, _choices(params, choose))
    code = tracking_code(params, prepared.ballot)
    console.print(f"tracking code: [bold]{short_code(code)}[/bold]  ({code})", highlight=False)
    decision = then
    while decision not in ("cast", "audit"):
        decision = typer.prompt("cast this ballot, or audit it (open it, never counted)? [cast/audit]").strip().lower()  # fmt: skip
    if decision == "audit":
        verify_opening(params, prepared.ballot, prepared.opening)
        body = submission(params, prepared.ballot, seal_audit(params, prepared), prepared.opening)
    elif decision == "cast":
        if counter is None and server is not None:
            cred = creds.public_credential(seed)
            r = httpx.get(f"{server.rstrip('/')}/api/elections/{election_id}/remote/counter/{cred}", timeout=30)  # fmt: skip
            counter = int(r.json()["next_counter"]) if r.status_code == 200 else 1
        body = submission(params, prepared.ballot, seal_cast(params, prepared.ballot, seed, counter or 1))  # fmt: skip
    else:  # unreachable: the loop above accepts nothing else
        raise typer.BadParameter("--then is cast or audit")
    if out is not None or server is None:
        target = out or Path(f"ballot-{code[:12]}.json")
        target.write_text(json.dumps(body, indent=1), encoding="utf-8")
        console.print(f"ballot written to {target} (not sent)")
        return
    r = httpx.post(f"{server.rstrip('/')}/api/elections/{election_id}/remote/ballots", json=body, timeout=60)  # fmt: skip
    receipt = r.json()
    if r.status_code != 201 or not receipt.get("accepted"):
        console.print(f"[red]refused[/red]: {receipt.get('reason') or receipt}", highlight=False)
        raise typer.Exit(1)
    what = "audited — opened on the log, never counted, not linked to your credential; vote again to cast" if decision == "audit" else "cast"  # fmt: skip
    console.print(f"{what}: log entry {receipt['log_entry']} holds your ballot; look it up "
                  f"with the tracking code on the results site", highlight=False)  # fmt: skip


@app.command("ceremony-open")
def ceremony_open(
    announcement: Annotated[list[Path], typer.Option("--announcement", help="A trustee's announcement.json; repeat.")],
    quorum: Annotated[int, typer.Option("--quorum", help="Trustees needed to decrypt.")],
    election: ElectionOption = None,
    database: DatabaseOption = None,
) -> None:  # fmt: skip
    """Log the trustees' announcements: a key ceremony begins (the server only relays)."""
    from achyk.services.remote.ceremony import open_ceremony

    db = open_db(database)
    eid = _election_id(db, election)
    docs = [json.loads(a.read_text(encoding="utf-8")) for a in announcement]
    index = open_ceremony(db, eid, docs, quorum)
    console.print(f"key ceremony opened for {eid}: {len(docs)} trustees, quorum {quorum} (log entry {index})")  # fmt: skip


@app.command("ceremony-post")
def ceremony_post(
    dealing: Annotated[list[Path], typer.Option("--dealing", help="A trustee's dealing.json; repeat.")] = [],  # noqa: B006
    complaint: Annotated[list[Path], typer.Option("--complaint", help="A trustee's complaint; repeat.")] = [],  # noqa: B006
    election: ElectionOption = None,
    database: DatabaseOption = None,
) -> None:  # fmt: skip
    """Relay dealings and complaints to the log (after their public checks)."""
    from achyk.services.remote.ceremony import post_complaint, post_dealing

    db = open_db(database)
    eid = _election_id(db, election)
    for d in dealing:
        console.print(f"dealing logged at entry {post_dealing(db, eid, json.loads(d.read_text(encoding='utf-8')))}")  # fmt: skip
    for c in complaint:
        verdict = post_complaint(db, eid, json.loads(c.read_text(encoding="utf-8")))
        console.print(f"complaint logged; at fault: {verdict}")


@app.command("ceremony-state")
def ceremony_state(
    out: Annotated[Path, typer.Option("--out", help="Where to write the public ceremony state.")],
    election: ElectionOption = None,
    database: DatabaseOption = None,
) -> None:  # fmt: skip
    """Write the ceremony so far (announcements, dealings, complaints): public, for the trustees."""
    from achyk.services.remote.ceremony import ceremony_state as state

    db = open_db(database)
    out.write_text(json.dumps(state(db, _election_id(db, election)).to_dict()), encoding="utf-8")
    console.print(f"ceremony state written to {out}")


@app.command("setup")
def setup(
    revote: Annotated[str, typer.Option("--revote", help="last (a re-vote replaces) or first.")] = "last",
    election: ElectionOption = None,
    database: DatabaseOption = None,
) -> None:  # fmt: skip
    """Close the ceremony once every trustee has dealt: log the joint key and the parameters."""
    from achyk.evoting.ballot import short_code
    from achyk.evoting.election import RevotePolicy
    from achyk.services.remote.ceremony import setup_remote

    db = open_db(database)
    result = setup_remote(db, election, revote=RevotePolicy(revote))
    console.print(f"remote voting set up: {result.ceremony.trustees} trustees, quorum "
                  f"{result.ceremony.quorum}, re-vote policy {revote}; election fingerprint "
                  f"{short_code(result.params.fingerprint)} (log entries "
                  f"{', '.join(map(str, result.log_indexes))})")  # fmt: skip


@app.command("close")
def close(election: ElectionOption = None, database: DatabaseOption = None) -> None:
    """Close the board: no ballot or credential after this; publish the record for the trustees."""
    from achyk.services.remote.tally import close_remote

    db = open_db(database)
    console.print(f"remote voting closed (log entry {close_remote(db, _election_id(db, election))})")  # fmt: skip


def _election_id(db: Any, election: str | None) -> str:
    from achyk.services.elections import get_election

    return get_election(db, election).id


@app.command("credentials")
def credentials(
    list_file: Annotated[Path, typer.Option("--list", help="public-list.json signed by the credential authority.")],
    voters: Annotated[Path | None, typer.Option("--voters", help="voters.json from the authority: check them in (remote).")] = None,
    secret_file: Annotated[Path | None, typer.Option("--secret-file", help="The register secret.")] = None,
    election: ElectionOption = None,
    database: DatabaseOption = None,
) -> None:  # fmt: skip
    """Import the credential authority's signed public list (the server never sees a credential)."""
    from achyk.services.register import load_secret
    from achyk.services.remote.voting import import_credentials

    db = open_db(database)
    eid = _election_id(db, election)
    parts = json.loads(list_file.read_text(encoding="utf-8"))
    numbers = json.loads(voters.read_text(encoding="utf-8")) if voters is not None else None
    secret = load_secret(secret_file) if voters is not None else None
    done = import_credentials(db, eid, parts, voters=numbers, secret=secret)
    console.print(f"{done.credentials} credential key(s) imported and logged (entries "
                  f"{', '.join(map(str, done.log_indexes))})")  # fmt: skip


@app.command("tally")
def tally(
    share: Annotated[list[Path], typer.Option("--share", help="A trustee's decryption share; repeat (a quorum).")],
    election: ElectionOption = None,
    database: DatabaseOption = None,
) -> None:  # fmt: skip
    """Combine the trustees' decryption shares (each checked), log and count the remote unit."""
    from achyk.evoting.tally import DecryptionShare
    from achyk.services.remote.tally import tally_remote
    from achyk.services.remote.voting import remote_info

    db = open_db(database)
    eid = _election_id(db, election)
    params = remote_info(db, eid).params
    shares = []
    for path in share:
        doc = json.loads(path.read_text(encoding="utf-8"))
        try:
            shares.append(DecryptionShare.from_dict(params, doc["share"]))
        except (KeyError, TypeError, ValueError, AchykError) as err:
            raise InputError(str(path), [Problem("", f"not a decryption share: {err}")]) from err
    result = tally_remote(db, eid, shares)
    console.print(f"remote tally of {eid}: {result.counted} ballots counted of {result.ballots} on "
                  f"the board ({result.challenged} audited), trustees {list(result.trustees)}, "
                  f"log entry {result.log_index}")  # fmt: skip
    for cid, totals in result.results.items():
        console.print(f"  {cid}: {', '.join(map(str, totals))}")
