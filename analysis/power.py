"""``bep power STUDY``: the epochs per condition a study needs for its verdicts.

A verdict that rules out an in-episode hypothesis needs a variant whose effect interval lies
wholly outside that hypothesis's predicted region; for the usual prediction "0" (|effect| <=
margin) that is an interval wholly above the margin. This module computes, analytically, the
epochs per condition and item that give that event probability ``power`` when the variant's
true effect is ``effect`` (default: the study's ``min_effect``).

Model (normal approximation to the analyzer's interval), with ``I`` items, ``m`` epochs
(samples per item and condition), ``V = var_a + var_b`` the per-sample outcome variances of the
two conditions and ``tau`` (``--item-sd``) the spread across items of the item-level effect
(an item x condition interaction; item main effects cancel in the pairing):

* the estimate ``mean(a) - mean(b)`` has ``SE^2 = tau^2 / I + V / (I m)``;
* the analyzer's verdict interval is its clustered two-stage bootstrap at ``1 - alpha/k``
  (Bonferroni over the study's ``k`` variants): about ``estimate +- z * SE_boot`` with
  ``z = z_{1 - alpha/(2k)}`` and the two-stage bootstrap variance
  ``SE_boot^2 = ((I - 1)/I) (tau^2 + V/m) / I + ((m - 1)/m) V / (I m)``. Resampling the items
  already carries the within-item noise, and resampling the samples within them adds it
  again, so with few, similar items the interval is wider than ``z * SE``: about
  ``sqrt((I - 1)/I + 1) = 1.34`` times for 5 items (measured: 1.28-1.29 on the reference
  subjects at 10 and 143 epochs);
* ``power = P(lower bound > margin) = Phi((effect - margin) / SE - z * SE_boot / SE)``, and the
  epochs are the fewest whose power reaches ``power`` (a search over whole epochs).

Default per-sample variance: the largest outcomes in [0, 1] can have. An outcome with mean
``mu`` has variance at most ``mu (1 - mu)`` (samples that are all 0 or all 1), and two
conditions whose means differ by ``effect`` have ``var_a + var_b <= 0.5 - effect^2 / 2``
(means ``0.5 +- effect / 2``). For a proportion of ``trials`` 0/1 trials that variance splits
into at most ``0.25 / trials`` within a sample (binomial) plus the rest between samples (a
sample either does the behaviour or not). ``--sd`` replaces it with a per-sample standard
deviation measured in a pilot run; ``mean`` outcomes need ``--sd``.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field

from scipy.stats import norm

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
    item_sd: float
    epochs: int
    variance_source: str
    assumptions: list[str] = field(default_factory=list)
    epochs_one_stage: int = 0
    """The epochs an interval with the estimate's own SE (no two-stage widening) would need."""

    @property
    def level(self) -> float:
        """The confidence level of the verdict intervals, ``1 - alpha/k``."""
        return 1.0 - self.alpha / self.k

    @property
    def z(self) -> float:
        return z_interval(self.alpha, self.k)

    @property
    def samples(self) -> int:
        """Samples per condition: ``items * epochs``."""
        return self.items * self.epochs

    def power_at(self, epochs: int) -> float:
        """The power of this plan's design with ``epochs`` epochs instead."""
        return power_of(
            self.effect, self.study.margin, self.alpha, self.k, self.items, epochs, self.var_a + self.var_b, self.item_sd
        )

    def power_one_stage(self, epochs: int) -> float:
        """The power an interval with the estimate's own SE would have."""
        return power_of(
            self.effect, self.study.margin, self.alpha, self.k, self.items, epochs, self.var_a + self.var_b,
            self.item_sd, analyzer_width=False,
        )


def z_interval(alpha: float, k: int) -> float:
    """The normal quantile of a two-sided ``1 - alpha/k`` interval."""
    return float(norm.ppf(1.0 - alpha / (2.0 * k)))


def standard_error(items: int, epochs: float, var_sum: float, item_sd: float = 0.0) -> float:
    """SE of ``mean(a) - mean(b)`` over ``items`` paired items with ``epochs`` samples each."""
    return math.sqrt(item_sd**2 / items + var_sum / (items * epochs))


def bootstrap_error(items: int, epochs: float, var_sum: float, item_sd: float = 0.0) -> float:
    """The SE the analyzer's two-stage clustered bootstrap gives the same estimate (its
    interval's half-width over ``z``): items resampled, then samples within items."""
    first = (items - 1) / items * (item_sd**2 + var_sum / epochs) / items
    second = (epochs - 1) / epochs * var_sum / (items * epochs)
    return math.sqrt(first + second)


