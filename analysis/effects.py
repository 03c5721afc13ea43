"""The paired effect of a variant, ``mean(a) - mean(b)``, with its interval and p-values.

* Estimand: the difference of the two conditions' mean outcomes on the study's items (the
  items are fixed by the study; the effect is not generalised to other items).
* Interval, for ``binary`` and ``proportion`` outcomes: Newcombe's hybrid score interval for a
  difference of proportions (``statsmodels`` ``confint_proportions_2indep(method="newcomb")``),
  each condition entered with its effective number of trials (Korn and Graubard 1998): the
  trials whose binomial variance equals the variance of the condition's mean estimated with the
  items as strata (``trials x samples`` at most), shrunk by ``(z / t_df)^2`` for the degrees
  of freedom of that variance; samples without spread count one trial each. It keeps its coverage with few samples and with 0/n or n/n
  conditions, where a percentile bootstrap undercovers.
* Interval, for ``mean`` outcomes: percentile bootstrap stratified by item (each replicate
  resamples every item's samples within each condition). Only each item's resampled total is
  drawn, from its exact distribution, so the replicates are vectorised.
* p-value: permutation test of the role labels within item: exact (the distribution of the
  ``a`` total) when outcomes are whole numbers of trials and the items are modest; otherwise
  Hoeffding's bound when it is already tiny, else sequential Monte Carlo. Fisher's exact test
  on the pooled 2x2 table is added for binary outcomes.
* Study-wide error rate: Holm-adjusted p-values over the variants with data.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from scipy import fft as sp_fft
from scipy import stats
from scipy.special import comb
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

TAIL_REPLICATES = 20
"""The bootstrap uses at least this many replicates beyond each bound of the interval."""
MAX_BOOT = 20_000
EXACT_WORK = 4e6
"""Largest total (samples x a-samples x sum range) over items for an exact permutation test."""
PERM_BATCH = 1000
STOP_HITS = 20


EFFECT_METHODS = {
    "newcombe": "Newcombe score with effective trials",
    "bootstrap": "bootstrap stratified by item",
}
"""The effect-interval methods, by name, with the label the reports give them."""


def effect_method(outcome_type: str) -> str:
    """The effect-interval method of an outcome type: ``bootstrap`` for ``mean`` outcomes,
    ``newcombe`` for rates (``binary``, ``proportion``)."""
    return "bootstrap" if outcome_type == "mean" else "newcombe"


def rng_for(*parts: object) -> np.random.Generator:
    """A generator seeded from a stable hash of the parts (study, model, variant, seed, ...)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def boot_replicates(n_boot: int, alpha: float) -> int:
    """Replicates used for a ``1 - alpha`` percentile interval: ``n_boot``, raised so that each
    tail holds at least :data:`TAIL_REPLICATES` replicates, capped at :data:`MAX_BOOT`."""
    need = math.ceil(2 * TAIL_REPLICATES / alpha)
    return int(min(max(n_boot, need), max(MAX_BOOT, n_boot)))


@dataclass(frozen=True)
class Paired:
    """Scored outcomes of a variant's two conditions, with item codes ``0..items-1``."""

    a: np.ndarray
    a_item: np.ndarray
    b: np.ndarray
    b_item: np.ndarray
    items: int

    @classmethod
    def build(cls, a: np.ndarray, a_item: np.ndarray, b: np.ndarray, b_item: np.ndarray) -> Paired:
        labels, codes = np.unique(np.concatenate([a_item, b_item]).astype(str), return_inverse=True)
        return cls(
            np.asarray(a, float), codes[: len(a)], np.asarray(b, float), codes[len(a):], len(labels)
        )

    @property
    def effect(self) -> float:
        return float(self.a.mean() - self.b.mean())

    @property
    def constant(self) -> bool:
        """True when every outcome in both conditions is the same value."""
        both = np.concatenate([self.a, self.b])
        return bool(np.all(both == both[0]))


def _lattice(values: np.ndarray, scale: int | None) -> np.ndarray | None:
    """``values * scale`` as non-negative integers, or None when they are not whole."""
    if scale is None:
        return None
    scaled = np.round(values * scale)
    if scaled.size == 0 or scaled.min() < 0 or not np.allclose(scaled, values * scale, atol=1e-6):
        return None
    return scaled.astype(np.int64)


