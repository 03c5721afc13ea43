"""Exclusions are visible: rates by reason, selective exclusion, and worst-case bounds.

* **Rates.** Each condition's excluded samples are counted by reason (``error`` for errored
  samples, the family's reason for unscored ones, ``no_score`` when none was stated).
* **Selective exclusion.** Per variant, Fisher's exact test of equal exclusion rates (every
  reason pooled) in ``a`` and ``b``, Holm-adjusted over the variants with samples in both
  conditions; a warning when the adjusted p is below the study's alpha. An exclusion that
  depends on the condition can make an effect by itself.
* **Worst-case bounds** (Manski). Had every excluded sample had any outcome in the outcome's
  range (``[0, 1]`` for rates, the observed min and max for ``mean`` outcomes), the effect on
  all samples would lie in ``[A_lo - B_hi, A_hi - B_lo]``, where ``A_lo`` is ``a``'s mean with
  every excluded sample at the minimum and ``A_hi`` at the maximum. A verdict *could flip* when
  the adjusted interval, moved by any shift of the effect within those bounds (its width kept),
  gets another verdict.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

import numpy as np
from scipy import stats

from .effects import holm
from .results import ConditionResult, StudyResult, VariantResult
from .verdicts import conclude, judge_all, variant_verdict

SHOWS_EFFECT = "shows_effect"
"""The key of :attr:`VariantResult.could_flip` for the effect excluding 0 or not."""


def _fisher(x_a: int, n_a: int, x_b: int, n_b: int) -> float:
    if x_a + x_b == 0 or x_a + x_b == n_a + n_b:
        return 1.0
    return float(stats.fisher_exact([[x_a, n_a - x_a], [x_b, n_b - x_b]], alternative="two-sided").pvalue)


def _pct(x: int, n: int) -> str:
    return f"{x} of {n} ({100 * x / n:.0f}%)" if n else "0 of 0"


def _holm(pvalues: list[float], alpha: float) -> list[float]:
    # nothing to adjust when every test is void (no exclusion anywhere): skip statsmodels
    return [1.0] * len(pvalues) if all(p >= 1.0 for p in pvalues) else holm(pvalues, alpha)


def _pair_rate_tests(
    result: StudyResult, counts: Callable[[ConditionResult], tuple[int, int]], what: str, why: str,
    verb: str = "",
) -> list[tuple[VariantResult, float, float]]:
    """Fisher's exact test of a rate between each pair's two conditions, Holm-adjusted across the
    pairs; a warning per variant whose adjusted p is below alpha. Returns (variant, p, Holm p)."""
    pairs = [v for v in result.variants if counts(v.a)[1] and counts(v.b)[1]]
    raw = [_fisher(*counts(v.a), *counts(v.b)) for v in pairs]
    adjusted = _holm(raw, result.alpha)
    for v, p, q in zip(pairs, raw, adjusted, strict=True):
        if q < result.alpha:
            result.warnings.append(
                f"{what} in variant {v.id}: a {verb}{_pct(*counts(v.a))}, b {_pct(*counts(v.b))} "
                f"(Fisher p = {p:.2g}, Holm p = {q:.2g} < {result.alpha:g}); {why}"
            )
    return list(zip(pairs, raw, adjusted, strict=True))


def selective_exclusion(result: StudyResult) -> None:
    """Test every pair's exclusion rates; set the p-values and add a warning per flagged variant."""
    for v, p, q in _pair_rate_tests(
        result, lambda c: (c.excluded, c.total), "selective exclusion",
        "the exclusions alone can make or hide an effect", verb="excludes ",
    ):
        v.exclusion_p, v.exclusion_p_holm = p, q


def awareness_difference(result: StudyResult) -> None:
    """Test every pair's evaluation-awareness rates; a warning per variant where they differ."""
    for v, p, q in _pair_rate_tests(
        result, lambda c: (c.aware, c.aware_n), "evaluation awareness differs",
        "knowing it is tested can explain an effect by itself",
    ):
        v.aware_p, v.aware_p_holm = p, q


def outcome_range(result: StudyResult, scored: np.ndarray) -> tuple[float, float] | None:
    """The outcomes an excluded sample could have had: [0, 1] for rates, observed range for means."""
    if result.study.outcome.type != "mean":
        return 0.0, 1.0
    if scored.size == 0:
        return None
    return float(np.min(scored)), float(np.max(scored))


def manski_bound(
    sum_a: float, n_a: int, excluded_a: int, sum_b: float, n_b: int, excluded_b: int, low: float, high: float
) -> tuple[float, float]:
    """Worst-case bounds of ``mean(a) - mean(b)`` over all samples, scored (``n``, outcome
    ``sum``) and excluded, had each excluded sample any outcome in ``[low, high]``."""
    a_all, b_all = n_a + excluded_a, n_b + excluded_b
    a_lo, a_hi = (sum_a + excluded_a * low) / a_all, (sum_a + excluded_a * high) / a_all
    b_lo, b_hi = (sum_b + excluded_b * low) / b_all, (sum_b + excluded_b * high) / b_all
    return a_lo - b_hi, a_hi - b_lo


