"""What the command line says when something outside achyk's own checks fails: one clear line.

A file that is missing or unreadable, text that is not UTF-8, a database that cannot be
reached — each named, without a traceback, and without echoing the input (a line of a register
file holds a personal number). Anything else is named by its kind only; ``ACHYK_DEBUG=1`` shows
the traceback to whoever debugs.
"""

from __future__ import annotations

import json

import sqlalchemy.exc
import yaml


def describe(err: BaseException) -> str:
    if isinstance(err, FileNotFoundError):
        return f"{err.filename}: no such file"
    if isinstance(err, IsADirectoryError):
        return f"{err.filename}: is a folder, not a file"
    if isinstance(err, PermissionError):
        return f"{err.filename}: permission denied"
    if isinstance(err, UnicodeDecodeError):
        return f"the input is not UTF-8 text (byte {err.start} is not valid UTF-8)"
    if isinstance(err, json.JSONDecodeError):
        return f"not JSON: {err.msg} at line {err.lineno}, column {err.colno}"
    if isinstance(err, yaml.YAMLError):
        problem = getattr(err, "problem", None)
        return "not valid YAML" + (f" ({problem})" if problem else "")
    if isinstance(err, RecursionError):
        return "the input is nested too deep"
    if isinstance(err, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        return ("the database could not be reached or stopped answering; check --database / "
                "$ACHYK_DATABASE_URL and that the server is up")  # fmt: skip
    if isinstance(err, sqlalchemy.exc.ArgumentError):
        return "the database URL is not valid (see --database / $ACHYK_DATABASE_URL)"
    if isinstance(err, OSError):
        return f"{err.filename or 'a file'}: {err.strerror or type(err).__name__}"
    return f"unexpected {type(err).__name__} (ACHYK_DEBUG=1 shows the traceback)"