LATTICE_CELLS = 2e7
"""Largest (copies x sum range) table for the exact sum distribution in the bootstrap."""


def _item_totals(
    vals: np.ndarray, copies: np.ndarray, scale: int | None, rng: np.random.Generator
) -> np.ndarray:
    """Per replicate: the total of ``copies * len(vals)`` draws with replacement from ``vals``.

    Whole-number outcomes (0/1, or fractions of ``scale`` trials) use the exact distribution
    of that sum, the ``copies * n``-fold convolution of the item's distribution (computed with
    FFT powers), sampled by inverse CDF; other outcomes a multinomial over the distinct values.
    """
    n = len(vals)
    total = np.zeros(len(copies))
    uniq, freq = np.unique(vals, return_counts=True)
    if len(uniq) == 1:
        return copies * n * uniq[0]
    cmax = int(copies.max())
    if cmax == 0:
        return total
    ints = _lattice(vals, scale)
    if ints is not None and cmax * (cmax * n * int(ints.max()) + 1) <= LATTICE_CELLS:
        top = int(ints.max())
        pmf = np.bincount(ints, minlength=top + 1) / n
        length = cmax * n * top + 1
        size = sp_fft.next_fast_len(length, real=True)
        spectrum = sp_fft.rfft(pmf, size)
        step = spectrum**n  # the spectrum of one resample of the item; c resamples: step**c
        table = np.empty((cmax, len(spectrum)), dtype=complex)
        table[0] = step
        for c in range(1, cmax):
            table[c] = table[c - 1] * step
        dists = sp_fft.irfft(table, size, axis=1)[:, :length]
        np.clip(dists, 0.0, None, out=dists)
        cdfs = np.cumsum(dists, axis=1)
        cdfs /= cdfs[:, -1:]
        for c in np.unique(copies):
            if c == 0:
                continue
            chosen = copies == c
            draws = np.searchsorted(cdfs[c - 1], rng.random(int(chosen.sum())), side="right")
            total[chosen] = np.minimum(draws, length - 1) / scale
        return total
    return rng.multinomial(copies * n, freq / freq.sum()) @ uniq


