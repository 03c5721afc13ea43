"""A sequential design: looks at growing epochs, and a variant stops once its verdicts are settled.

* **Looks.** Epochs ``e_1 < ... < e_L`` per condition and item (:func:`look_schedule`: doubling
  from the first look, the last one the maximum).
* **Stopping rule.** At look ``j`` a variant whose every prediction (every hypothesis that
  predicts ``+``, ``0`` or ``-`` for it) has the verdict ``supports`` or ``contradicts`` stops:
  its conditions get no further epochs (*settled*).
* **Futility.** A variant also stops when none of its open predictions can be settled by the
  last look (:func:`reachable`): its samples so far, repeated up to the maximum epochs, give the
  interval the last look would have if the outcomes went on as they are; the variant stops
  when no effect within half that projected interval's widths of the estimate, carrying those
  widths, would settle any open prediction, nor show an effect (an interval without 0) where
  the current one does not. The others go on to the next look. Which looks stop what cannot change the error
  control below, only the samples used and the power.
* **Error control: Bonferroni over the looks.** Every interval a look computes is at level
  ``1 - alpha / (k L)``: ``k`` variants times ``L`` looks, so all ``k L`` intervals cover their true
  effects together with probability at least ``1 - alpha``, whatever the looks decide. A
  variant's final interval is the one of the look where it stopped (or of the last look it
  reached), one of those ``k L``, so the bound of ``METHODOLOGY.md`` on a false
  ``beyond_episode`` holds for the sequential run as it does for a fixed one.
* **Replay.** The stopping epochs follow from the data alone (:func:`replay`): the report of a
  sequential run recomputes them from its logs, truncates every variant to the epochs of its
  stopping look, and analyses that at ``alpha / L``. The samples a run made beyond a variant's
  stopping look (started before the look was complete) are kept in the logs but not used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

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

if TYPE_CHECKING:
    from beyond_episode.analysis.results import Report, StudyResult

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
    open_ = {
        h: sign for h, sign in predictions(study, variant).items()
        if variant_verdict(sign, interval, study.margin) not in (SUPPORTS, CONTRADICTS)
    }
    factor = max(1, round(maximum / epoch))
    projection = variant_interval(projected(pair, factor), study, level, seed=seed)
    if any(reachable(sign, pair.effect, projection, study.margin) for sign in open_.values()):
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


def settled(study: Study, variant: str, interval: tuple[float, float]) -> tuple[bool, str]:
    """Whether every prediction for the variant is supported or contradicted; and why, in words."""
    verdicts = {h: variant_verdict(sign, interval, study.margin) for h, sign in predictions(study, variant).items()}
    shown = f"[{interval[0]:+.3f}, {interval[1]:+.3f}]"
    open_ = [h for h, v in verdicts.items() if v not in (SUPPORTS, CONTRADICTS)]
    if open_:
        return False, f"interval {shown} leaves {', '.join(open_)} inconclusive"
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


def _pair(rows: pd.DataFrame) -> Paired | None:
    a = rows[rows["role"] == "a"]
    b = rows[rows["role"] == "b"]
    if a.empty or b.empty:
        return None
    return Paired.build(
        a["outcome"].to_numpy(float), a["item"].astype(str).to_numpy(),
        b["outcome"].to_numpy(float), b["item"].astype(str).to_numpy(),
    )


def _scored(frame: pd.DataFrame) -> pd.DataFrame:
    ok = frame["outcome"].notna()
    if "status" in frame.columns:
        ok &= frame["status"].astype(str) == "ok"
    return frame[ok]


def betting_interval(rows: pd.DataFrame, level: float) -> tuple[float, float] | None:
    """The betting confidence sequence of a variant's effect at ``1 - level`` over its samples
    paired by item and epoch in the order they were run (outcomes in [0, 1])."""
    from beyond_episode.analysis.confseq import difference_cs

    a = rows[rows["role"] == "a"].sort_values(["epoch", "item"])
    b = rows[rows["role"] == "b"].sort_values(["epoch", "item"])
    paired = a.merge(b, on=["epoch", "item"], suffixes=("_a", "_b")).dropna(subset=["outcome_a", "outcome_b"])
    if paired.empty:
        return None
    return difference_cs(paired["outcome_a"].to_numpy(float), paired["outcome_b"].to_numpy(float), level)


def replay(
    frame: pd.DataFrame,
    study: Study,
    looks: Sequence[int],
    alpha: float,
    cells: Mapping[str, int] | None = None,
    method: str = "bonferroni",
) -> dict[str, Stop]:
    """The stopping look of every variant with data in one study's rows for one model.

    A look counts for a variant when its rows reach the look's epochs in every condition and
    item (``cells``: variant -> conditions x items expected, default what the rows show at
    epoch 1); the variant stops at the first counted look where :func:`decide` stops it,
    otherwise at the last counted look. ``alpha`` is the study-wide rate; every look uses
    :func:`look_level`.
    """
    frame = frame.assign(variant=frame["variant"].astype(str), role=frame["role"].astype(str))
    epochs = frame["epoch"].astype(int)
    groups = {v: g for v, g in frame.assign(epoch=epochs).groupby("variant", sort=False)}
    variants = [v for v in study.variants if v in groups]
    k = len(variants)
    if method not in METHODS:
        raise BepError(f"unknown error control '{method}' (choose from {', '.join(METHODS)})")
    level = look_level(alpha, k, len(looks)) if method == "bonferroni" else alpha / max(k, 1)
    stops: dict[str, Stop] = {}
    for vid in variants:
        rows = groups[vid]
        expected = (cells or {}).get(vid) or int(rows[rows["epoch"] == 1][["role", "item"]].drop_duplicates().shape[0])
        last: Stop | None = None
        for j, epoch in enumerate(looks, start=1):
            upto = rows[rows["epoch"] <= epoch]
            if len(upto) < expected * epoch:
                break
            if method == "betting":
                found = betting_interval(_scored(upto), level)
                if found is None:
                    break
                done, why = settled(study, vid, found)
                last = Stop(vid, epoch, j, done, why)
            else:
                pair = _pair(_scored(upto))
                if pair is None:
                    break
                stop, done, why = decide(study, vid, pair, level, epoch, looks[-1], seed=(study.id, vid, epoch))
                last = Stop(vid, epoch, j, done, why, futile=stop and not done)
            if last.stopped:
                break
        if last is not None:
            stops[vid] = last
    return stops


def truncate(frame: pd.DataFrame, stops: Mapping[str, Stop]) -> pd.DataFrame:
    """The rows each variant's verdict uses: epochs up to its stopping look."""
    limit = frame["variant"].astype(str).map({v: s.epoch for v, s in stops.items()})
    keep = limit.notna() & (frame["epoch"].astype(float) <= limit.fillna(0))
    return frame[keep]


