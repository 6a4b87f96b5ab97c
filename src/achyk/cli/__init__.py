"""The command line: `achyk …` (Typer). Parses input, calls services, renders output; no rules here."""