def _side_sums(
    values: np.ndarray, items: np.ndarray, counts: np.ndarray, rng: np.random.Generator, scale: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Per replicate: total and size of the within-item resample of one condition.

    Drawing an item ``c`` times and resampling its ``n`` samples each time is ``c * n`` draws
    with replacement from that item.
    """
    reps = counts.shape[0]
    total = np.zeros(reps)
    size = np.zeros(reps)
    for j in np.unique(items):
        vals = values[items == j]
        size += counts[:, j] * len(vals)
        total += _item_totals(vals, counts[:, j], scale, rng)
    return total, size


def bootstrap_interval(
    pair: Paired, alphas: tuple[float, ...], n_boot: int, rng: np.random.Generator, scale: int | None = None
) -> tuple[list[tuple[float, float]], int]:
    """Percentile intervals at each ``1 - alpha`` of the bootstrap stratified by item (every
    replicate resamples each item's samples within each condition); also the replicates used."""
    if pair.constant:
        return [(0.0, 0.0) for _ in alphas], 0
    reps = boot_replicates(n_boot, min(alphas))
    counts = np.ones((reps, pair.items), dtype=np.int64)
    sum_a, n_a = _side_sums(pair.a, pair.a_item, counts, rng, scale)
    sum_b, n_b = _side_sums(pair.b, pair.b_item, counts, rng, scale)
    with np.errstate(invalid="ignore", divide="ignore"):
        diffs = sum_a / n_a - sum_b / n_b
    diffs = diffs[np.isfinite(diffs)]
    out = []
    for alpha in alphas:
        low, high = np.quantile(diffs, [alpha / 2, 1 - alpha / 2])
        out.append((float(low), float(high)))
    return out, reps


def mean_variance(values: np.ndarray, items: np.ndarray) -> tuple[float, int]:
    """The variance of ``values.mean()`` with the items as strata, and its degrees of freedom.

    Each item ``j`` with ``n_j`` of the ``N`` samples adds ``(n_j / N)^2 s_j^2 / n_j``; the
    degrees of freedom are ``N - items``. When an item has a single sample (no variance within
    it) the samples are taken as one stratum: ``s^2 / N`` with ``N - 1`` degrees of freedom.
    """
    n = len(values)
    if n < 2:
        return math.nan, 0
    _, codes, sizes = np.unique(items, return_inverse=True, return_counts=True)
    if sizes.min() < 2:
        return float(values.var(ddof=1)) / n, n - 1
    sums = np.bincount(codes, weights=values)
    squares = np.bincount(codes, weights=values * values)
    within = np.maximum(squares - sums * sums / sizes, 0.0) / (sizes - 1)  # s_j^2
    return float(np.sum(sizes * within)) / n**2, n - len(sizes)


def effective_trials(values: np.ndarray, items: np.ndarray, trials: int, alpha: float) -> tuple[float, float]:
    """``(successes, trials)`` of the binomial sample that carries as much information about the
    condition's mean as ``values`` (each a proportion of ``trials`` trials) at level ``1 - alpha``.

    Korn and Graubard's effective sample size: ``p (1 - p) / Var(mean)`` with the stratified
    variance of :func:`mean_variance`, at most the ``trials x samples`` actually run; when the
    variance sets it, times ``(z_{1-alpha/2} / t_{df, 1-alpha/2})^2`` for the variance's degrees
    of freedom. When the samples show no spread (all the same value, or all 0 or all 1), there
    is no variance to estimate, and each sample counts as one trial: the worst case, samples
    that are all or nothing.
    """
    n = len(values)
    p = float(values.mean())
    var, df = mean_variance(values, items)
    if not 0.0 < p < 1.0 or not var > 0.0:
        return p * n, float(n)
    size = p * (1.0 - p) / var
    if size >= n * trials:
        size = float(n * trials)
    elif df >= 1:
        size *= (stats.norm.ppf(1 - alpha / 2) / stats.t.ppf(1 - alpha / 2, df)) ** 2
    return p * size, size


def score_interval(
    pair: Paired, alphas: tuple[float, ...], trials: int, exact_constant: bool = True
) -> list[tuple[float, float]]:
    """Newcombe's hybrid score interval of ``mean(a) - mean(b)`` at each ``1 - alpha``, with each
    condition's effective trials (:func:`effective_trials`); ``[0, 0]`` when every outcome of
    both conditions is the same, unless ``exact_constant`` is False: then each sample counts as
    one trial, as for any condition without spread (what a sequential run uses, so that it
    never stops on a few samples that happen to agree)."""
    if pair.constant and exact_constant:
        return [(0.0, 0.0) for _ in alphas]
    out = []
    for alpha in alphas:
        count_a, n_a = effective_trials(pair.a, pair.a_item, trials, alpha)
        count_b, n_b = effective_trials(pair.b, pair.b_item, trials, alpha)
        low, high = confint_proportions_2indep(count_a, n_a, count_b, n_b, method="newcomb", compare="diff", alpha=alpha)
        out.append((max(-1.0, float(low)), min(1.0, float(high))))
    return out


def _subset_sum_distribution(values: np.ndarray, k: int) -> np.ndarray:
    """P(sum of a uniformly random k-subset of ``values`` = s), for whole-number values >= 0."""
    top = int(values.sum())
    dp = np.zeros((k + 1, top + 1))
    dp[0, 0] = 1.0
    for x in values.astype(int):
        if x == 0:
            dp[1:] += dp[:-1].copy()
        else:
            dp[1:, x:] += dp[:-1, : top + 1 - x].copy()
    row = dp[k]
    return row / comb(len(values), k, exact=False)


def permutation_p(
    pair: Paired, rng: np.random.Generator, n_perm: int = 10_000, scale: int | None = None
) -> tuple[float, str]:
    """Two-sided p-value of the role labels permuted within item.

    The statistic ``mean(a) - mean(b)`` is linear in the ``a`` total once the item sizes are
    fixed, so the test uses ``|total_a - E[total_a]|``. With ``scale`` (outcomes are whole
    multiples of ``1/scale``) the null distribution is computed exactly by convolving each
    item's subset-sum distribution when that is small enough; otherwise by up to ``n_perm``
    random relabellings, stopping early once the p-value is clearly large.
    When Hoeffding's inequality already bounds the p-value below ``1 / (n_perm + 1)``, that
    bound is returned instead of drawing relabellings.
    Returns ``(p, method)`` with method ``exact``, ``bound``, ``monte_carlo`` or ``degenerate``.
    """
    if pair.constant:
        return 1.0, "degenerate"
    groups = []
    for j in range(pair.items):
        a_vals = pair.a[pair.a_item == j]
        b_vals = pair.b[pair.b_item == j]
        pooled = np.concatenate([a_vals, b_vals])
        if len(a_vals) == 0 or len(b_vals) == 0 or np.all(pooled == pooled[0]):
            continue  # nothing to permute: this item's a total is fixed
        groups.append((pooled, len(a_vals), float(a_vals.sum())))
    if not groups:
        return 1.0, "degenerate"
    observed = sum(g[2] for g in groups)
    expected = sum(k * pooled.mean() for pooled, k, _ in groups)
    if scale is not None:
        scaled = [np.round(pooled * scale) for pooled, _, _ in groups]
        whole = all(np.allclose(s, pooled * scale, atol=1e-6) and s.min() >= 0 for s, (pooled, _, _) in zip(scaled, groups, strict=True))
        work = sum(len(s) * k * (s.sum() + 1) for s, (_, k, _) in zip(scaled, groups, strict=True))
        if whole and work <= EXACT_WORK and max(len(s) for s in scaled) <= 1000:
            dist = np.ones(1)
            for s, (_, k, _) in zip(scaled, groups, strict=True):
                dist = np.convolve(dist, _subset_sum_distribution(s, k))
            support = np.arange(len(dist)) / scale
            extreme = np.abs(support - expected) >= abs(observed - expected) - 1e-9
            return float(min(1.0, dist[extreme].sum())), "exact"
    # Hoeffding's bound holds for sums drawn without replacement and multiplies over the
    # independent items: P(|T - E T| >= t) <= 2 exp(-2 t^2 / sum_j k_j range_j^2). When it is
    # already below what n_perm relabellings could show, it is the (conservative) p-value.
    spread = sum(k * float(np.ptp(pooled)) ** 2 for pooled, k, _ in groups)
    deviation = abs(observed - expected)
    bound = 2.0 * math.exp(-2.0 * deviation**2 / spread) if spread > 0 else 1.0
    if bound < 1.0 / (n_perm + 1):
        return float(bound), "bound"
    # Monte Carlo in batches, stopping once STOP_HITS relabellings are as extreme as the data
    # (Besag and Clifford's sequential p-value, h / N); otherwise (1 + hits) / (1 + N)
    draws = [(np.unique(pooled, return_counts=True), k) for pooled, k, _ in groups]
    threshold = abs(observed - expected) - 1e-9
    hits = done = 0
    while done < n_perm:
        size = min(PERM_BATCH, n_perm - done)
        totals = np.zeros(size)
        for (uniq, freq), k in draws:
            # the a total of a random relabelling is the sum of a random k-subset: a
            # multivariate hypergeometric draw over the item's distinct values
            totals += rng.multivariate_hypergeometric(freq, k, size=size, method="marginals") @ uniq
        hits += int(np.count_nonzero(np.abs(totals - expected) >= threshold))
        done += size
        if hits >= STOP_HITS:
            return float(hits / done), "monte_carlo"
    return float((1 + hits) / (1 + done)), "monte_carlo"


def fisher_p(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float:
    """Two-sided Fisher's exact test of equal rates on the pooled 2x2 table."""
    table = [[successes_a, n_a - successes_a], [successes_b, n_b - successes_b]]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


def holm(pvalues: list[float], alpha: float) -> list[float]:
    """Holm-adjusted p-values (family-wise error rate over the given tests)."""
    if not pvalues:
        return []
    return [float(p) for p in multipletests(pvalues, alpha=alpha, method="holm")[1]]