def describe_stops(stops: Mapping[str, Stop], looks: Sequence[int], order: Sequence[str]) -> list[str]:
    """One line per look: which variants stopped there, and why."""
    lines = []
    for j, epoch in enumerate(looks, start=1):
        here = [stops[v] for v in order if v in stops and stops[v].look == j]
        if not here:
            continue
        settled_ = [s for s in here if s.settled]
        futile = [s for s in here if s.futile]
        open_ = [s for s in here if not s.stopped]
        if settled_:
            lines.append(
                f"look {j} ({epoch} epochs): {len(settled_)} variant(s) settled and stopped: "
                + "; ".join(f"{s.variant} ({s.reason})" for s in settled_)
            )
        if futile:
            lines.append(
                f"look {j} ({epoch} epochs): {len(futile)} variant(s) stopped, no open verdict reachable "
                f"by {looks[-1]} epochs: " + "; ".join(f"{s.variant} ({s.reason})" for s in futile)
            )
        if open_:
            lines.append(
                f"look {j} ({epoch} epochs): {len(open_)} variant(s) unsettled at their last look: "
                + "; ".join(f"{s.variant} ({s.reason})" for s in open_)
            )
    return lines


def samples_used(stops: Mapping[str, Stop], cells: Mapping[str, int]) -> int:
    """Samples the stopped variants need: conditions x items x stopping epochs."""
    return sum(cells.get(v, 0) * s.epoch for v, s in stops.items())


def simulate_run(
    draw: pd.DataFrame, study: Study, looks: Sequence[int], alpha: float
) -> tuple[dict[str, Stop], pd.DataFrame]:
    """Apply the design to a simulated replication drawn at the maximum epochs: the stops, and
    the rows a sequential run would have used."""
    stops = replay(draw, study, looks, alpha)
    return stops, truncate(draw, stops)


def expected_fraction(stops_per_rep: Sequence[Mapping[str, Stop]], cells: Mapping[str, int], maximum: int) -> float:
    """Mean samples of the sequential runs over those of the fixed design at ``maximum`` epochs."""
    full = sum(cells.values()) * maximum
    if not stops_per_rep or full == 0:
        return math.nan
    return float(np.mean([samples_used(s, cells) for s in stops_per_rep])) / full


@dataclass(frozen=True)
class Verdict:
    """The conclusion of a study's rows, from the verdict intervals alone (no p-values, no
    regression): what :func:`~beyond_episode.analysis.analyze.analyze_study` concludes."""

    conclusion: str
    intervals: dict[str, tuple[float, float]]


