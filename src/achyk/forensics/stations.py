"""The station table every method reads: parallel numpy arrays, one row per station.

`voters` is the register (protocol line 1), `issued` the ballots handed out (the turnout numerator),
`received` the ballots found in the boxes (valid + invalid: the share denominator) and `leader` the
votes for the party or candidate with the most votes overall. The leader is chosen once for the whole
election, as Kobak, Shpilkin and Pshenichnikov (2016) do, not per station.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from achyk.errors import InputError, Problem

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Stations:
    ids: tuple[str, ...]
    voters: IntArray
    issued: IntArray
    received: IntArray
    leader: IntArray
    strata: tuple[str, ...] = field(default=())  # e.g. region id, "abroad", "remote"; or empty

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("voters", "issued", "received", "leader"):
            array = getattr(self, name)
            if array.shape != (n,):
                raise InputError(
                    "stations", [Problem(name, f"{array.shape} values for {n} stations")]
                )
            if n and int(array.min()) < 0:
                raise InputError("stations", [Problem(name, "negative values")])
        if self.strata and len(self.strata) != n:
            raise InputError(
                "stations", [Problem("strata", f"{len(self.strata)} for {n} stations")]
            )

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def of(
        cls,
        ids: Sequence[str],
        voters: Sequence[int] | IntArray,
        issued: Sequence[int] | IntArray,
        received: Sequence[int] | IntArray,
        leader: Sequence[int] | IntArray,
        strata: Sequence[str] = (),
    ) -> Stations:
        def arr(values: Sequence[int] | IntArray) -> IntArray:
            return np.asarray(values, dtype=np.int64).reshape(-1)

        return cls(tuple(ids), arr(voters), arr(issued), arr(received), arr(leader), tuple(strata))

    def turnout(self) -> FloatArray:
        """100 · issued / voters (NaN where the register is empty)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.voters > 0, 100.0 * self.issued / self.voters, np.nan)

    def share(self) -> FloatArray:
        """100 · leader / received (NaN where no ballot was found)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.received > 0, 100.0 * self.leader / self.received, np.nan)

    def select(self, mask: BoolArray) -> Stations:
        index = np.flatnonzero(mask)
        return Stations(
            tuple(self.ids[i] for i in index), self.voters[index], self.issued[index],
            self.received[index], self.leader[index],
            tuple(self.strata[i] for i in index) if self.strata else (),
        )  # fmt: skip

    def stratum(self, name: str) -> Stations:
        return self.select(np.array([s == name for s in self.strata], dtype=bool))
