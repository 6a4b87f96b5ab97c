"""The `achyk` command."""

from __future__ import annotations

import gc
import os
import sys
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from achyk import __version__
from achyk.cli import failures
from achyk.cli.common import console, err_console
from achyk.errors import AchykError


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


def _app(only: str | None = None) -> typer.Typer:
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


_full: list[typer.Typer] = []


def __getattr__(name: str) -> typer.Typer:
    """`app`: the whole command line, built when first asked for (tests drive it)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if not _full:
        _full.append(_app())
    return _full[0]


# Exit statuses, distinct so that scripts can tell them apart (documented in the README):
EXIT_REFUSED = 1  # the command ran and something was refused or failed a check (verify, submit)
EXIT_USAGE = 2  # the command line itself is wrong (Click's own status for usage errors)
EXIT_INVALID = 3  # an input could not be used: a file, a definition, a database URL, …
EXIT_CRASH = 4  # a defect in achyk: reported in one line; ACHYK_DEBUG=1 shows the traceback


def main() -> None:
    only = sys.argv[1] if sys.argv[1:2] in (["results"], ["election"]) else None
    collecting = gc.isenabled()
    if only == "results":
        # A short run that frees what it makes by reference counting: the cyclic collector's
        # passes over every object of the imports cost it a fifth of its time, for nothing.
        gc.disable()
    try:
        _run(_app(only))
    finally:  # as it was: main() is also called in-process (tests, embedding programs)
        if collecting:
            gc.enable()


def _run(app: typer.Typer) -> None:
    try:
        app()
    except AchykError as err:
        err_console.print(f"[red]error:[/red] {err}", highlight=False)
        sys.exit(EXIT_INVALID)
    except DBAPIError as err:  # unreachable, refused, locked, read-only: the operator can act on it
        reason = str(err.orig).strip().splitlines()[0] if err.orig else type(err).__name__
        err_console.print(
            f"[red]error:[/red] the database could not be used (could not be reached or stopped "
            f"answering): {reason}"
        )
        sys.exit(EXIT_INVALID)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as err:  # never a traceback in an operator's face unless asked for
        if os.environ.get("ACHYK_DEBUG") == "1":
            raise
        text = failures.describe(err)
        if not text.startswith("unexpected "):  # a missing file, bad text, a bad URL: input
            err_console.print(f"[red]error:[/red] {text}", highlight=False)
            sys.exit(EXIT_INVALID)
        err_console.print(
            f"[red]internal error:[/red] {type(err).__name__}: {err} "
            "(a defect in achyk; run again with ACHYK_DEBUG=1 for the traceback and report it)",
            highlight=False,
        )
        sys.exit(EXIT_CRASH)
