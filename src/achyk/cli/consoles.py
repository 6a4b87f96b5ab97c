"""The consoles every command writes to (apart from cli.common, which imports typer: a fresh
`achyk results` may run without it, cli.results_view)."""

from __future__ import annotations

from rich.console import Console

# soft_wrap: off a terminal (a log, a pipe) a long line (a hash, a path) stays one line.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)
