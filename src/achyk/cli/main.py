"""The `achyk` command."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from achyk.errors import AchykError

if TYPE_CHECKING:  # imported when the command line is built (cli.app): see main()
    import typer


def _app(only: str | None = None) -> typer.Typer:
    """The command line (cli.app); `only`: that command alone."""
    from achyk.cli.app import build

    return build(only)


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
        if only == "results":
            from achyk.cli.results_view import plain_options, show

            options = plain_options(sys.argv[2:])
            if options is not None:  # read without typer (cli.results_view): run as click would
                _run(lambda: _as_click(show, options))
                return
        _run(_app(only))
    finally:  # as it was: main() is also called in-process (tests, embedding programs)
        if collecting:
            gc.enable()


def _as_click(command: Callable[..., None], options: dict[str, Any]) -> None:
    """`command(**options)` ended as click's standalone mode ends a command: exit status 0, or 1
    (and quiet streams) when the reader of the output went away (`achyk results | head`)."""
    try:
        command(**options)
    except BrokenPipeError:
        from typer._click.utils import PacifyFlushWrapper

        sys.stdout = PacifyFlushWrapper(sys.stdout)
        sys.stderr = PacifyFlushWrapper(sys.stderr)
        sys.exit(1)
    sys.exit(0)


def _run(app: Callable[[], object]) -> None:
    try:
        app()
    except AchykError as err:
        from achyk.cli.consoles import err_console  # rich: when there is something to say

        err_console.print(f"[red]error:[/red] {err}", highlight=False)
        sys.exit(EXIT_INVALID)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as err:  # never a traceback in an operator's face unless asked for
        # SQLAlchemy's error only where it was imported: `achyk results` may never import it.
        orm = sys.modules.get("sqlalchemy.exc")
        from achyk.cli.consoles import err_console

        if orm is not None and isinstance(err, orm.DBAPIError):
            # unreachable, refused, locked, read-only: the operator can act on it
            reason = str(err.orig).strip().splitlines()[0] if err.orig else type(err).__name__
            err_console.print(
                f"[red]error:[/red] the database could not be used (could not be reached or "
                f"stopped answering): {reason}"
            )
            sys.exit(EXIT_INVALID)
        if os.environ.get("ACHYK_DEBUG") == "1":
            raise
        from achyk.cli import failures  # only now: it imports SQLAlchemy's and YAML's errors

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
