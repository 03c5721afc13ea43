"""The epochs per condition a study needs for its verdicts (``bep power``).

A verdict that rules out an in-episode hypothesis needs a variant whose effect interval lies
wholly outside that hypothesis's predicted region; for the usual prediction "0" (|effect| <=
margin) that is an interval wholly above the margin. This module computes, analytically, the
epochs per condition and item that give that event probability ``power`` when the variant's
true effect is ``effect`` (default: the study's ``min_effect``).

Model (normal approximation to the analyzer's interval), with ``I`` items, ``m`` epochs
(samples per item and condition) and ``V = var_a + var_b`` the per-sample outcome variances of
the two conditions:

* the estimate ``mean(a) - mean(b)`` of the effect on the study's items has
  ``SE^2 = V / (I m)`` (the items are fixed by the study; item differences in the outcome are
  strata and only make the variance smaller than ``V`` says);
* the analyzer's verdict interval (Newcombe's score interval with effective trials, see
  :mod:`beyond_episode.analysis.effects`) at ``1 - alpha/k`` (Bonferroni over the study's
  ``k`` variants) is about ``estimate +- q * SE`` with ``q`` the ``1 - alpha/(2k)`` quantile of
  ``t`` with ``I (m - 1)`` degrees of freedom, the analyzer's small-sample correction;
* ``power = P(lower bound > margin) = Phi((effect - margin) / SE - q)``, and the epochs are the
  fewest whose power reaches ``power`` (a search over whole epochs).

Default per-sample variance: the largest outcomes in [0, 1] can have. An outcome with mean
``mu`` has variance at most ``mu (1 - mu)`` (samples that are all 0 or all 1), and two
conditions whose means differ by ``effect`` have ``var_a + var_b <= 0.5 - effect^2 / 2``
(means ``0.5 +- effect / 2``). For a proportion of ``trials`` 0/1 trials that variance splits
into at most ``0.25 / trials`` within a sample (binomial) plus the rest between samples (a
sample either does the behaviour or not). ``--sd`` replaces it with a per-sample standard
deviation measured in a pilot run; ``mean`` outcomes need ``--sd``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scipy.stats import norm, t

from beyond_episode.ablations.study import Study, load_study
from beyond_episode.errors import BepError

BOUND_VARIANCE = 0.25
"""The largest variance of an outcome in [0, 1]."""


def bound_variance(effect: float) -> float:
    """The largest per-condition variance of outcomes in [0, 1] whose two conditions' means
    differ by ``effect``: ``mu (1 - mu)`` at ``mu = 0.5 +- effect / 2``."""
    return BOUND_VARIANCE - min(effect, 1.0) ** 2 / 4


MAX_EPOCHS = 1_000_000


@dataclass(frozen=True)
class PowerPlan:
    """The epochs a study needs, and every number and assumption behind them."""

    study: Study
    effect: float
    power: float
    alpha: float
    k: int
    items: int
    var_a: float
    var_b: float
    epochs: int
    variance_source: str
    assumptions: list[str] = field(default_factory=list)

    @property
    def level(self) -> float:
        """The confidence level of the verdict intervals, ``1 - alpha/k``."""
        return 1.0 - self.alpha / self.k

    @property
    def samples(self) -> int:
        """Samples per condition: ``items * epochs``."""
        return self.items * self.epochs

    def power_at(self, epochs: int) -> float:
        """The power of this plan's design with ``epochs`` epochs instead."""
        return power_of(self.effect, self.study.margin, self.alpha, self.k, self.items, epochs, self.var_a + self.var_b)


def quantile(alpha: float, k: int, items: int, epochs: float) -> float:
    """The multiplier of the SE in a two-sided ``1 - alpha/k`` interval: the ``t`` quantile with
    ``items (epochs - 1)`` degrees of freedom (the normal one when there are none)."""
    df = items * (epochs - 1)
    p = 1.0 - alpha / (2.0 * k)
    return float(norm.ppf(p) if df < 1 or math.isinf(df) else t.ppf(p, df))


def standard_error(items: int, epochs: float, var_sum: float) -> float:
    """SE of ``mean(a) - mean(b)`` over ``items`` paired items with ``epochs`` samples each."""
    return math.sqrt(var_sum / (items * epochs))


def power_of(effect: float, margin: float, alpha: float, k: int, items: int, epochs: float, var_sum: float) -> float:
    """P(the ``1 - alpha/k`` interval lies wholly above ``margin``) when the true effect is ``effect``."""
    se = standard_error(items, epochs, var_sum)
    if se == 0.0:
        return 1.0 if effect > margin else 0.0
    return float(norm.cdf((effect - margin) / se - quantile(alpha, k, items, epochs)))


def epochs_needed(
    effect: float, margin: float, alpha: float, k: int, items: int, power: float, var_sum: float
) -> int:
    """The fewest epochs per condition and item whose power reaches ``power``."""
    if effect <= margin:
        raise BepError(f"the effect ({effect:g}) must exceed the study's margin ({margin:g}) to be detectable")
    if var_sum == 0:
        return 1

    def enough(epochs: float) -> bool:
        return power_of(effect, margin, alpha, k, items, epochs, var_sum) >= power

    high = 1
    while not enough(high):
        high *= 2
        if high > MAX_EPOCHS:
            raise BepError(f"the study would need more than {MAX_EPOCHS:,} epochs per condition")
    low = high // 2  # not enough (or 0)
    while high - low > 1:
        mid = (low + high) // 2
        if enough(mid):
            high = mid
        else:
            low = mid
    return high


