"""Trust pins on the command line (`--trust`, `--log-key`, `--witness`, `--quorum`) and
`achyk trust export`, which writes the election's trust file for the CEC's decree."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from achyk.cli.common import DatabaseOption, ElectionOption, console, err_console, open_db
from achyk.ledger.trust import Trust, TrustError, parse_trust, pins

app = typer.Typer(help="The election's trust file: log key, origin, witnesses, quorum.")

TrustOption = Annotated[
    Path | None, typer.Option("--trust", help="The election's trust.json (the CEC's decree).")
]
LogKeyOption = Annotated[
    str | None, typer.Option("--log-key", help="Pin the log's verifier key (C2SP vkey).")
]
WitnessOption = Annotated[
    list[str] | None, typer.Option("--witness", help="Pin a witness's verifier key (repeatable).")
]
QuorumOption = Annotated[
    int | None, typer.Option("--quorum", help="Cosignatures required from the pinned witnesses.")
]


def pinned(
    trust_file: Path | None, log_key: str | None, witnesses: list[str] | None, quorum: int | None
) -> Trust | None:
    """The pins given, or None; a bad pin ends the command with status 2, named."""
    try:
        if trust_file is not None:
            if log_key or witnesses or quorum is not None:
                raise TrustError("give --trust alone, or --log-key/--witness/--quorum")
            return parse_trust(trust_file.read_bytes())
        if log_key is None and not witnesses and quorum is None:
            return None
        if log_key is None:
            raise TrustError("--witness and --quorum need --log-key (or --trust)")
        return pins(log_key, witnesses or [], quorum)
    except (TrustError, OSError) as err:
        err_console.print(f"[red]trust: {err}[/red]", highlight=False)
        raise typer.Exit(2) from None


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Where to write trust.json.")] = Path(
        "trust.json"
    ),
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Write the election's trust file: definition hash, origin, log key, witnesses, quorum."""
    from achyk.services.elections import get_election
    from achyk.services.witnessing import trust_of

    db = open_db(database)
    trust = trust_of(db, get_election(db, election).id)
    out.write_bytes(trust.to_bytes())
    console.print(f"wrote {out}: origin {trust.origin}, {len(trust.witnesses or ())} "
                  f"witness(es), quorum {trust.quorum}", highlight=False)  # fmt: skip


@app.command("cosign")
def request(
    witness_url: Annotated[str, typer.Argument(help="The witness's submission prefix (URL).")],
    witness: Annotated[str, typer.Option("--witness", help="The witness's verifier key.")],
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Ask a C2SP tlog-witness to cosign the log's head (POST /add-checkpoint); keep its line."""
    from achyk.errors import AchykError
    from achyk.services.elections import get_election
    from achyk.services.witnessing import request_cosignature

    db = open_db(database)
    try:
        size = request_cosignature(db, get_election(db, election).id, witness_url, witness)
    except (AchykError, OSError) as err:
        err_console.print(f"[red]cosignature not obtained: {err}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"cosigned: the checkpoint of size {size}", highlight=False)