def effect_bound(v: VariantResult, low: float, high: float) -> tuple[float, float] | None:
    """Worst-case bounds of a variant's effect (None without scored samples in both conditions)."""
    if not v.has_data:
        return None
    a, b = v.a, v.b
    return manski_bound(
        a.scored * float(a.estimate.mean), a.scored, a.excluded,
        b.scored * float(b.estimate.mean), b.scored, b.excluded, low, high,
    )


def _shifts(interval: tuple[float, float], bound: tuple[float, float], effect: float,
            edges: Iterable[float]) -> list[float]:
    """Shifts of the effect to try: the extremes, and either side of every point where an end
    of the moved interval crosses a verdict edge (verdicts are constant between them)."""
    d_lo, d_hi = bound[0] - effect, bound[1] - effect
    out = [d_lo, d_hi]
    eps = 1e-12
    for edge in edges:
        for end in interval:
            d = edge - end
            out += [x for x in (d - eps, d, d + eps) if d_lo <= x <= d_hi]
    return out


def _moved(interval: tuple[float, float], d: float) -> tuple[float, float]:
    return interval[0] + d, interval[1] + d


MAX_COMBINATIONS = 4096
"""Most combinations of flipping variants whose conclusions are enumerated."""


def worst_case(result: StudyResult, rng: tuple[float, float] | None) -> None:
    """Set every variant's bounds and reachable verdicts, the conclusions reachable within the
    bounds, and the result's robustness text."""
    result.outcome_range = rng
    margin = result.study.margin
    flips: list[str] = []
    states: dict[str, list[tuple[float, float]]] = {}
    for v in result.variants:
        if rng is None or v.interval is None or v.effect is None:
            continue
        v.bound = effect_bound(v, *rng)
        if v.bound is None:
            continue
        v.bound_interval = (v.interval[0] + v.bound[0] - v.effect, v.interval[1] + v.bound[1] - v.effect)
        moved = [_moved(v.interval, d) for d in _shifts(v.interval, v.bound, v.effect, (-margin, margin, 0.0))]
        distinct: dict[tuple[object, ...], tuple[float, float]] = {}
        for interval in moved:
            key = tuple(_verdicts(result, v.id, interval)) + (interval[0] > 0 or interval[1] < 0,)
            distinct.setdefault(key, interval)
        if len(distinct) > 1:
            states[v.id] = list(distinct.values())
        for h in result.hypotheses:
            original = h.per_variant.get(v.id)
            pred = result.study.hypotheses[h.id].predictions.get(v.id)
            if pred is None or original is None:
                continue
            reachable = {variant_verdict(pred.sign, interval, margin) for interval in moved}
            others = sorted(reachable - {original})
            if others:
                v.could_flip[h.id] = others
                flips.append(f"{v.id} for {h.id} ({original} → {'/'.join(others)})")
        if len({lo > 0 or hi < 0 for lo, hi in moved}) > 1:
            v.could_flip[SHOWS_EFFECT] = ["no effect" if v.shows_effect else "effect"]
            flips.append(f"{v.id} {'could lose' if v.shows_effect else 'could gain'} its effect")
    result.robustness = _robustness(result, flips, states)


def _verdicts(result: StudyResult, vid: str, interval: tuple[float, float]) -> list[str]:
    out = []
    for h in result.study.hypotheses.values():
        pred = h.predictions.get(vid)
        out.append("" if pred is None else variant_verdict(pred.sign, interval, result.study.margin))
    return out


def reachable_conclusions(result: StudyResult, states: dict[str, list[tuple[float, float]]]) -> set[str] | None:
    """Every conclusion some combination of the variants' moved intervals gives (None: too many)."""
    if not states:
        return {result.conclusion}
    combos = int(np.prod([len(x) for x in states.values()]))
    if combos > MAX_COMBINATIONS:
        return None
    base = {v.id: v.interval for v in result.variants}
    found = set()
    for choice in itertools.product(*states.values()):
        intervals = {**base, **dict(zip(states, choice, strict=True))}
        showing = [vid for vid, iv in intervals.items() if iv is not None and (iv[0] > 0 or iv[1] < 0)]
        code, _ = conclude(judge_all(result.study, intervals), showing, result.k)
        found.add(code)
    return found


def _robustness(result: StudyResult, flips: list[str], states: dict[str, list[tuple[float, float]]]) -> str:
    excluded = sum(c.excluded for v in result.variants for c in (v.a, v.b))
    result.conclusions_within_bounds = [result.conclusion]
    if not excluded:
        return "no sample is excluded; the worst-case bounds are the effects themselves"
    if not flips:
        return (
            "no verdict could flip within the worst-case bounds: the conclusion holds whatever outcomes "
            "the excluded samples had had"
        )
    conclusions = reachable_conclusions(result, states)
    result.conclusions_within_bounds = sorted(conclusions) if conclusions is not None else None
    text = f"{len(flips)} verdict(s) could flip within the worst-case bounds: " + "; ".join(flips)
    if conclusions is None:
        return text + "; too many combinations to say whether the conclusion could change"
    others = sorted(conclusions - {result.conclusion})
    if not others:
        return text + f"; the conclusion stays {result.conclusion} in every combination"
    return text + f"; the conclusion could become {', '.join(others)}"
