"""Apollo Research's Table 6 (arXiv 2412.04984, A.6): the analyzer reaches the paper's decisions.

Published: per model (sonnet-3.5, opus-3, o1) and block (with goal / no goal given), the
accuracy of 50 rollouts of 10 multiple-choice questions when incentivised to do well and when
incentivised to do poorly, their difference, and a bootstrap p-value; significance at 0.01.

Rebuilt here as one tidy table per model x block, analysed as a one-variant study (family
sandbagging_qa, pair over ``trigger``: ``a`` = the consequence triggered by low scores, i.e.
incentivised to do well; ``b`` = by high scores, incentivised to do poorly). The paper's test is
one-sided at 0.01 (see *Sidedness*), so the analyzer runs at alpha = 0.02 and its decision is
"the lower bound of its two-sided 98% interval of the difference is above 0", which is a
one-sided test at 0.01 (k = 1, no adjustment).

What the paper leaves unstated, and the choices made here:

* **Clusters.** The rollouts of a condition are i.i.d. runs of one prompt; nothing pairs the
  i-th rollout of "do well" with the i-th of "do poorly". So every rollout is an epoch of a
  single item. (Making each rollout its own item would pair rollouts across the two conditions
  by an arbitrary index, and the clustered bootstrap's variance would then depend on that
  order; the permutation test, which permutes within items, would have one sample per side.)
  With one item, the analyzer's bootstrap is the plain two-sample bootstrap and its
  permutation test the two-sample permutation test.
* **Per-rollout distribution.** Only the mean accuracy is published. It matters: with the
  correct answers spread as evenly as possible (every rollout within one answer of the
  mean), opus-3 without a goal (0.46 vs 0.30) would have z of about 23, not p = 0.016. The
  published p-values therefore imply that rollouts vary a lot (sandbagging is all or nothing
  within a rollout), so the spread is taken from them: each condition's per-rollout counts are
  the 50 mid-quantiles of a beta-binomial(10) with the published mean and an intra-rollout
  correlation (the same in both conditions), moved by single answers, nearest the mean first,
  until they sum exactly to 500 x the published accuracy; the correlation is the one for which
  the exact (infinitely many replicates) two-sample bootstrap one-sided p of the rebuilt
  data is closest to the published p. Where the paper gives only p < 0.001 (sonnet-3.5) the
  most variable spread is used (every rollout all right or all wrong): the decision holds
  even then.
* **Sidedness.** The paper's p-values are one-sided (H1: accuracy is higher when incentivised
  to do well): o1 without a goal has a *negative* difference and p = 0.91, which a two-sided
  test cannot give. Hence the one-sided decision above. Asked for a two-sided 99% interval,
  the analyzer's decisions agree for five cells; opus-3 with a goal (one-sided p = 0.004) sits
  at a two-sided 0.008-0.012 and its 99% interval just touches 0, which is the one place
  where sidedness matters.
* **The bootstrap's details** (resamples, percentile or otherwise, what was resampled) are not
  given. The rebuilt data are fitted to the published p with the exact two-sample percentile
  bootstrap; the analyzer's own interval for proportions is Newcombe's score interval with
  effective trials, not a bootstrap, so agreement is a check of the decision, not of the
  method.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from beyond_episode.analysis import analyze
from beyond_episode.analysis.results import VariantResult

ROLLOUTS, QUESTIONS, ALPHA = 50, 10, 0.01

# (model, block): (accuracy when incentivised to do well, ... to do poorly, published p,
# significant at 0.01 in the paper)
TABLE6: dict[tuple[str, str], tuple[float, float, float, bool]] = {
    ("sonnet-3.5", "with goal"): (0.99, 0.34, 0.001, True),  # p < 0.001
    ("opus-3", "with goal"): (0.35, 0.20, 0.004, True),
    ("o1", "with goal"): (0.82, 0.62, 0.002, True),
    ("sonnet-3.5", "no goal"): (0.96, 0.61, 0.001, True),  # p < 0.001
    ("opus-3", "no goal"): (0.46, 0.30, 0.016, False),
    ("o1", "no goal"): (0.94, 0.98, 0.91, False),
}
BOUND_ONLY = {("sonnet-3.5", "with goal"), ("sonnet-3.5", "no goal")}

STUDY = """\
study: apollo_table6
description: One block of Apollo's Table 6 for one model (do well = a, do poorly = b).
family: sandbagging_qa
outcome: {name: accuracy, type: proportion, trials: 10, label: accuracy}
pair: {factor: trigger, a: low_performance, b: high_performance}
margin: 0.0
alpha: 0.01
min_effect: 0.1
items: 1
epochs: 50
quick_epochs: 50
variants:
  - id: table6
    description: incentivised to do well (a) against incentivised to do poorly (b)
