"""`achyk trustee …` — a trustee's commands, each run on the trustee's own machine with its own key
directory. Nothing secret leaves the directory: the files to upload are public.

  init     make the auxiliary key; write announcement.json (upload)
  deal     from the ceremony state (the server's `remote ceremony-state`), make dealing.json
           (upload): commitments with proofs and the shares encrypted to each trustee
  receive  decrypt and check the shares sent to me; keep my key share; or write complaint-N.json
  decrypt  from the published record (its log checked against the signed checkpoint and every
           ballot re-verified), recompute the aggregate and write my decryption share (upload)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from achyk.cli.common import console
from achyk.errors import InputError, Problem

app = typer.Typer(help="A trustee of remote voting, on its own machine.", no_args_is_help=True)

DirOption = Annotated[Path, typer.Option("--dir", help="This trustee's key directory.")]


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _secret(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc), encoding="utf-8")
    path.chmod(0o600)


def _me(d: Path) -> dict[str, Any]:
    try:
        me: dict[str, Any] = _read(d / "trustee.json")
    except FileNotFoundError:
        raise InputError(str(d), [Problem("trustee.json", "run `achyk trustee init` first")]) from None  # fmt: skip
    return me


@app.command("init")
def init(
    directory: DirOption,
    election: Annotated[str, typer.Option("--election", help="The election id.")],
    base_hash: Annotated[str, typer.Option("--definition-hash", help="The definition's SHA-256 (from the log's first entry).")],
    index: Annotated[int, typer.Option("--index", help="My place among the trustees, 1..n.")],
    name: Annotated[str, typer.Option("--name", help="My name, as the announcement shows it.")],
) -> None:  # fmt: skip
    """Make my auxiliary key (OS randomness) and the public announcement to upload."""
    from achyk.crypto.group import DEFAULT_GROUP as G
    from achyk.crypto.hashing import scalar_hex
    from achyk.evoting.trustee import announce

    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    aux, ann = announce(base_hash, index, name)
    _secret(directory / "trustee.json", {"election": election, "base_hash": base_hash,
                                         "index": index, "name": name, "aux": scalar_hex(G, aux)})  # fmt: skip
    (directory / "announcement.json").write_text(json.dumps(ann.to_dict()), encoding="utf-8")
    console.print(f"trustee {index} ({name}): upload {directory / 'announcement.json'}")


def _state(me: dict[str, Any], path: Path) -> Any:
    from achyk.evoting.trustee import Attempt

    state = Attempt.from_dict(_read(path))
    if state.election != me["election"] or state.base_hash != me["base_hash"]:
        raise InputError(str(path), [Problem("", "a ceremony of another election")])
    mine = next((t for t in state.trustees if t.index == me["index"]), None)
    if mine is None or mine.name != me["name"]:
        raise InputError(str(path), [Problem("", "my announcement is not in the ceremony")])
    return state


@app.command("deal")
def deal(
    directory: DirOption,
    ceremony: Annotated[Path, typer.Option("--ceremony", help="The ceremony state (public).")],
) -> None:
    """Make my dealing: keep the polynomial here, upload dealing.json."""
    from achyk.crypto.group import DEFAULT_GROUP as G
    from achyk.crypto.hashing import parse_scalar, scalar_hex
    from achyk.evoting.trustee import make_dealing

    me = _me(directory)
    state = _state(me, ceremony)
    aux = parse_scalar(G, me["aux"])
    if G.base_mul(aux) != next(t for t in state.trustees if t.index == me["index"]).aux_key:  # fmt: skip
        raise InputError(str(ceremony), [Problem("", "the ceremony shows another auxiliary key for me")])  # fmt: skip
    poly, dealing = make_dealing(me["base_hash"], me["index"], aux, state.trustees, state.quorum)
    _secret(directory / "polynomial.json", [scalar_hex(G, a) for a in poly.coefficients])
    (directory / "dealing.json").write_text(json.dumps(dealing.to_dict()), encoding="utf-8")
    console.print(f"trustee {me['index']}: upload {directory / 'dealing.json'}")


@app.command("receive")
def receive(
    directory: DirOption,
    ceremony: Annotated[Path, typer.Option("--ceremony", help="The ceremony state with every dealing.")],
) -> None:  # fmt: skip
    """Decrypt and check my shares; keep my key share, or write complaints to upload."""
    from achyk.crypto.group import DEFAULT_GROUP as G
    from achyk.crypto.hashing import element_hex, parse_scalar, scalar_hex
    from achyk.crypto.threshold import verification_key
    from achyk.evoting.trustee import receive as receive_shares

    me = _me(directory)
    state = _state(me, ceremony)
    mine = _read(directory / "dealing.json")
    posted = next((d for d in state.dealings if d.dealer == me["index"]), None)
    if posted is None or posted.to_dict() != mine:
        raise InputError(str(ceremony), [Problem("", "my own dealing is missing or altered")])
    if len(state.dealings) != len(state.trustees):
        raise InputError(str(ceremony), [Problem("", "not every trustee has dealt yet")])
    share, complaints = receive_shares(me["base_hash"], me["index"], parse_scalar(G, me["aux"]),
                                       state.dealings)  # fmt: skip
    for c in complaints:
        path = directory / f"complaint-{c.dealer}.json"
        path.write_text(json.dumps(c.to_dict()), encoding="utf-8")
        console.print(f"[red]bad share from trustee {c.dealer}[/red]: upload {path}")
    if share is None:
        raise typer.Exit(1)
    commitments = [d.commitment for d in sorted(state.dealings, key=lambda d: d.dealer)]
    _secret(directory / "key.json", {"election": me["election"], "trustee": me["index"],
                                     "share": scalar_hex(G, share)})  # fmt: skip
    (directory / "polynomial.json").unlink(missing_ok=True)  # no longer needed: less to leak
    vk = element_hex(G, verification_key(G, commitments, me["index"]))
    console.print(
        f"trustee {me['index']}: key share kept in {directory / 'key.json'}; verification key {vk}"
    )


@app.command("decrypt")
def decrypt(
    directory: DirOption,
    record: Annotated[str, typer.Option("--record", help="The published record, after the close.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write my decryption share (upload).")],
) -> None:  # fmt: skip
    """Verify the published record, recompute the aggregate of the counted ballots from it, and
    decrypt that — never a ciphertext the server hands over."""
    from achyk.crypto.group import DEFAULT_GROUP as G
    from achyk.crypto.hashing import parse_scalar
    from achyk.evoting.ceremony import TrusteeKey
    from achyk.evoting.election import ElectionParams
    from achyk.evoting.tally import aggregate_from_dict, decrypt_share
    from achyk.verify.record import verify_record

    me = _me(directory)
    key_doc = _read(directory / "key.json")
    report = verify_record(record)
    bad = [f"{name}: {detail}" for name, ok, detail in report.checks if not ok]
    if bad:
        raise InputError(record, [Problem("", b) for b in bad[:10]])
    remote = report.remote
    if remote is None or remote.aggregate is None:
        raise InputError(record, [Problem("", "the board is not closed, or already tallied")])
    params = ElectionParams.from_dict(remote.params)
    if params.base_hash != me["base_hash"]:
        raise InputError(record, [Problem("", "a record of another election")])
    agg = aggregate_from_dict(params, remote.aggregate)
    share = decrypt_share(params, TrusteeKey(me["index"], parse_scalar(G, key_doc["share"])), agg)
    out.write_text(json.dumps({"election": me["election"], "share": share.to_dict(params)}),
                   encoding="utf-8")  # fmt: skip
    console.print(f"trustee {me['index']}: decryption share for {remote.summary}; upload {out}")
