"""Per-condition estimates with intervals: Wilson, Jeffreys or Beta-posterior for rates, t for means."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from beyond_episode.ablations.study import Outcome
from beyond_episode.errors import BepError

METHODS = ("wilson", "jeffreys", "beta")
"""Interval methods for rates. ``beta`` is the equal-tailed credible interval of the Beta
posterior under a uniform prior, Beta(1 + s, 1 + n - s) (not Clopper-Pearson)."""


@dataclass(frozen=True)
class Estimate:
    """A condition's outcome: its mean over scored samples and an interval."""

    n: int
    """Scored samples."""
    mean: float
    low: float
    high: float
    successes: float | None = None
    """For rates: successes over all trials (``outcome * trials`` summed)."""
    trials: int | None = None
    """For rates: ``trials * n``."""
    method: str = ""


def rate_interval(successes: float, trials: int, alpha: float, method: str = "wilson") -> tuple[float, float]:
    """Two-sided ``1 - alpha`` interval for a rate of ``successes`` in ``trials``."""
    if trials <= 0:
        return (float("nan"), float("nan"))
    if method in ("wilson", "jeffreys"):
        low, high = proportion_confint(successes, trials, alpha=alpha, method=method)
        return float(low), float(high)
    if method == "beta":
        post = stats.beta(1.0 + successes, 1.0 + trials - successes)
        return float(post.ppf(alpha / 2)), float(post.ppf(1 - alpha / 2))
    raise BepError(f"unknown interval method '{method}' (choose from {', '.join(METHODS)})")


def mean_interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    """Two-sided ``1 - alpha`` t interval for a mean (degenerate for identical values)."""
    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return (float("nan"), float("nan"))
    if np.all(values == values[0]):
        return (float(values[0]), float(values[0]))
    low, high = DescrStatsW(values).tconfint_mean(alpha=alpha)
    return float(low), float(high)


def estimate(values: np.ndarray, outcome: Outcome, alpha: float, method: str = "wilson") -> Estimate:
    """The estimate of one condition from its scored samples' outcomes.

    For ``binary`` and ``proportion`` outcomes the interval treats the ``trials`` 0/1 trials of
    every sample as one pool (successes = sum of outcome x trials); for ``mean`` outcomes it is
    a t interval whatever ``method`` says.
    """
    values = np.asarray(values, dtype=float)
    n = int(values.size)
    if n == 0:
        return Estimate(0, float("nan"), float("nan"), float("nan"), method=method)
    mean = float(values.mean())
    if outcome.type == "mean":
        low, high = mean_interval(values, alpha)
        return Estimate(n, mean, low, high, method="t")
    trials = outcome.trials if outcome.type == "proportion" else 1
    successes = float(np.round(values * trials).sum())
    low, high = rate_interval(successes, trials * n, alpha, method)
    return Estimate(n, mean, low, high, successes=successes, trials=trials * n, method=method)