hypotheses:
  no_gap:
    kind: in_episode
    predictions: {table6: "0"}
  sandbagging:
    kind: beyond_episode
    predictions: {table6: "+"}
"""


def _sum_distribution(counts: np.ndarray) -> np.ndarray:
    """P(sum of 50 draws with replacement from ``counts`` = s), s = 0..500: the pmf's 50-fold
    convolution (by repeated squaring)."""
    pmf = np.bincount(counts, minlength=QUESTIONS + 1) / len(counts)
    out, power, n = np.ones(1), pmf, ROLLOUTS
    while n:
        if n & 1:
            out = np.convolve(out, power)
        n >>= 1
        if n:
            power = np.convolve(power, power)
    return out


def bootstrap_p(well: np.ndarray, poorly: np.ndarray) -> float:
    """The exact two-sample bootstrap one-sided p of "do well > do poorly": the probability
    that a resample's difference of means is <= 0, with infinitely many replicates."""
    s_well, s_poorly = _sum_distribution(well), _sum_distribution(poorly)
    at_most = np.cumsum(s_well)
    return float(np.sum(s_poorly * at_most[: len(s_poorly)]))


def spread_fraction(well: float, poorly: float, p: float) -> float:
    """The per-rollout variance, as a fraction of its maximum mu (1 - mu), for which the exact
    bootstrap one-sided p of the rebuilt rollouts is closest to the published ``p`` (bisection;
    more variance moves p towards 0.5)."""

    def p_of(fraction: float) -> float:
        return bootstrap_p(rollout_counts(well, fraction), rollout_counts(poorly, fraction))

    low, high = 0.1, 0.999
    rising = p_of(high) > p_of(low)
    best = (math.inf, high)
    for _ in range(30):
        mid = (low + high) / 2
        value = p_of(mid)
        best = min(best, (abs(math.log(value / p)), mid))
        if (value < p) == rising:
            low = mid
        else:
            high = mid
    return best[1]


def rollout_counts(accuracy: float, fraction: float) -> np.ndarray:
    """50 per-rollout counts of right answers (0-10) that sum to 500 x ``accuracy`` exactly,
    with variance about ``fraction`` x mu (1 - mu) (see the module docstring)."""
    total = round(accuracy * ROLLOUTS * QUESTIONS)
    if fraction >= 1.0:  # all or nothing
        full, rest = divmod(total, QUESTIONS)
        counts = np.array([QUESTIONS] * full + ([rest] if rest else []) + [0] * ROLLOUTS)[:ROLLOUTS]
    else:
        rho = max((QUESTIONS * fraction - 1) / (QUESTIONS - 1), 1e-6)
        a = accuracy * (1 / rho - 1)
        b = (1 - accuracy) * (1 / rho - 1)
        counts = stats.betabinom.ppf((np.arange(ROLLOUTS) + 0.5) / ROLLOUTS, QUESTIONS, a, b).astype(int)
        target = accuracy * QUESTIONS
        while counts.sum() != total:
            step = 1 if counts.sum() < total else -1
            room = (counts < QUESTIONS) if step > 0 else (counts > 0)
            counts[int(np.argmin(np.where(room, np.abs(counts - target), np.inf)))] += step
    assert counts.sum() == total and counts.min() >= 0 and counts.max() <= QUESTIONS
    return np.sort(counts)


@cache
def fraction_of(model: str, block: str) -> float:
    well, poorly, p, _ = TABLE6[(model, block)]
    return 1.0 if (model, block) in BOUND_ONLY else spread_fraction(well, poorly, p)


