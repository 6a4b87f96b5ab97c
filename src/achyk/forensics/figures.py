"""The figures, rendered server-side to SVG or PNG bytes (matplotlib, Agg; no files, no pyplot
state, so two requests can draw at once). Labels come from the caller, already translated.

Sized for a phone first: 5 × 4 inches at 120 dpi (600 px wide) with 11–12-point text, so on a
375-px screen the text is still ~12 px; the SVG scales to any width. Dense layers (the comet's points, the fingerprint's cells) are rasterised inside the
SVG, so a 100,000-station figure stays a few hundred kilobytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from achyk.forensics.shapes import comet, fingerprint, histograms
from achyk.forensics.stations import Stations

FIGURES = ("turnout", "share", "comet", "fingerprint")
FORMATS = ("svg", "png")
SCATTER_MAX = 20_000


@dataclass(frozen=True)
class Labels:
    turnout: str = "Turnout, %"
    share: str = "Leader's share, %"
    voters: str = "Voters per 0.1 % bin"
    stations: str = "Stations"
    turnout_title: str = "Turnout, weighted by voters"
    share_title: str = "Leader's share, weighted by voters"
    comet_title: str = "Turnout against share, by voters"
    fingerprint_title: str = "Election fingerprint (stations per cell)"


def _figure() -> tuple[Any, Any]:
    from matplotlib.figure import Figure  # imported here: a second to load, only when drawing

    fig = Figure(figsize=(5.0, 4.0), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    ax.tick_params(labelsize=11)
    return fig, ax


def _bytes(fig: Any, fmt: str) -> bytes:
    buf = io.BytesIO()
    # No date and a fixed hash salt: the same data always gives the same bytes.
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with _svg_salt():
        fig.savefig(buf, format=fmt, metadata=metadata)
    return buf.getvalue()


class _svg_salt:  # a context manager read as a phrase: "with _svg_salt()"
    def __enter__(self) -> None:
        import matplotlib

        self.saved = matplotlib.rcParams["svg.hashsalt"]
        matplotlib.rcParams["svg.hashsalt"] = "achyk"

    def __exit__(self, *_: object) -> None:
        import matplotlib

        matplotlib.rcParams["svg.hashsalt"] = self.saved


def render(s: Stations, name: str, fmt: str = "svg", labels: Labels | None = None,
           bin_: float = 0.1) -> bytes:  # fmt: skip
    """One figure of `FIGURES` as `fmt` bytes."""
    labels = labels or Labels()
    fig, ax = _figure()
    if name in ("turnout", "share"):
        turnout, share = histograms(s, bin_)
        h = turnout if name == "turnout" else share
        centres = (h.edges[:-1] + h.edges[1:]) / 2
        ax.plot(centres, h.weights, linewidth=0.7, color="#1f4e79")
        ax.set_xlim(0, 100)
        ax.set_xticks(range(0, 101, 10))
        ax.set_xlabel(labels.turnout if name == "turnout" else labels.share, fontsize=12)
        ax.set_ylabel(labels.voters, fontsize=12)
        ax.set_title(labels.turnout_title if name == "turnout" else labels.share_title, fontsize=12)
    elif name == "comet":
        t, v, w = comet(s)
        if t.size <= SCATTER_MAX:
            size = 40 * w / (w.max() if w.size else 1.0)
            ax.scatter(t, v, s=size, alpha=0.25, linewidths=0, color="#1f4e79", rasterized=True)
        else:  # beyond this a scatter is one blot and slow to draw: voters per 0.5 % cell
            density, _, _ = np.histogram2d(t, v, bins=200, range=((0, 100), (0, 100)), weights=w)
            ax.imshow(np.ma.masked_equal(density.T, 0), origin="lower", extent=(0, 100, 0, 100),
                      cmap="Blues", norm="log", aspect="auto", interpolation="nearest",
                      rasterized=True)  # fmt: skip
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 100)
        ax.set_xlabel(labels.turnout, fontsize=12)
        ax.set_ylabel(labels.share, fontsize=12)
        ax.set_title(labels.comet_title, fontsize=12)
    elif name == "fingerprint":
        f = fingerprint(s, bins=100)
        shown = np.ma.masked_equal(f.counts.T, 0)
        image = ax.imshow(shown, origin="lower", extent=(0, 100, 0, 100), cmap="viridis",
                          aspect="auto", interpolation="nearest", rasterized=True)  # fmt: skip
        fig.colorbar(image, ax=ax, label=labels.stations)
        ax.set_xlabel(labels.turnout, fontsize=12)
        ax.set_ylabel(labels.share, fontsize=12)
        ax.set_title(labels.fingerprint_title, fontsize=12)
    else:
        raise ValueError(f"no figure {name!r}; the figures are {', '.join(FIGURES)}")
    return _bytes(fig, fmt)
