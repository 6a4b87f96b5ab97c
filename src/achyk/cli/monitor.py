"""`achyk monitor URL` and `achyk witness URL --key K`: observers watching the CEC's log."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.cli.common import console, err_console
from achyk.cli.trust import LogKeyOption, TrustOption, pinned
from achyk.ledger import WitnessKey, cosign
from achyk.ledger.note import format_signer_key, parse_signer_key
from achyk.ledger.trust import Trust
from achyk.verify.monitor import MonitorResult, check_once

StateOption = Annotated[
    Path, typer.Option("--state", help="Where the last verified checkpoint is kept.")
]


def _report(result: MonitorResult) -> None:
    if result.ok:
        console.print(f"[green]ok[/green] {result.message}", highlight=False)
        return
    err_console.print(f"[red]{result.message}[/red]", highlight=False)
    if result.old_note:
        err_console.print("--- checkpoint kept earlier ---\n" + result.old_note, highlight=False)
    if result.new_note:
        err_console.print("--- checkpoint served now ---\n" + result.new_note, highlight=False)
    raise typer.Exit(1)


def _pins(trust: Trust | None, vkey: str | None) -> tuple[str | None, str | None]:
    if trust is not None and vkey is not None and trust.log_key != vkey:
        err_console.print("[red]--vkey and the pinned log key differ[/red]")
        raise typer.Exit(2)
    if trust is not None:
        return trust.log_key, trust.origin
    return vkey, None


def monitor(
    url: Annotated[str, typer.Argument(help="Record directory or URL (…/api/elections/ID).")],
    state: StateOption = Path("achyk-monitor.json"),
    vkey: Annotated[
        str | None, typer.Option(help="The log's verifier key (same as --log-key).")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between polls; 0 checks once.")] = 0,
    rounds: Annotated[int, typer.Option(help="Stop after this many polls (0: forever).")] = 0,
    trust_file: TrustOption = None,
    log_key: LogKeyOption = None,
) -> None:
    """Poll checkpoints; on a fork or rewrite exit 1 with both signed checkpoints as evidence."""
    key, origin = _pins(pinned(trust_file, log_key, None, None), vkey)
    n = 0
    while True:
        _report(check_once(url, state, key, origin))
        n += 1
        if interval <= 0 or (rounds and n >= rounds):
            return
        time.sleep(interval)


def witness(
    url: Annotated[str, typer.Argument(help="Record URL (…/api/elections/ID).")],
    key: Annotated[Path, typer.Option("--key", help="The witness's signer key file.")],
    state: StateOption = Path("achyk-witness.json"),
    post: Annotated[bool, typer.Option(help="Send the cosignature to the server.")] = True,
    trust_file: TrustOption = None,
    log_key: LogKeyOption = None,
) -> None:
    """Verify the current checkpoint extends the last one seen, then cosign it (C2SP tlog-cosignature)."""
    key_pin, origin = _pins(pinned(trust_file, log_key, None, None), None)
    result = check_once(url, state, key_pin, origin)
    _report(result)
    name, private = parse_signer_key(key.read_text(encoding="utf-8").strip())
    assert result.new_note is not None
    line = cosign(result.new_note, name, private, int(time.time()))
    vkey = WitnessKey.from_private_key(name, private).vkey
    console.print(line, end="", highlight=False)
    if post and url.startswith(("http://", "https://")):
        body = json.dumps({"vkey": vkey, "line": line}).encode()
        req = urllib.request.Request(f"{url.rstrip('/')}/log/cosignatures", body,
                                     {"Content-Type": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                console.print(f"cosignature accepted ({response.status})")
        except urllib.error.HTTPError as err:
            err_console.print(f"[red]cosignature refused ({err.code}): "
                              f"{err.read().decode(errors='replace')}[/red]", highlight=False)  # fmt: skip
            raise typer.Exit(1) from None


def witness_keygen(
    name: Annotated[str, typer.Option(help="The witness's name, e.g. osce-odihr.example/witness")],
    out: Annotated[Path, typer.Option(help="Where to write the signer key (keep it secret).")],
) -> None:
    """Make a witness key; prints the verifier key (vkey) to publish."""
    private = Ed25519PrivateKey.generate()
    out.write_text(format_signer_key(name, private) + "\n", encoding="utf-8")
    out.chmod(0o600)
    console.print(WitnessKey.from_private_key(name, private).vkey, highlight=False)


def witness_serve(
    key: Annotated[Path, typer.Option("--key", help="The witness's signer key file.")],
    log: Annotated[
        list[str] | None,
        typer.Option("--log", help="A log to witness, ORIGIN=VKEY (repeatable)."),
    ] = None,
    trust: Annotated[
        list[Path] | None, typer.Option("--trust", help="A log to witness, by its trust.json.")
    ] = None,
    state: StateOption = Path("achyk-witness-state.json"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
) -> None:
    """Serve as a C2SP tlog-witness (POST /add-checkpoint) for achyk's logs or any other."""
    import uvicorn

    from achyk.api.witness import create_witness_app
    from achyk.ledger.trust import parse_trust

    logs: dict[str, str] = {}
    for item in log or []:
        origin, sep, vkey = item.partition("=")
        if not sep:
            err_console.print(f"[red]--log {item!r} is not ORIGIN=VKEY[/red]")
            raise typer.Exit(2)
        logs[origin] = vkey
    for path in trust or []:
        t = parse_trust(path.read_bytes())
        assert t.origin is not None and t.log_key is not None
        logs[t.origin] = t.log_key
    name, private = parse_signer_key(key.read_text(encoding="utf-8").strip())
    app = create_witness_app(name, private, logs, state)
    console.print(f"witness {WitnessKey.from_private_key(name, private).vkey} for "
                  f"{len(logs)} log(s) on http://{host}:{port}/add-checkpoint", highlight=False)  # fmt: skip
    uvicorn.run(app, host=host, port=port, log_level="warning")
