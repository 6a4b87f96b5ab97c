"""Per-station flags: which stations the screens single out, and why.

A flag is a reason to read the station's protocol, its log entry, the observers' reports and its hand
count — it is not a finding of fraud. Reasons, each with its stated false-positive rate under the
honest model:

- `extreme` (strong): turnout AND the leader's share both lie more than Z = 3.29 left-flank standard
  deviations above their stratum's modes — the corner that extreme fraud fills (Klimek et al. 2012).
  Under the honest model (independent normal turnout and share) a station lands there with
  probability (1 − Φ(3.29))² ≈ 2.5·10⁻⁷.
- `relations` (strong): the protocol breaks a control relation of the form (a fact, not a statistic).
- `integer-both` (weak): both turnout and share are integer percentages (Kobak et al. 2016); under the
  binomial null this happens at roughly 1 station in 100 (each value ≈ bin × 1 % … 10 %, depending on
  size), so alone it only says "look".

Strata (regions at home, stations abroad, the remote voting unit) each get their own honest shape; a
region of fewer than MIN_STRATUM stations is compared with all stations at home; abroad and remote
strata smaller than that have no shape to compare with and get no `extreme` flags.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from achyk.forensics.integers import integer_values
from achyk.forensics.klimek import fair_shape
from achyk.forensics.shapes import usable
from achyk.forensics.stations import BoolArray, Stations

Z = 3.29
MIN_STRATUM = 30
STRONG = ("extreme", "relations")
OWN_KIND = ("abroad", "remote")  # strata never pooled with the stations at home


@dataclass(frozen=True)
class Flag:
    station: str
    stratum: str
    reasons: tuple[str, ...]
    turnout: float  # percent; NaN when it does not exist
    share: float

    @property
    def strong(self) -> bool:
        return any(r in STRONG for r in self.reasons)


def _extreme(s: Stations, reference: Stations) -> BoolArray:
    """Stations of `s` in the extreme corner of `reference`'s honest shape."""
    if int(usable(reference).sum()) < MIN_STRATUM:
        return np.zeros(len(s), dtype=bool)
    fair = fair_shape(reference)
    t = s.turnout() / 100
    v = s.share() / 100
    with np.errstate(invalid="ignore"):
        hit = (t > fair.turnout + Z * fair.turnout_sd) & (v > fair.share + Z * fair.share_sd)
    return np.asarray(usable(s) & hit, dtype=bool)


def station_flags(s: Stations, broken: Collection[str] = (), bin_: float = 0.1) -> list[Flag]:
    """The flagged stations, strongest first, then by station id."""
    extreme = np.zeros(len(s), dtype=bool)
    strata = np.array(s.strata if s.strata else ("",) * len(s), dtype=object)
    home = np.array([x not in OWN_KIND for x in strata.tolist()], dtype=bool)
    for name in sorted(set(strata.tolist())):  # a handful of strata, not stations
        mask = strata == name
        group = s.select(mask)
        small = int(usable(group).sum()) < MIN_STRATUM
        # A region too small to have a shape of its own is compared with the whole country at
        # home; stations abroad and the remote unit are never compared with home stations.
        reference = s.select(home) if small and name not in OWN_KIND else group
        extreme[mask] = _extreme(group, reference)
    t_int, v_int = integer_values(s, bin_)
    both = t_int & v_int
    broken_mask = np.array([i in broken for i in s.ids], dtype=bool) if broken else both & False
    any_flag = extreme | both | broken_mask
    turnout, share = s.turnout(), s.share()
    flags = []
    for i in np.flatnonzero(any_flag):  # only the flagged few
        reasons = tuple(
            r for r, hit in (("extreme", extreme[i]), ("relations", broken_mask[i]),
                             ("integer-both", both[i])) if hit
        )  # fmt: skip
        flags.append(Flag(s.ids[i], str(strata[i]), reasons, float(turnout[i]), float(share[i])))
    flags.sort(key=lambda f: (not f.strong, f.station))
    return flags
