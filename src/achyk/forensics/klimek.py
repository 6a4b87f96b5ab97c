"""The fraud model of Klimek, Yegorov, Hanel & Thurner (PNAS 109(41):16469, 2012), fitted to the
election fingerprint (stations in bins of turnout × the winner's share).

The model: each station's honest turnout τ and winner's share ν are normal around the election's
typical values. With probability f_i a station is touched by *incremental* fraud: a fraction x of its
non-voters, x ~ |N(0, σ_x)|, is added as ballots for the winner, and a fraction x^α of the others'
votes is moved to the winner (vote stealing). With probability f_e it suffers *extreme* fraud: the
same with x ~ 1 − |N(0, σ_e)|, which piles stations up near 100 % turnout and 100 % share.

Our choices, where the paper leaves room: α = 2 and σ_e = 0.075 are fixed; τ̄, ν̄ are the modes of
the observed turnout and share and σ_τ, σ_ν their spread on the left of the mode (fraud only moves
stations right and up, so the left flank is the honest one). Given those, the model fingerprint is
exactly linear in (f_i, f_e): (1 − f_i − f_e)·H_fair + f_i·H_incremental + f_e·H_extreme, so the
fit is a bounded linear least squares for each σ_x on a grid, the best σ_x kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.optimize import minimize

from achyk.forensics.shapes import usable
from achyk.forensics.stations import FloatArray, IntArray, Stations

ALPHA = 2.0
SIGMA_EXTREME = 0.075
SIGMA_X_START = (0.15, 0.3)  # Nelder–Mead starts; the better end point is kept
# Below this, incremental fraud is indistinguishable from a slightly wider honest cloud and f_i
# would mean nothing (Mebane's critique of the model): the fit keeps σ_x at or above it.
SIGMA_X_MIN = 0.1
MAX_EVALUATIONS = 200
BINS = 50
COPIES = 2  # model draws per station for the component fingerprints (smooths them)


@dataclass(frozen=True)
class FairShape:
    turnout: float  # τ̄, a fraction
    turnout_sd: float
    share: float  # ν̄
    share_sd: float


@dataclass(frozen=True)
class KlimekFit:
    fair: FairShape
    incremental: float  # f_i
    extreme: float  # f_e
    sigma_x: float
    residual: float  # sum of squared differences between the fingerprints (stations²)
    stations: int


def _mode_and_left_sd(x: FloatArray) -> tuple[float, float]:
    counts, edges = np.histogram(x, bins=200, range=(0.0, 1.0))
    smooth = gaussian_filter1d(counts.astype(np.float64), 2.0)
    i = int(np.argmax(smooth))
    mode = float((edges[i] + edges[i + 1]) / 2)
    left = x[x < mode] - mode
    sd = float(np.sqrt(np.mean(left**2))) if left.size else 0.01
    return mode, max(sd, 0.005)


def fair_shape(s: Stations) -> FairShape:
    ok = usable(s)
    t = s.issued[ok] / s.voters[ok]
    v = s.leader[ok] / s.received[ok]
    tm, tsd = _mode_and_left_sd(t)
    vm, vsd = _mode_and_left_sd(v)
    return FairShape(tm, tsd, vm, vsd)


def _fair_draw(fair: FairShape, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    t = np.clip(rng.normal(fair.turnout, fair.turnout_sd, n), 0.0, 1.0)
    v = np.clip(rng.normal(fair.share, fair.share_sd, n), 0.0, 1.0)
    return t, v


def _apply(t: FloatArray, v: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Add x of the non-voters for the winner and move x^α of the others' votes to the winner."""
    added = x * (1.0 - t)
    stolen = x**ALPHA * (1.0 - v) * t
    t2 = t + added
    with np.errstate(divide="ignore", invalid="ignore"):
        v2 = np.where(t2 > 0, (v * t + added + stolen) / t2, v)
    return t2, np.clip(v2, 0.0, 1.0)


def _incremental_x(n: int, sigma_x: float, rng: np.random.Generator) -> FloatArray:
    return np.clip(np.abs(rng.normal(0.0, sigma_x, n)), 0.0, 1.0)


def _extreme_x(n: int, rng: np.random.Generator) -> FloatArray:
    return np.clip(1.0 - np.abs(rng.normal(0.0, SIGMA_EXTREME, n)), 0.0, 1.0)


def simulate(
    voters: IntArray,
    fair: FairShape,
    incremental: float,
    extreme: float,
    sigma_x: float,
    rng: np.random.Generator,
) -> tuple[Stations, IntArray]:
    """An election drawn from the model; also each station's kind (0 fair, 1 incremental, 2 extreme)."""
    n = voters.size
    t, v = _fair_draw(fair, n, rng)
    u = rng.random(n)
    kind = np.where(u < extreme, 2, np.where(u < extreme + incremental, 1, 0)).astype(np.int64)
    x = np.where(kind == 2, _extreme_x(n, rng), 0.0)
    x = np.where(kind == 1, _incremental_x(n, sigma_x, rng), x)
    t, v = _apply(t, v, x)
    issued = np.rint(t * voters).astype(np.int64)
    leader = np.rint(v * issued).astype(np.int64)
    ids = tuple(str(i + 1) for i in range(n))
    return Stations(ids, voters.astype(np.int64), issued, issued.copy(), leader), kind


