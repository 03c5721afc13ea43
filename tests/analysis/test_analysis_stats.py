"""The analyzer's statistics against known values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from beyond_episode.ablations.study import Outcome
from beyond_episode.analysis import coherence as coh
from beyond_episode.analysis.effects import (
    Paired,
    boot_replicates,
    bootstrap_interval,
    fisher_p,
    holm,
    mean_variance,
    permutation_p,
    rng_for,
    score_interval,
)
from beyond_episode.analysis.intervals import estimate, mean_interval, rate_interval
from beyond_episode.analysis.regression import COEF_LIMIT, fit_study


def test_wilson_matches_statsmodels_and_hand_value():
    low, high = rate_interval(8, 10, 0.05, "wilson")
    assert (low, high) == pytest.approx(proportion_confint(8, 10, alpha=0.05, method="wilson"))
    # by hand: centre (8 + z^2/2) / (10 + z^2), half-width z / (10 + z^2) * sqrt(10 * .8 * .2 + z^2 / 4)
    z = stats.norm.ppf(0.975)
    centre = (8 + z**2 / 2) / (10 + z**2)
    half = z / (10 + z**2) * math.sqrt(10 * 0.8 * 0.2 + z**2 / 4)
    assert low == pytest.approx(centre - half, abs=1e-9)
    assert high == pytest.approx(centre + half, abs=1e-9)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)


def test_jeffreys_matches_statsmodels_and_beta_quantiles():
    low, high = rate_interval(3, 40, 0.05, "jeffreys")
    assert (low, high) == pytest.approx(proportion_confint(3, 40, alpha=0.05, method="jeffreys"))
    assert low == pytest.approx(stats.beta.ppf(0.025, 3.5, 37.5), abs=1e-9)


def test_beta_posterior_is_uniform_prior_credible_interval():
    low, high = rate_interval(8, 10, 0.05, "beta")
    assert low == pytest.approx(stats.beta.ppf(0.025, 9, 3))
    assert high == pytest.approx(stats.beta.ppf(0.975, 9, 3))
    # not Clopper-Pearson (statsmodels' "beta" method)
    assert low != pytest.approx(proportion_confint(8, 10, method="beta")[0], abs=1e-4)


def test_proportion_estimate_pools_trials():
    out = Outcome("accuracy", "proportion", "accuracy", trials=10)
    est = estimate(np.array([0.8, 0.6, 1.0]), out, 0.05, "wilson")
    assert est.successes == 24 and est.trials == 30 and est.n == 3
    assert est.mean == pytest.approx(0.8)
    assert (est.low, est.high) == pytest.approx(proportion_confint(24, 30, method="wilson"))


def test_mean_interval_is_t_interval():
    values = np.array([1.0, 2.0, 4.0, 7.0])
    low, high = mean_interval(values, 0.05)
    half = stats.t.ppf(0.975, 3) * values.std(ddof=1) / 2
    assert (low, high) == pytest.approx((values.mean() - half, values.mean() + half))


def test_fisher_on_the_tea_tasting_table():
    # Fisher's lady tasting tea: 3 of 4 cups right each way; two-sided p = 34/70
    assert fisher_p(3, 4, 1, 4) == pytest.approx(34 / 70)
    assert fisher_p(3, 4, 1, 4) == pytest.approx(stats.fisher_exact([[3, 1], [1, 3]]).pvalue)


def test_holm_small_example():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max
    assert holm([0.01, 0.04, 0.03, 0.005], 0.05) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def _pair(a, a_items, b, b_items):
    return Paired.build(np.array(a, float), np.array(a_items), np.array(b, float), np.array(b_items))


def test_bootstrap_constant_effect_has_point_interval():
    pair = _pair([0.8] * 12, ["x", "y", "z"] * 4, [0.5] * 9, ["x", "y", "z"] * 3)
    (adj, unadj), _ = bootstrap_interval(pair, (0.01, 0.05), 2000, rng_for("t"))
    assert adj == pytest.approx((0.3, 0.3)) and unadj == pytest.approx((0.3, 0.3))


def test_all_identical_is_degenerate():
    pair = _pair([1.0] * 10, ["x"] * 10, [1.0] * 10, ["x"] * 10)
    assert pair.effect == 0
    (adj,), reps = bootstrap_interval(pair, (0.05,), 2000, rng_for("t"))
    assert adj == (0.0, 0.0) and reps == 0
    assert permutation_p(pair, rng_for("t"), 1000, scale=1) == (1.0, "degenerate")


def test_bootstrap_matches_normal_interval_for_one_large_item():
    rng = np.random.default_rng(1)
    a = rng.binomial(1, 0.6, 4000).astype(float)
    b = rng.binomial(1, 0.4, 4000).astype(float)
    pair = _pair(a, ["x"] * len(a), b, ["x"] * len(b))
    (ival,), _ = bootstrap_interval(pair, (0.05,), 4000, rng_for("normal"))
    se = math.sqrt(a.var() / len(a) + b.var() / len(b))
    diff = a.mean() - b.mean()
    assert ival[0] == pytest.approx(diff - 1.96 * se, abs=0.004)
    assert ival[1] == pytest.approx(diff + 1.96 * se, abs=0.004)


def test_score_interval_is_newcombe_for_binary_outcomes_of_one_item():
    """Binary outcomes of a single item: the effective trials are n - 1 (the unbiased variance
    of the samples is p (1 - p) / (n - 1)) times the small-sample factor (z/t)^2, and the
    interval is Newcombe's on those counts."""
    a, b = [1.0] * 30 + [0.0] * 20, [1.0] * 15 + [0.0] * 35
    pair = _pair(a, ["x"] * 50, b, ["x"] * 50)
    ((low, high),) = score_interval(pair, (0.05,), 1)
    n = 49 * (stats.norm.ppf(0.975) / stats.t.ppf(0.975, 49)) ** 2
    expected = confint_proportions_2indep(0.6 * n, n, 0.3 * n, n, method="newcomb", compare="diff")
    assert (low, high) == pytest.approx(tuple(float(x) for x in expected))
    assert low < 0.3 < high