def plan(
    study: Study | str,
    *,
    effect: float | None = None,
    power: float = 0.8,
    alpha: float | None = None,
    items: int | None = None,
    sd: float | tuple[float, float] | None = None,
) -> PowerPlan:
    """The epochs ``study`` needs for power ``power`` at ``effect`` (default ``min_effect``).

    ``sd`` is the per-sample standard deviation of the outcome (one value for both conditions,
    or ``(sd_a, sd_b)``); default: the bound 0.5 (variance 0.25) for binary and proportion
    outcomes.
    """
    loaded = study if isinstance(study, Study) else load_study(study)
    effect = float(loaded.min_effect if effect is None else effect)
    level = float(loaded.alpha if alpha is None else alpha)
    n_items = int(loaded.items if items is None else items)
    if not 0 < power < 1:
        raise BepError(f"--power must be between 0 and 1 (got {power:g})")
    if not 0 < level <= 0.5:
        raise BepError(f"--alpha must be in (0, 0.5] (got {level:g})")
    if n_items < 1:
        raise BepError(f"--items must be a positive integer (got {n_items})")
    if effect <= 0:
        raise BepError(f"--effect must be positive (got {effect:g})")
    k = len(loaded.variants)
    outcome = loaded.outcome
    if sd is None:
        if outcome.type == "mean":
            raise BepError(
                f"study '{loaded.id}' has a 'mean' outcome ('{outcome.name}'), whose variance has no bound: give --sd"
            )
        var_a = var_b = bound_variance(effect)
        bound = (
            f"{var_a:.4g} per sample in each condition, the largest outcomes in [0, 1] can have when the two "
            f"conditions' means differ by {effect:g} (mu (1 - mu) at mu = 0.5 +- {effect / 2:g})"
        )
        if outcome.type == "proportion" and outcome.trials > 1:
            within = BOUND_VARIANCE / outcome.trials
            source = (
                f"{bound}: for a proportion of {outcome.trials} trials, up to {within:.3g} within a sample "
                f"(binomial) plus the rest between samples (samples that either do the behaviour or not)"
            )
        else:
            source = f"{bound}: 0/1 outcomes"
    else:
        sd_a, sd_b = (sd, sd) if isinstance(sd, (int, float)) else sd
        if sd_a < 0 or sd_b < 0:
            raise BepError("--sd must be >= 0")
        var_a, var_b = float(sd_a) ** 2, float(sd_b) ** 2
        source = f"per-sample standard deviation {sd_a:g} in a and {sd_b:g} in b (given)"
    epochs = epochs_needed(effect, loaded.margin, level, k, n_items, power, var_a + var_b)
    q = quantile(level, k, n_items, epochs)
    assumptions = [
        f"effect = mean(a) - mean(b) on the study's {n_items} items; the verdict interval is two-sided at "
        f"1 - {level:g}/{k} = {1 - level / k:.5f} (Bonferroni over the study's {k} variants, as the analyzer's "
        f"verdicts): about estimate +- q SE, q = {q:.3f} (t quantile with I (m - 1) degrees of freedom)",
        f"power = P(interval wholly above the margin {loaded.margin:g}) = Phi((effect - margin)/SE - q); "
        "this is what contradicts a '0' prediction (the opposite side is ignored)",
        f"outcome variance: {source}",
        f"SE^2 = (var_a + var_b)/(I m) with I = {n_items} items and m epochs per condition and item",
        "normal approximation: with few samples per condition the analyzer's score interval is asymmetric, "
        "so plans of a few epochs are approximate",
    ]
    return PowerPlan(loaded, effect, power, level, k, n_items, var_a, var_b, epochs, source, assumptions)


def render(p: PowerPlan) -> str:
    """The command's output: the answer, then the assumptions and the power at other epochs."""
    s = p.study
    lines = [
        f"{s.id}: {p.epochs} epochs per condition and item ({p.samples} samples per condition over {p.items} items)",
        f"  for power {p.power:g} that a variant with true effect {p.effect:g} has its {p.level:.5f} interval "
        f"wholly above the margin {s.margin:g}",
        "",
        "assumptions:",
        *[f"  - {a}" for a in p.assumptions],
        "",
        "power at other epochs (same assumptions):",
    ]
    shown = sorted({s.quick_epochs, s.epochs, p.epochs, max(1, p.epochs // 2), p.epochs * 2})
    for e in shown:
        tags = [t for t, v in (("quick_epochs", s.quick_epochs), ("declared epochs", s.epochs), ("needed", p.epochs)) if v == e]
        note = f"  ({', '.join(tags)})" if tags else ""
        lines.append(f"  {e:>6} epochs: {p.power_at(e):.3f}{note}")
    return "\n".join(lines)