def power_of(
    effect: float,
    margin: float,
    alpha: float,
    k: int,
    items: int,
    epochs: float,
    var_sum: float,
    item_sd: float = 0.0,
    analyzer_width: bool = True,
) -> float:
    """P(the ``1 - alpha/k`` interval lies wholly above ``margin``) when the true effect is
    ``effect``. ``analyzer_width=False`` gives the interval the estimate's own SE instead of
    the two-stage bootstrap's (what a one-stage interval would have)."""
    se = standard_error(items, epochs, var_sum, item_sd)
    if se == 0.0:
        return 1.0 if effect > margin else 0.0
    width = bootstrap_error(items, epochs, var_sum, item_sd) / se if analyzer_width else 1.0
    return float(norm.cdf((effect - margin) / se - z_interval(alpha, k) * width))


def epochs_needed(
    effect: float,
    margin: float,
    alpha: float,
    k: int,
    items: int,
    power: float,
    var_sum: float,
    item_sd: float = 0.0,
    analyzer_width: bool = True,
) -> int:
    """The fewest epochs per condition and item whose power reaches ``power``."""
    if effect <= margin:
        raise BepError(f"the effect ({effect:g}) must exceed the study's margin ({margin:g}) to be detectable")
    if var_sum == 0 and item_sd == 0:
        return 1

    def enough(epochs: float) -> bool:
        return power_of(effect, margin, alpha, k, items, epochs, var_sum, item_sd, analyzer_width) >= power

    if not enough(math.inf if var_sum else 1):
        raise BepError(
            f"with {items} items and an item spread of {item_sd:g}, no number of epochs reaches power {power:g}; use more items"
        )
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
    item_sd: float = 0.0,
) -> PowerPlan:
    """The epochs ``study`` needs for power ``power`` at ``effect`` (default ``min_effect``).

    ``sd`` is the per-sample standard deviation of the outcome (one value for both conditions,
    or ``(sd_a, sd_b)``); default: the bound 0.5 (variance 0.25) for binary and proportion
    outcomes. ``item_sd`` is the spread across items of the item-level effect.
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
    if item_sd < 0:
        raise BepError(f"--item-sd must be >= 0 (got {item_sd:g})")
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
    epochs = epochs_needed(effect, loaded.margin, level, k, n_items, power, var_a + var_b, item_sd)
    one_stage = epochs_needed(effect, loaded.margin, level, k, n_items, power, var_a + var_b, item_sd, analyzer_width=False)
    z = z_interval(level, k)
    widening = bootstrap_error(n_items, epochs, var_a + var_b, item_sd) / standard_error(n_items, epochs, var_a + var_b, item_sd)
    assumptions = [
        f"effect = mean(a) - mean(b); the verdict interval is two-sided at 1 - {level:g}/{k} = {1 - level / k:.5f} "
        f"(Bonferroni over the study's {k} variants, as the analyzer's verdicts): estimate +- {z:.3f} SE_boot",
        f"power = P(interval wholly above the margin {loaded.margin:g}) = Phi((effect - margin)/SE - {z:.3f} SE_boot/SE); "
        "this is what contradicts a '0' prediction (the opposite side is ignored)",
        f"outcome variance: {source}",
        f"SE^2 = item_sd^2/I + (var_a + var_b)/(I m) with I = {n_items} paired items, m epochs and item_sd = {item_sd:g} "
        "(no item x condition interaction unless --item-sd is given; item main effects cancel in the pairing)",
        "SE_boot: the analyzer's two-stage clustered bootstrap (items, then samples within items) counts the "
        f"within-item noise twice, so its interval is {widening:.2f} x wider than +- z SE here; an interval with the "
        f"estimate's own SE would need {one_stage} epochs",
        "normal approximation: with few samples per condition the percentile bootstrap is skewed and undercovers, "
        "so plans of a few epochs are optimistic",
    ]
    return PowerPlan(
        loaded, effect, power, level, k, n_items, var_a, var_b, item_sd, epochs, source, assumptions, one_stage
    )


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``power`` command's arguments to ``parser``."""
    parser.description = (
        "Epochs per condition (per item) a study needs so that a variant whose true effect is EFFECT "
        "contradicts a '0' prediction (its study-wide interval lies wholly above the margin) with the given power."
    )
    parser.add_argument("study", metavar="STUDY", help="shipped study name or study file")
    parser.add_argument("--effect", type=float, default=None, help="true effect to detect (default: the study's min_effect)")
    parser.add_argument("--power", type=float, default=0.8, help="required power (default: 0.8)")
    parser.add_argument("--alpha", type=float, default=None, help="study-wide error rate (default: the study's alpha)")
    parser.add_argument("--items", type=int, default=None, help="items per condition (default: the study's items)")
    parser.add_argument(
        "--sd", type=float, default=None,
        help="per-sample standard deviation of the outcome in each condition, e.g. from a pilot run "
        "(default: the bound 0.5 for rates)",
    )
    parser.add_argument("--item-sd", type=float, default=0.0, help="spread across items of the item-level effect (default: 0)")


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


def run(args: argparse.Namespace) -> int:
    """Run ``bep power``; bad input raises :class:`BepError`."""
    result = plan(args.study, effect=args.effect, power=args.power, alpha=args.alpha, items=args.items, sd=args.sd, item_sd=args.item_sd)
    print(render(result))
    return 0