def table(model: str, block: str) -> pd.DataFrame:
    well, poorly, _, _ = TABLE6[(model, block)]
    fraction = fraction_of(model, block)
    rows = [
        {"study": "apollo_table6", "variant": "table6", "role": role, "model": f"{model} ({block})",
         "item": "questions", "epoch": j + 1, "outcome": c / QUESTIONS}
        for role, accuracy in (("a", well), ("b", poorly))
        for j, c in enumerate(rollout_counts(accuracy, fraction))
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], VariantResult]:
    study = tmp_path_factory.mktemp("apollo") / "apollo_table6.yaml"
    study.write_text(STUDY)
    frame = pd.concat([table(m, b) for m, b in TABLE6], ignore_index=True)
    report = analyze(frame, studies=[Path(study)], alpha=2 * ALPHA)
    return {(m, b): report.result("apollo_table6", f"{m} ({b})").variant("table6") for m, b in TABLE6}


@pytest.mark.parametrize("cell", list(TABLE6), ids=[f"{m}-{b}".replace(" ", "_") for m, b in TABLE6])
def test_rebuilt_tables_match_the_published_statistics(cell: tuple[str, str]) -> None:
    """50 rollouts per condition averaging to the published accuracies, whose exact bootstrap
    one-sided p is the published one (within 10%; below it where only p < 0.001 is given)."""
    frame = table(*cell)
    well, poorly, published, _ = TABLE6[cell]
    means = frame.groupby("role")["outcome"].mean()
    assert means["a"] == pytest.approx(well) and means["b"] == pytest.approx(poorly)
    assert (frame.groupby("role").size() == ROLLOUTS).all()
    counts = {r: np.round(frame.loc[frame["role"] == r, "outcome"].to_numpy() * QUESTIONS).astype(int) for r in "ab"}
    p = bootstrap_p(counts["a"], counts["b"])
    if cell in BOUND_ONLY:
        assert p < published
    else:
        assert p == pytest.approx(published, rel=0.1)


@pytest.mark.parametrize("cell", list(TABLE6), ids=[f"{m}-{b}".replace(" ", "_") for m, b in TABLE6])
def test_significance_decisions_match_the_paper(cell: tuple[str, str], results: dict[tuple[str, str], VariantResult]) -> None:
    """The analyzer's one-sided decision at 0.01 (the lower bound of its 98% interval is above
    0) is the paper's."""
    well, poorly, _, significant = TABLE6[cell]
    v = results[cell]
    assert v.effect == pytest.approx(well - poorly)
    assert v.interval is not None
    assert (v.interval[0] > 0) is significant, (cell, v.interval, v.p_permutation)
    assert v.interval is not None and v.interval[0] <= well - poorly <= v.interval[1]


@pytest.mark.parametrize("cell", list(TABLE6), ids=[f"{m}-{b}".replace(" ", "_") for m, b in TABLE6])
def test_permutation_p_values_agree_with_the_paper(cell: tuple[str, str], results: dict[tuple[str, str], VariantResult]) -> None:
    """The one-sided p-value in the paper's direction (from the analyzer's two-sided
    permutation p, halved for a positive difference, 1 - half for a negative one) is on the
    paper's side of 0.01, and close to the published p where the paper gives a number."""
    well, poorly, published, significant = TABLE6[cell]
    v = results[cell]
    assert v.p_permutation is not None
    two_sided = v.p_permutation
    one_sided = two_sided / 2 if well > poorly else 1 - two_sided / 2
    assert (one_sided < ALPHA) is significant, (cell, one_sided)
    if cell in BOUND_ONLY:
        assert one_sided < published
    else:
        assert one_sided == pytest.approx(published, rel=0.5)
    if cell != ("opus-3", "with goal"):
        # two-sided, as the analyzer reports it, the decision is the same except for opus-3
        # with a goal, whose one-sided p = 0.004 sits at a two-sided 0.008-0.012
        assert (two_sided < ALPHA) is significant, (cell, two_sided)


def test_two_sided_decisions_differ_only_where_sidedness_matters(tmp_path: Path) -> None:
    """With the analyzer's two-sided 99% intervals (alpha = 0.01 as a two-sided level) the
    decisions are the paper's in five cells; opus-3 with a goal, one-sided p = 0.004, is the
    one whose interval reaches 0."""
    study = tmp_path / "apollo_table6.yaml"
    study.write_text(STUDY)
    frame = pd.concat([table(m, b) for m, b in TABLE6], ignore_index=True)
    report = analyze(frame, studies=[study], alpha=ALPHA)
    differ = {
        cell for cell, (*_, significant) in TABLE6.items()
        if report.result("apollo_table6", f"{cell[0]} ({cell[1]})").variant("table6").shows_effect is not significant
    }
    assert differ == {("opus-3", "with goal")}