def test_score_interval_follows_the_spread_of_the_samples():
    """Proportions of 10 answers where each sample either sandbags or not: the samples vary far
    more than 10 independent answers would, and the interval's half-width is 1.96 x the SE of
    the data (items as strata), about twice Newcombe's on the pooled answers."""
    rng = np.random.default_rng(3)
    items = np.repeat(["i1", "i2", "i3"], 700)

    def draw(p_sandbag: float) -> np.ndarray:
        sandbag = rng.random(len(items)) < p_sandbag
        return rng.binomial(10, np.where(sandbag, 0.3, 0.9)) / 10

    a, b = draw(0.2), draw(0.5)
    pair = Paired.build(a, items, b, items)
    ((low, high),) = score_interval(pair, (0.05,), 10)
    se = math.sqrt(mean_variance(a, items)[0] + mean_variance(b, items)[0])
    assert (high - low) / 2 == pytest.approx(1.96 * se, rel=0.03)
    n = 10 * len(items)
    naive = confint_proportions_2indep(a.sum() * 10, n, b.sum() * 10, n, method="newcomb", compare="diff")
    assert (high - low) > 1.8 * float(naive[1] - naive[0])
    assert low < pair.effect < high


def test_score_interval_keeps_its_coverage_with_few_samples():
    """10 binary samples per condition (5 items x 2 epochs), a rate of 0.2 in both: the 95%
    interval covers the true effect 0 at least 94% of the time (a percentile bootstrap of the
    same data covers about 85%: it gives [0, 0] whenever both conditions are all 0)."""
    rng = np.random.default_rng(11)
    items = np.repeat([f"i{j}" for j in range(5)], 2)
    covered = boot_covered = 0
    reps = 2000
    for r in range(reps):
        a = rng.binomial(1, 0.2, 10).astype(float)
        b = rng.binomial(1, 0.2, 10).astype(float)
        pair = Paired.build(a, items, b, items)
        ((low, high),) = score_interval(pair, (0.05,), 1)
        covered += low <= 0 <= high
        if r < 300:
            ((bl, bh),), _ = bootstrap_interval(pair, (0.05,), 2000, rng_for(r), 1)
            boot_covered += bl <= 0 <= bh
    assert covered / reps >= 0.94
    assert boot_covered / 300 < 0.93