def conclude_rows(frame: pd.DataFrame, study: Study, level: float) -> Verdict:
    """Intervals at ``1 - level`` for every variant with data and the conclusion they give
    (``level`` is per interval, e.g. ``alpha / k`` or ``alpha / (k L)``)."""
    from beyond_episode.analysis.verdicts import conclude, judge_all

    frame = _scored(frame.assign(variant=frame["variant"].astype(str), role=frame["role"].astype(str)))
    intervals: dict[str, tuple[float, float]] = {}
    for vid, rows in frame.groupby("variant", sort=False):
        pair = _pair(rows)
        if pair is not None:
            intervals[str(vid)] = variant_interval(pair, study, level, seed=(study.id, vid))
    hypotheses = judge_all(study, dict(intervals))
    showing = [v for v, (low, high) in intervals.items() if low > 0 or high < 0]
    code, _ = conclude(hypotheses, showing, len(intervals))
    return Verdict(code, intervals)


def analyze_run(
    paths: Sequence[str | Path],
    looks: Mapping[str, Sequence[int]],
    *,
    studies: object = None,
    alpha: float | None = None,
) -> tuple[Report, dict[tuple[str, str], dict[str, Stop]]]:
    """Analyse the logs of a sequential run as the design prescribes.

    ``looks`` gives each study's look schedule. For every study and model: the stopping looks
    are replayed from the data (:func:`replay`), every variant keeps the epochs of its stopping
    look, the analyzer runs at ``alpha / L`` (so that its adjusted intervals are at
    ``1 - alpha / (k L)``), and a variant whose outcomes are all the same gets the interval of
    the stopping rule instead of the exact [0, 0]. Returns the report and the stops.
    """
    from beyond_episode.analysis.analyze import analyze_study
    from beyond_episode.analysis.read import notes_of, read_inputs
    from beyond_episode.analysis.results import Report
    from beyond_episode.analysis.studies import as_catalog

    catalog = as_catalog(studies)
    frame = read_inputs(list(paths), catalog)
    results = []
    all_stops: dict[tuple[str, str], dict[str, Stop]] = {}
    samples: dict[str, dict[str, int]] = {}
    for study_id in sorted(frame["study"].astype(str).unique()):
        study = catalog.get(study_id)
        schedule = list(looks.get(study_id) or [int(frame["epoch"].max())])
        level = float(alpha if alpha is not None else study.alpha)
        of_study = frame[frame["study"].astype(str) == study_id]
        for model in sorted(of_study["model"].astype(str).unique()):
            rows = of_study[of_study["model"].astype(str) == model]
            cells = {
                str(v): int(g[["role", "item"]].drop_duplicates().shape[0])
                for v, g in rows.groupby(rows["variant"].astype(str), sort=False)
            }
            stops = replay(rows, study, schedule, level, cells)
            used = truncate(rows, stops)
            result = analyze_study(used, study, model, alpha=level / len(schedule))
            _regrade_constant(result, used, study)
            ran, kept = len(rows), len(used)
            fixed = sum(cells.values()) * schedule[-1]
            result.notes.append(
                f"Sequential design: looks at {', '.join(map(str, schedule))} epochs; every interval at "
                f"1 - {level:g}/({result.k} x {len(schedule)}) (Bonferroni over variants and looks). "
                f"{kept} samples used of {ran} run; the fixed design at {schedule[-1]} epochs has {fixed} "
                f"({kept / fixed:.0%})." if fixed else "Sequential design."
            )
            result.notes.extend(describe_stops(stops, schedule, list(study.variants)))
            all_stops[(study_id, model)] = stops
            samples[f"{study_id} {model}"] = {"run": ran, "used": kept, "fixed": fixed}
            results.append(result)
    from beyond_episode.analysis.analyze import DEFAULT_BOOT, DEFAULT_PERM

    settings = {
        "alpha": alpha, "alpha_source": "command line" if alpha is not None else "study", "interval": "wilson",
        "bootstrap": DEFAULT_BOOT, "permutations": DEFAULT_PERM, "seed": 0, "samples": int(len(frame)),
        "sequential": {k: list(v) for k, v in looks.items()},
        "sequential_samples": samples,
    }
    return Report(results, settings, notes_of(frame)), all_stops


def _regrade_constant(result: StudyResult, rows: pd.DataFrame, study: Study) -> None:
    """Give constant variants the stopping rule's interval and judge the study again."""
    from beyond_episode.analysis.verdicts import conclude, judge_all

    level = result.alpha_adjusted
    scored = _scored(rows.assign(variant=rows["variant"].astype(str), role=rows["role"].astype(str)))
    changed = False
    for v in result.variants:
        if v.interval is None:
            continue
        pair = _pair(scored[scored["variant"] == v.id])
        if pair is not None and pair.constant:
            v.interval = variant_interval(pair, study, level)
            changed = True
    if not changed:
        return
    intervals = {v.id: v.interval for v in result.variants}
    result.hypotheses = judge_all(study, intervals)
    code, reasons = conclude(result.hypotheses, [v.id for v in result.variants if v.shows_effect], result.k)
    result.conclusion = code
    result.reasons = reasons + [
        f"verdicts use intervals at 1 - {level:.3g} (Bonferroni over variants and looks); a variant whose "
        "samples all agree gets Newcombe's interval with one trial per sample, not [0, 0]"
    ]
