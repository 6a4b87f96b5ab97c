"""The sample is drawn by Rivest's consistent sampler, so anyone can redraw it from the seed.

Rivest, "Consistent Sampling with Replacement" (arXiv:1808.10016, 2018), reference implementation
``consistent_sampler`` (MIT licence, PyPI). Each id gets a ticket number derived from SHA-256 of the
seed's hash and the id; the sample is the ids in increasing ticket order. With replacement, a drawn
id gets a fresh, larger ticket (its next generation) and goes back into the pool. We use the
reference package itself rather than a re-implementation, so "the reference sampler" is not a
claim but the same code; ``docs/record-format.md`` spells the algorithm out for other verifiers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Hashable, Sequence
from typing import TypeVar

from consistent_sampler import sampler

from achyk.errors import InputError, Problem

T = TypeVar("T", bound=Hashable)

# A dice seed: the CEC rolls ten-sided dice in public, so a seed is decimal digits. Twenty digits
# (about 66 bits) is the usual minimum in US audits (Colorado rolls 20 d10).
SEED_DIGITS = re.compile(r"[0-9]{20,}")


def check_seed(seed: str) -> None:
    """A ceremony seed is at least twenty decimal digits, nothing else."""
    if not SEED_DIGITS.fullmatch(seed):
        raise InputError(
            "audit seed", [Problem("seed", f"{seed!r} is not 20 or more decimal digits")]
        )


def draw(seed: str, ids: Sequence[T], count: int, *, with_replacement: bool = False) -> list[T]:
    """The first ``count`` ids the consistent sampler draws from ``ids`` with ``seed``.

    Without replacement the count is capped at the population (every id, in ticket order).
    """
    problems: list[Problem] = []
    if count < 0:
        problems.append(Problem("count", f"{count} is negative"))
    if len(set(ids)) != len(ids):
        problems.append(Problem("population", "ids are not distinct"))
    if not ids and count > 0:
        problems.append(Problem("population", "nothing to sample from"))
    if problems:
        raise InputError("audit sample", problems)
    stream = sampler(ids, seed=seed, with_replacement=with_replacement, output="id")
    return list(itertools.islice(stream, count))


def draw_range(
    seed: str, population: int, count: int, *, with_replacement: bool = False
) -> list[int]:
    """Ids 0 … population−1 drawn from ``range(population)`` (the CLI's contract)."""
    if population < 0:
        raise InputError("audit sample", [Problem("population", f"{population} is negative")])
    return draw(seed, range(population), count, with_replacement=with_replacement)