def test_bootstrap_replicates_cover_the_tails():
    assert boot_replicates(2000, 0.05) == 2000
    assert boot_replicates(2000, 0.05 / 19) == math.ceil(40 / (0.05 / 19))
    assert boot_replicates(2000, 1e-6) == 20_000


def _brute_force_p(a, a_items, b, b_items):
    """Enumerate every relabelling of the roles within item."""
    items = sorted(set(a_items) | set(b_items))
    per_item = []
    for it in items:
        pooled = [x for x, i in zip(a, a_items, strict=True) if i == it] + [
            x for x, i in zip(b, b_items, strict=True) if i == it
        ]
        k = sum(1 for i in a_items if i == it)
        per_item.append([sum(pooled[j] for j in c) for c in itertools.combinations(range(len(pooled)), k)])
    n_a, n_b = len(a), len(b)
    total = sum(a) + sum(b)
    observed = sum(a) / n_a - sum(b) / n_b
    stats_all = [s / n_a - (total - s) / n_b for s in (sum(c) for c in itertools.product(*per_item))]
    centre = float(np.mean(stats_all))
    return float(np.mean([abs(s - centre) >= abs(observed - centre) - 1e-12 for s in stats_all]))


def test_exact_permutation_matches_enumeration():
    a, a_items = [1, 1, 0, 1, 1, 0.5], ["x", "x", "x", "y", "y", "y"]
    b, b_items = [0, 0, 1, 0.5, 0, 0, 0], ["x", "x", "x", "y", "y", "y", "y"]
    pair = _pair(a, a_items, b, b_items)
    p, method = permutation_p(pair, rng_for("t"), 1000, scale=2)
    assert method == "exact"
    assert p == pytest.approx(_brute_force_p(a, a_items, b, b_items))


def test_monte_carlo_permutation_close_to_exact():
    rng = np.random.default_rng(3)
    a = list(rng.binomial(10, 0.6, 30) / 10)
    b = list(rng.binomial(10, 0.5, 30) / 10)
    items = [f"i{j % 3}" for j in range(30)]
    pair = _pair(a, items, b, items)
    exact, m1 = permutation_p(pair, rng_for("e"), 20_000, scale=10)
    approx, m2 = permutation_p(pair, rng_for("m"), 20_000, scale=None)
    assert (m1, m2) == ("exact", "monte_carlo")
    assert approx == pytest.approx(exact, abs=0.03)


def test_incoherence_hand_computed():
    frame = pd.DataFrame(
        {
            "variant": ["v"] * 8,
            "role": ["a"] * 8,
            "item": ["i1", "i1", "i2", "i2", "i2", "i3", "i3", "i4"],
            "outcome": [1.0, 0.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.0],
        }
    )
    # i1: bias2 .25, var .25; i2: 0, 0; i3: bias2 .25, var 0; i4 has one sample: left out
    result = coh.coherence_by(frame, ["variant", "role"])[("v", "a")]
    assert result.items == 3 and result.samples == 7
    assert result.bias2 == pytest.approx(0.5) and result.variance == pytest.approx(0.25)
    assert result.incoherence == pytest.approx(1 / 3)
    assert result.reading == "bias-dominated"


def test_incoherence_undefined_without_errors():
    frame = pd.DataFrame({"variant": ["v"] * 4, "role": ["a"] * 4, "item": ["i", "i", "j", "j"], "outcome": [1.0] * 4})
    assert coh.coherence_by(frame, ["variant", "role"])[("v", "a")].incoherence is None


