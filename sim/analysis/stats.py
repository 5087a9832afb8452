"""Confidence intervals of a KPI's mean across replications.

Two methods, chosen by the KPI's bounds (``Kpi.bounds``; ``kpi_ci`` picks):

- ``mean_ci``, the Student-t interval (mean ± t·s/√n), for quantities without bounds
  (profit, and every paired uplift in ``sim.analysis.paired``: a difference has none);
- ``bounded_ci``, for a quantity with a bound (counts, shares, money that cannot go
  negative): the **expanded percentile bootstrap** over replications (Hesterberg 2015,
  "What teachers should know about the bootstrap", The American Statistician 69(4)).
  The replications are resampled with replacement ``BOOTSTRAP`` times; the interval is
  the pair of percentiles of the resampled means at α'/2 and 1 − α'/2, where α' is
  widened for small n so that Φ⁻¹(α'/2) = −√(n/(n−1))·t(1 − α/2, n−1) (the plain percentile
  interval is too narrow with few replications). Every resampled mean is a mean of
  observed values, so the interval lies within the observed range and so within any
  bound the values respect: it never runs below 0 or above 100%. A t-interval clipped at
  the bound would not keep its level, and a log or logit transform fails at 0 and 1,
  which counts and shares reach often (no silent group, every joiner still in).
  With 5 or fewer replications α' is about 0 and the interval is the observed range, which
  holds the median of a continuous distribution with probability 1 − 2^(1−n) (94% with 5
  replications, 75% with 3): with few replications it is narrower than it should be, so
  run at least 5 (the default of ``run``; reviews use 10). On skewed counts with 10
  replications it covers the mean about 95% of the time (tests/test_bounded_intervals.py).

The bootstrap draws from a generator with a fixed seed, so an interval is a function of
the values alone and a report rebuilt from its folder is byte-identical.
"""
from __future__ import annotations

import numpy as np

BOOTSTRAP = 4000  # resamples: the expanded tails (~0.9% each at n = 10) still hold ~35 means
BOOTSTRAP_SEED = 20150401  # fixed: the same values give the same interval on every rebuild


def _values(values) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[~np.isnan(x)]


def _too_few(x: np.ndarray) -> tuple[float, float, float]:
    """(mean, NaN, NaN) of one value, all NaN of none: no interval from fewer than two."""
    return (float(x.mean()) if len(x) else float("nan")), float("nan"), float("nan")


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval of the mean; NaN bounds with one value."""
    x = _values(values)
    if len(x) < 2:
        return _too_few(x)
    from scipy import stats  # imported here: scipy.stats costs ~40 MB a process

    mean = float(x.mean())
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return mean, mean - half, mean + half


def bounded_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): expanded percentile bootstrap interval of the mean (see above);
    it lies within the values' range, so within any bound they respect."""
    x = _values(values)
    if len(x) < 2:
        return _too_few(x)
    mean = float(x.mean())
    lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        return lo, lo, lo
    from scipy import stats  # see mean_ci

    n = len(x)
    z = np.sqrt(n / (n - 1)) * stats.t.ppf(0.5 + level / 2, n - 1)
    tail = float(stats.norm.cdf(-z))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    means = x[rng.integers(0, n, size=(BOOTSTRAP, n))].mean(axis=1)
    low, high = np.quantile(means, [tail, 1 - tail])
    # a mean of values in [lo, hi] is in [lo, hi]; this only removes float rounding
    return mean, float(np.clip(low, lo, hi)), float(np.clip(high, lo, hi))


def kpi_ci(values, kpi, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of a KPI over replications: ``bounded_ci`` when the KPI has a
    bound (``kpi.bounds``), ``mean_ci`` when it has none."""
    bounded = any(b is not None for b in kpi.bounds)
    return bounded_ci(values, level) if bounded else mean_ci(values, level)
