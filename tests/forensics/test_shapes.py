"""Histograms, comet and fingerprint; and the integer-peak figure of Kobak et al. (2016)."""

from __future__ import annotations

import numpy as np

from achyk.forensics.figures import FIGURES, render
from achyk.forensics.shapes import comet, fingerprint, histograms
from achyk.forensics.stations import Stations
from achyk.sim.manipulations import honest, rounding


def test_histograms_are_weighted_by_voters_and_centred_on_integers() -> None:
    s = Stations.of(["a", "b", "c"], voters=[1000, 3000, 500], issued=[600, 1800, 0],
                    received=[600, 1800, 0], leader=[300, 600, 0])  # fmt: skip
    turnout, share = histograms(s, 0.1)
    # station c found no ballots: it has no share, so it is left out of both
    assert turnout.weights.sum() == 4000 and share.weights.sum() == 4000
    sixty = int(np.argmin(np.abs((turnout.edges[:-1] + turnout.edges[1:]) / 2 - 60)))
    assert turnout.weights[sixty] == 4000  # both at exactly 60 %, in the bin centred on 60
    t, v, w = comet(s)
    assert t.tolist() == [60.0, 60.0] and w.tolist() == [1000.0, 3000.0]
    assert v.tolist() == [50.0, 100 * 600 / 1800]
    assert fingerprint(s, bins=10).counts.sum() == 2


def test_integer_spikes_of_the_published_turnout_histogram() -> None:
    # Kobak, Shpilkin & Pshenichnikov (2016), opening figure: the voter-weighted turnout histogram of
    # Russian elections in 0.1 % bins has sharp spikes at whole (and especially round) percents.
    # The figure itself comes from CEC data achyk does not ship (CI has no network); this test
    # draws the same histogram from an election with planted rounding and checks what the figure
    # shows: bins centred on integers stand far above their neighbours; in an honest election not.
    def spike_ratio(s: Stations) -> float:
        h, _ = histograms(s, 0.1)
        centres = np.rint((h.edges[:-1] + h.edges[1:]) / 2 * 10).astype(int)
        on = (centres % 10 == 0) & (centres >= 400) & (centres <= 700)
        off = (centres % 10 != 0) & (centres >= 400) & (centres <= 700)
        return float(h.weights[on].mean() / h.weights[off].mean())

    base = honest(30_000, seed=12, mean_voters=2500)
    planted, _ = rounding(base, 0.1, seed=13)
    assert 0.8 < spike_ratio(base) < 1.25
    assert spike_ratio(planted) > 1.8
    svg = render(planted, "turnout", "svg")
    assert svg.startswith(b"<?xml") and b"Turnout" in svg


def test_figures_render_the_same_bytes_twice() -> None:
    s = honest(300, seed=2)
    for name in ("comet", "fingerprint"):  # the scatter and the image: the two kinds of layer
        assert name in FIGURES
        assert render(s, name, "svg") == render(s, name, "svg")