def test_glm_with_separation_falls_back_and_notes_it():
    rng = np.random.default_rng(0)
    rows = []
    for item in range(4):
        for level in ("low", "mid", "high"):
            for _ in range(10):
                y = 0.0 if level == "low" else rng.binomial(10, 0.7 if level == "mid" else 0.8) / 10
                rows.append({"item": f"i{item}", "factor_x": level, "factor_y": "same", "outcome": y})
    frame = pd.DataFrame(rows)
    out = Outcome("accuracy", "proportion", "accuracy", trials=10)
    result = fit_study(frame, out, ["factor_x", "factor_y"], {"factor_x": "high"}, 0.05)
    assert result is not None
    assert result.fit == "penalised (pseudo-counts)"
    assert any("separation" in n for n in result.notes)
    for term in result.terms:
        assert not term.estimable or (abs(term.coef) <= COEF_LIMIT and term.se is not None and term.se < 50)
    names = [t.name for t in result.terms]
    assert names == ["Intercept", "factor_x=low", "factor_x=mid"]
    low = result.terms[1]
    assert low.estimable and low.coef < -3  # strongly negative but finite


def test_glm_without_separation_is_maximum_likelihood_and_matches_rows():
    rng = np.random.default_rng(2)
    rows = [
        {"item": f"i{i}", "factor_x": lvl, "outcome": rng.binomial(10, p) / 10}
        for i in range(40) for lvl, p in (("a", 0.7), ("b", 0.4)) for _ in range(3)
    ]
    frame = pd.DataFrame(rows)
    out = Outcome("accuracy", "proportion", "accuracy", trials=10)
    result = fit_study(frame, out, ["factor_x"], {"factor_x": "a"}, 0.05)
    assert result is not None and result.fit == "maximum likelihood" and result.se == "clustered by item"
    # log-odds difference of the pooled rates
    pa = frame.loc[frame.factor_x == "a", "outcome"].mean()
    pb = frame.loc[frame.factor_x == "b", "outcome"].mean()
    expected = math.log(pb / (1 - pb)) - math.log(pa / (1 - pa))
    assert result.terms[1].coef == pytest.approx(expected, abs=1e-6)


def test_glm_constant_outcome_is_not_fitted():
    frame = pd.DataFrame({"item": ["i", "j"] * 5, "factor_x": ["a"] * 5 + ["b"] * 5, "outcome": [1.0] * 10})
    result = fit_study(frame, Outcome("accuracy", "binary", "accuracy"), ["factor_x"], {}, 0.05)
    assert result is not None and result.terms == [] and "nothing to explain" in result.notes[-1]


def test_exact_lattice_bootstrap_agrees_with_multinomial():
    rng = np.random.default_rng(5)
    items = np.repeat([f"i{j}" for j in range(6)], 30)
    a = rng.binomial(10, 0.7, len(items)) / 10
    b = rng.binomial(10, 0.5, len(items)) / 10
    pair = Paired.build(a, items, b, items)
    (lat,), _ = bootstrap_interval(pair, (0.05,), 20_000, rng_for("lattice"), scale=10)
    (mult,), _ = bootstrap_interval(pair, (0.05,), 20_000, rng_for("multinomial"), scale=None)
    assert lat == pytest.approx(mult, abs=0.006)
    assert lat[0] < pair.effect < lat[1]


def test_hoeffding_bound_is_a_conservative_p_value():
    pair = _pair([1.0] * 40, ["x"] * 40, [0.0] * 40, ["x"] * 40)
    bound, method = permutation_p(pair, rng_for("b"), 10_000, scale=None)
    assert method == "bound"
    assert bound == pytest.approx(2 * math.exp(-2 * 20**2 / 40))
    exact, method = permutation_p(pair, rng_for("b"), 10_000, scale=1)
    assert method == "exact"
    assert exact == pytest.approx(2 / math.comb(80, 40))
    assert exact <= bound < 1 / 10_001
