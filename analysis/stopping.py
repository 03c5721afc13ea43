"""The stopping rule of the sequential design: looks, the level of their intervals, and when a
variant stops (:func:`decide`). The design and its error control are described in
:mod:`beyond_episode.analysis.sequential`, which replays this rule on a run's data."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from beyond_episode.ablations.study import Study
from beyond_episode.analysis.effects import (
    Paired,
    bootstrap_interval,
    effect_method,
    rng_for,
    score_interval,
)
from beyond_episode.analysis.verdicts import CONTRADICTS, SUPPORTS, variant_verdict
from beyond_episode.errors import BepError

SEQUENTIAL_BOOT = 2000
"""Bootstrap replicates (``mean`` outcomes) of an interval at a look; raised for the tails."""


def look_schedule(maximum: int, first: int) -> list[int]:
    """Epochs of the looks: ``first``, doubling, then ``maximum``; a doubling that would leave less
    than half a step before ``maximum`` is dropped (4 to 144: 4, 8, 16, 32, 64, 144)."""
    if first < 1 or maximum < 1:
        raise BepError(f"looks need positive epochs (first {first}, maximum {maximum})")
    first = min(first, maximum)
    looks = []
    epoch = first
    while epoch < maximum:
        looks.append(epoch)
        epoch *= 2
    if looks and len(looks) > 1 and maximum < 1.5 * looks[-1]:
        looks.pop()
    looks.append(maximum)
    return looks


def look_level(alpha: float, k: int, looks: int) -> float:
    """The two-sided error rate of every interval at a look: ``alpha / (k L)``."""
    return alpha / (max(k, 1) * max(looks, 1))


METHODS = ("bonferroni", "betting")
"""Error control over the looks: Bonferroni over a fixed schedule (the design's), or the
anytime-valid betting confidence sequence (:mod:`.confseq`, measured against it)."""


def variant_interval(
    pair: Paired, study: Study, level: float, seed: object = 0, n_boot: int = SEQUENTIAL_BOOT
) -> tuple[float, float]:
    """The analyzer's effect interval of one variant at ``1 - level``, except that constant
    outcomes (every sample of both conditions the same value) get Newcombe's interval with one
    trial per sample instead of the exact [0, 0]: a run may not stop on a handful of samples
    that happen to agree."""
    scale = {"binary": 1, "proportion": study.outcome.trials}.get(study.outcome.type)
    if effect_method(study.outcome.type) == "bootstrap":
        (interval,), _ = bootstrap_interval(pair, (level,), n_boot, rng_for(seed, "sequential"), scale)
        return interval
    return score_interval(pair, (level,), int(scale or 1), exact_constant=False)[0]


def projected(pair: Paired, factor: int) -> Paired:
    """The variant's samples repeated ``factor`` times: the data of a later look whose
    outcomes go on as they are."""
    if factor <= 1:
        return pair
    return Paired(
        np.tile(pair.a, factor), np.tile(pair.a_item, factor),
        np.tile(pair.b, factor), np.tile(pair.b_item, factor), pair.items,
    )


FUTILITY_HEDGE = 0.5
"""How far from the current estimate the futility check looks for an effect that would settle a
prediction, as a share of the projected interval's widths."""


def reachable(
    sign: str, estimate: float, projection: tuple[float, float], margin: float, hedge: float = FUTILITY_HEDGE
) -> bool:
    """Whether a prediction can still be settled: some effect ``c`` within ``hedge`` times the
    projected interval's widths of the estimate, with those widths around it
    (``c - (estimate - low)``, ``c + (high - estimate)``), gives ``supports`` or ``contradicts``."""
    if not (math.isfinite(projection[0]) and math.isfinite(projection[1])):
        return True
    below, above = max(estimate - projection[0], 0.0), max(projection[1] - estimate, 0.0)
    low, high = estimate - hedge * below, estimate + hedge * above
    centres = {low, high, min(max(-margin + below, low), high), min(max(margin - above, low), high)}
    return any(
        variant_verdict(sign, (c - below, c + above), margin) in (SUPPORTS, CONTRADICTS) for c in centres
    )


def decide(
    study: Study, variant: str, pair: Paired, level: float, epoch: int, maximum: int, seed: object = 0
) -> tuple[bool, bool, str]:
    """At a look of ``epoch`` epochs out of ``maximum``: whether the variant stops, whether it is
    settled, and why in words (:func:`settled`, then futility by :func:`reachable`)."""
    interval = variant_interval(pair, study, level, seed=seed)
    done, why = settled(study, variant, interval)
    if done or epoch >= maximum:
        return done, done, why
    factor = max(1, round(maximum / epoch))
    projection = variant_interval(projected(pair, factor), study, level, seed=seed)
    open_ = open_predictions(study, variant, interval).values()
    if any(reachable(sign, pair.effect, projection, study.margin) for sign in open_):
        return False, False, why
    if interval[0] <= 0 <= interval[1] and reachable("0", pair.effect, projection, 0.0):
        return False, False, why + "; an effect may still show"
    return True, False, (
        f"{why}; none of them can be settled by {maximum} epochs "
        f"(projected interval [{projection[0]:+.3f}, {projection[1]:+.3f}])"
    )


def predictions(study: Study, variant: str) -> dict[str, str]:
    """Hypothesis -> predicted sign for a variant, for the hypotheses that predict it."""
    out = {}
    for h in study.hypotheses.values():
        pred = h.predictions.get(variant)
        if pred is not None and pred.sign != "?":
            out[h.id] = pred.sign
    return out


def open_predictions(study: Study, variant: str, interval: tuple[float, float]) -> dict[str, str]:
    """Hypothesis -> predicted sign for the variant's predictions the interval leaves inconclusive."""
    return {
        h: sign for h, sign in predictions(study, variant).items()
        if variant_verdict(sign, interval, study.margin) not in (SUPPORTS, CONTRADICTS)
    }


def settled(study: Study, variant: str, interval: tuple[float, float]) -> tuple[bool, str]:
    """Whether every prediction for the variant is supported or contradicted; and why, in words."""
    shown = f"[{interval[0]:+.3f}, {interval[1]:+.3f}]"
    open_ = open_predictions(study, variant, interval)
    if open_:
        return False, f"interval {shown} leaves {', '.join(open_)} inconclusive"
    verdicts = {h: variant_verdict(sign, interval, study.margin) for h, sign in predictions(study, variant).items()}
    if not verdicts:
        return True, "no hypothesis predicts it"
    parts = [f"{h} {v}" for h, v in verdicts.items()]
    return True, f"interval {shown}: " + ", ".join(parts)


@dataclass(frozen=True)
class Stop:
    """Where one variant stopped in a sequential run."""

    variant: str
    epoch: int
    """Epochs of the look whose data its verdicts use."""
    look: int
    """1-based index of that look."""
    settled: bool
    """False when the variant stopped or reached its last look with a verdict still open."""
    reason: str
    futile: bool = False
    """True when it stopped before its last look because no open verdict could be settled by it."""

    @property
    def stopped(self) -> bool:
        """Whether the variant gets no further epochs (settled, or futile)."""
        return self.settled or self.futile
