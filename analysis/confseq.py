"""An anytime-valid confidence sequence for the mean of outcomes in [0, 1]: the hedged betting
confidence sequence of Waudby-Smith and Ramdas (2024, JRSS-B, "Estimating means of bounded
random variables by betting"), with their predictable plug-in bets.

It is the alternative to Bonferroni over looks that the sequential design was measured against
(``METHODOLOGY.md``). For a variant, the i-th sample of ``a`` and of ``b`` (same item and epoch)
form a pair and ``x = (a - b + 1) / 2`` lies in [0, 1] with mean ``(effect + 1) / 2``.

The PyPI package ``confseq`` implements the same sequence, but ships only a source
distribution that needs a C++ toolchain and Boost to build; this module is the part used here,
in numpy.
"""

from __future__ import annotations

import numpy as np

GRID = 1000
"""Candidate means on (0, 1) at which the capital is tracked."""


def hedged_cs(x: np.ndarray, alpha: float, grid: int = GRID, theta: float = 0.5, trunc: float = 0.5) -> tuple[float, float]:
    """The ``1 - alpha`` hedged betting confidence sequence for ``E x`` after all of ``x``,
    intersected over time (valid at every stopping time). Returns ``(low, high)`` on [0, 1]."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return 0.0, 1.0
    m = (np.arange(grid) + 0.5) / grid
    n = x.size
    t = np.arange(1, n + 1)
    # predictable plug-in: mean and variance estimates from the previous observations
    mu_hat = (0.5 + np.cumsum(x)) / (t + 1)
    var_hat = (0.25 + np.cumsum((x - mu_hat) ** 2)) / (t + 1)
    prev_var = np.concatenate([[0.25], var_hat[:-1]])
    lam = np.sqrt(2 * np.log(2 / alpha) / (prev_var * t * np.log(t + 1)))
    log_plus = np.zeros(grid)
    log_minus = np.zeros(grid)
    keep = np.ones(grid, dtype=bool)
    threshold = np.log(1 / alpha)
    for i in range(n):
        lam_plus = np.minimum(lam[i], trunc / m)
        lam_minus = np.minimum(lam[i], trunc / (1 - m))
        log_plus += np.log1p(lam_plus * (x[i] - m))
        log_minus += np.log1p(-lam_minus * (x[i] - m))
        capital = np.logaddexp(np.log(theta) + log_plus, np.log(1 - theta) + log_minus)
        keep &= capital < threshold
    if not keep.any():
        centre = float(x.mean())
        return centre, centre
    inside = m[keep]
    step = 0.5 / grid
    return max(0.0, float(inside.min() - step)), min(1.0, float(inside.max() + step))


def difference_cs(a: np.ndarray, b: np.ndarray, alpha: float) -> tuple[float, float]:
    """The ``1 - alpha`` confidence sequence for ``E a - E b`` from paired outcomes in [0, 1]
    (``a[i]`` and ``b[i]`` of the same item and epoch, in the order they were run)."""
    n = min(len(a), len(b))
    low, high = hedged_cs((np.asarray(a[:n], float) - np.asarray(b[:n], float) + 1) / 2, alpha)
    return 2 * low - 1, 2 * high - 1
