"""The observer effect (observed versus unobserved stations, Welch's interval): a planted effect is
found, and without one the interval excludes zero about as often as its confidence level says.

Hyde (World Politics 60(1), 2007) found turnout about 6 points lower where OSCE observers were sent
in Armenia 2003; the planted effect here is of that size (5 points), on a simulated election of
2,000 stations of which a random 300 are observed (ODIHR's usual 150 teams × 2 stations a day).
"""

from __future__ import annotations

import numpy as np
import pytest

from achyk.observers.effect import StationFigures, difference_in_means, observer_effect
from achyk.observers.model import ObserverError

STATIONS, OBSERVED = 2_000, 300


def _election(
    rng: np.random.Generator, turnout_effect: float, share_effect: float
) -> tuple[set[str], dict[str, StationFigures]]:
    ids = [f"s{i}" for i in range(STATIONS)]
    observed = set(rng.choice(ids, OBSERVED, replace=False).tolist())
    turnout = np.clip(rng.normal(0.55, 0.12, STATIONS), 0.05, 1.0)
    share = np.clip(rng.normal(0.35, 0.10, STATIONS), 0.0, 1.0)
    figures = {}
    for i, s in enumerate(ids):
        seen = s in observed
        figures[s] = StationFigures(
            s,
            float(turnout[i] + (turnout_effect if seen else 0.0)),
            float(share[i] + (share_effect if seen else 0.0)),
        )
    return observed, figures


def test_a_planted_observer_effect_is_found() -> None:
    rng = np.random.default_rng(2007)
    observed, figures = _election(rng, turnout_effect=-0.05, share_effect=-0.04)
    effect = observer_effect("m", observed, figures, random=True)
    assert effect is not None
    turnout, share = effect.differences
    assert turnout.metric == "turnout" and (turnout.observed, turnout.unobserved) == (300, 1700)
    assert turnout.significant and turnout.low <= -0.05 <= turnout.high and turnout.high < 0
    assert share.significant and share.low <= -0.04 <= share.high


def test_without_an_effect_the_interval_covers_zero_at_its_stated_rate() -> None:
    rng = np.random.default_rng(60)
    trials = 400
    false_alarms = 0
    for _ in range(trials):
        observed, figures = _election(rng, 0.0, 0.0)
        effect = observer_effect("m", observed, figures, random=True)
        assert effect is not None
        false_alarms += effect.differences[0].significant
    # 95 % intervals: 5 % false alarms expected, 20 of 400 (binomial sd 4.4); allow ±2.5 sd.
    assert 9 <= false_alarms <= 31, false_alarms


def test_welch_interval_against_a_worked_example() -> None:
    # Welch's interval by hand: means 20 and 12, variances 10 and 10/3 (n 5 and 4); se = √(10/5 +
    # (10/3)/4) = 1.6833; Welch–Satterthwaite df = 2.8333² / (2²/4 + 0.8333²/3) = 6.52. Student's
    # t table (e.g. NIST/SEMATECH e-Handbook, 1.3.6.7.2): t(0.975) = 2.447 at 6 df, 2.365 at 7 df;
    # linear in 1/df at 6.52 df gives 2.40 → 8 ± 2.40 × 1.6833 = 8 ± 4.04.
    d = difference_in_means("x", [16.0, 18.0, 20.0, 22.0, 24.0], [10.0, 11.0, 13.0, 14.0])
    assert d.difference == 8.0
    assert d.low == pytest.approx(8 - 4.04, abs=0.01) and d.high == pytest.approx(
        8 + 4.04, abs=0.01
    )


def test_too_few_stations_is_no_estimate() -> None:
    figures = {s: StationFigures(s, 0.5, 0.3) for s in ("a", "b", "c")}
    assert observer_effect("m", {"a"}, figures, random=True) is None
    with pytest.raises(ObserverError):
        difference_in_means("x", [1.0], [1.0, 2.0])
