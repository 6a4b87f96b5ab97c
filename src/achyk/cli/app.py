"""The `achyk` command line as typer builds it (cli.main runs it)."""

from __future__ import annotations

from typing import Annotated

import typer

from achyk import __version__
from achyk.cli.consoles import console


def _version(value: bool) -> None:
    if value:
        console.print(f"achyk {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """achyk — an open, verifiable election system."""


def build(only: str | None = None) -> typer.Typer:
    """The command line. `only="results"` (or "election"): that command alone, so that a fresh
    `achyk results` (which must answer in well under a second) or `achyk election load` imports
    none of the other commands' modules — scipy for the audits, the web server, the simulator."""
    app = typer.Typer(
        name="achyk",
        help="achyk — an open, verifiable election system.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    app.callback()(_root)
    if only == "results":
        from achyk.cli import results

        app.command("results")(results.results)
        return app
    if only == "election":
        from achyk.cli import election

        app.add_typer(election.app, name="election")
        return app
    from achyk.cli import (
        audit,
        complaint,
        credentials,
        demo,
        device,
        election,
        forensics,
        importer,
        mission,
        monitor,
        protocol,
        pvt,
        register,
        results,
        serve,
        trust,
        trustee,
        verify,
        vote,
    )
    from achyk.cli.seats import seats

    app.add_typer(election.app, name="election")
    app.add_typer(protocol.app, name="protocol")
    app.add_typer(device.app, name="device")
    app.add_typer(register.app, name="register")
    app.add_typer(complaint.app, name="complaint")
    app.add_typer(mission.app, name="mission")
    app.add_typer(mission.observe, name="observe")
    app.add_typer(pvt.app, name="pvt")
    app.add_typer(vote.app, name="remote")
    app.add_typer(forensics.app, name="forensics")
    app.add_typer(importer.app, name="import")
    app.add_typer(credentials.app, name="credentials")
    app.add_typer(trustee.app, name="trustee")
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
    app.command("witness-serve")(monitor.witness_serve)
    app.add_typer(trust.app, name="trust")
    return app
