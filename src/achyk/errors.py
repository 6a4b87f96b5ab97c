"""Typed errors. Every error says what was wrong and where; the system fails closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class AchykError(Exception):
    """Base of every error achyk raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what is wrong there."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}" if self.where else self.what


MAX_SHOWN = 30  # an error message lists this many problems; `.problems` keeps them all


class InputError(AchykError):
    """An input (a file, a form, a request) is invalid; carries every problem found, not just the first."""

    def __init__(self, subject: str, problems: Sequence[Problem]) -> None:
        self.subject = subject
        self.problems = tuple(problems)
        shown = self.problems[:MAX_SHOWN]
        lines = "\n".join(f"  {p}" for p in shown)
        more = len(self.problems) - len(shown)
        tail = f"\n  … and {more} more" if more else ""
        super().__init__(f"{subject}: {len(self.problems)} problem(s)\n{lines}{tail}")


class DefinitionError(InputError):
    """The election definition does not validate."""


class ProtocolRejected(InputError):
    """A station protocol breaks control relations or does not match the election; kept as evidence."""


class CsvError(InputError):
    """A CSV file has a bad header or row."""


class ConflictError(AchykError):
    """A different document already holds the place this one claims (never overwritten silently)."""


class NotFoundError(AchykError):
    """A named election, station, contest or entry does not exist."""


class SignatureError(AchykError):
    """A signature is missing, malformed, made by an unknown key, or does not verify."""


class VerificationError(AchykError):
    """A published proof, hash, signature or figure does not check out."""


class ForbiddenError(AchykError):
    """A key or party is not among those allowed to do this (e.g. an unnamed witness)."""
