"""The `achyk` command."""

from __future__ import annotations

import sys

import typer

from achyk.cli import (
    audit,
    demo,
    device,
    election,
    monitor,
    protocol,
    register,
    results,
    serve,
    verify,
    vote,
)
from achyk.cli.common import err_console
from achyk.cli.seats import seats
from achyk.errors import AchykError

app = typer.Typer(
    name="achyk",
    help="achyk — an open, verifiable election system.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(election.app, name="election")
app.add_typer(protocol.app, name="protocol")
app.add_typer(device.app, name="device")
app.add_typer(register.app, name="register")
app.add_typer(vote.app, name="remote")
app.add_typer(audit.app, name="audit")
app.command("vote")(vote.vote)
app.command("results")(results.results)
app.command("demo")(demo.demo)
app.command("generate")(demo.generate)
app.command("serve")(serve.serve)
app.command("seats")(seats)
app.command("verify")(verify.verify)
app.command("publish")(verify.publish)
app.command("monitor")(monitor.monitor)
app.command("witness")(monitor.witness)
app.command("witness-keygen")(monitor.witness_keygen)


def main() -> None:
    try:
        app()
    except AchykError as err:
        err_console.print(f"[red]error:[/red] {err}", highlight=False)
        sys.exit(2)