def _hist(t: FloatArray, v: FloatArray) -> FloatArray:
    """Stations per cell of a BINS × BINS grid over [0, 1]² (bincount: histogram2d is slower)."""
    i = np.minimum((t * BINS).astype(np.int64), BINS - 1)
    j = np.minimum((v * BINS).astype(np.int64), BINS - 1)
    return np.bincount(i * BINS + j, minlength=BINS * BINS).astype(np.float64)


@dataclass(frozen=True, eq=False)
class _Draws:
    """Common random numbers: the same standard draws for every candidate parameter set, so the
    objective is a smooth function of the parameters and the optimiser can follow it."""

    zt: FloatArray
    zv: FloatArray
    zx: FloatArray  # |N(0, 1)|, scaled by σ_x for incremental fraud
    xe: FloatArray  # extreme fraud's x
    copies: int


def _components(
    d: _Draws, fair: FairShape, sigma_x: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    t = np.clip(fair.turnout + fair.turnout_sd * d.zt, 0.0, 1.0)
    v = np.clip(fair.share + fair.share_sd * d.zv, 0.0, 1.0)
    h_fair = _hist(t, v) / d.copies
    h_inc = _hist(*_apply(t, v, np.clip(d.zx * sigma_x, 0.0, 1.0))) / d.copies
    h_ext = _hist(*_apply(t, v, d.xe)) / d.copies
    return h_fair, h_inc, h_ext


def _mix(
    observed: FloatArray, comps: tuple[FloatArray, FloatArray, FloatArray]
) -> tuple[float, float, float]:
    """The best (f_i, f_e) for fixed components, and its residual: bounded linear least squares."""
    h_fair, h_inc, h_ext = comps
    # Each cell weighted by 1/√(count + 1): Poisson noise, so the dense centre does not drown the
    # sparse fraud tail that tells the components apart (a χ²-like fit).
    w = 1.0 / np.sqrt(observed + 1.0)
    design = np.column_stack([h_inc - h_fair, h_ext - h_fair]) * w[:, None]
    target = (observed - h_fair) * w
    # A convex quadratic in two variables: its minimum over the box is the free minimum if that
    # lies inside, else the best minimum along an edge (each edge is a clipped 1-D solution).
    d0, d1 = design[:, 0], design[:, 1]
    a, b, c = float(d0 @ d0), float(d0 @ d1), float(d1 @ d1)
    g0, g1 = float(d0 @ target), float(d1 @ target)
    candidates: list[tuple[float, float]] = []
    det = a * c - b * b
    if det > 1e-12:
        candidates.append(((c * g0 - b * g1) / det, (a * g1 - b * g0) / det))
    for f_e in (0.0, 1.0):
        candidates.append((min(1.0, max(0.0, (g0 - b * f_e) / a)) if a > 0 else 0.0, f_e))
    for f_i in (0.0, 1.0):
        candidates.append((f_i, min(1.0, max(0.0, (g1 - b * f_i) / c)) if c > 0 else 0.0))
    best = (0.0, 0.0, float(target @ target))
    for f_i, f_e in candidates:
        if 0.0 <= f_i <= 1.0 and 0.0 <= f_e <= 1.0 and f_i + f_e <= 1.0:
            r = float(np.sum((target - design @ np.array([f_i, f_e])) ** 2))
            if r < best[2]:
                best = (float(f_i), float(f_e), r)
    return best


def fit(s: Stations, seed: int = 0) -> KlimekFit:
    """Fit τ̄, σ_τ, ν̄, σ_ν and σ_x by Nelder–Mead (starting from the modes and left flanks), with
    (f_i, f_e) solved exactly for each candidate; the fit with the smallest residual is returned."""
    ok = usable(s)
    n = int(ok.sum())
    observed = _hist(s.issued[ok] / s.voters[ok], s.leader[ok] / s.received[ok])
    start = fair_shape(s)
    rng = np.random.default_rng(seed)
    m = max(n, 1) * COPIES
    draws = _Draws(rng.normal(size=m), rng.normal(size=m), np.abs(rng.normal(size=m)),
                   _extreme_x(m, rng), COPIES)  # fmt: skip

    def unpack(p: FloatArray) -> tuple[FairShape, float]:
        fair = FairShape(float(p[0]), abs(float(p[1])), float(p[2]), abs(float(p[3])))
        return fair, SIGMA_X_MIN + abs(float(p[4]))

    def objective(p: FloatArray) -> float:
        fair, sigma_x = unpack(p)
        return _mix(observed, _components(draws, fair, sigma_x))[2]

    best: KlimekFit | None = None
    for sigma_x in SIGMA_X_START:
        x0 = np.array([start.turnout, start.turnout_sd, start.share, start.share_sd,
                       sigma_x - SIGMA_X_MIN])  # fmt: skip
        result = minimize(objective, x0, method="Nelder-Mead",
                          options={"xatol": 1e-3, "fatol": 1e-3, "maxfev": MAX_EVALUATIONS})  # fmt: skip
        fair, sx = unpack(result.x)
        f_i, f_e, residual = _mix(observed, _components(draws, fair, sx))
        if best is None or residual < best.residual:
            best = KlimekFit(fair, f_i, f_e, sx, residual, n)
    assert best is not None
    return best
