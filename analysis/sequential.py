"""A sequential design: looks at growing epochs, and a variant stops once its verdicts are settled.

* **Looks.** Epochs ``e_1 < ... < e_L`` per condition and item (:func:`~.stopping.look_schedule`: doubling
  from the first look, the last one the maximum).
* **Stopping rule.** At look ``j`` a variant whose every prediction (every hypothesis that
  predicts ``+``, ``0`` or ``-`` for it) has the verdict ``supports`` or ``contradicts`` stops:
  its conditions get no further epochs (*settled*).
* **Futility.** A variant also stops when none of its open predictions can be settled by the
  last look (:func:`~.stopping.reachable`): its samples so far, repeated up to the maximum epochs, give the
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
from beyond_episode.analysis.effects import Paired
from beyond_episode.analysis.stopping import (
    METHODS,
    Stop,
    decide,
    look_level,
    settled,
    variant_interval,
)
from beyond_episode.errors import BepError

if TYPE_CHECKING:
    from beyond_episode.analysis.results import Report, StudyResult


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

    ``looks`` gives each study's look schedule (a study without one, run with a fixed design,
    is analysed as a fixed run). For every study and model: the stopping looks
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
        level = float(alpha if alpha is not None else study.alpha)
        of_study = frame[frame["study"].astype(str) == study_id]
        for model in sorted(of_study["model"].astype(str).unique()):
            rows = of_study[of_study["model"].astype(str) == model]
            if study_id not in looks:  # a study of the run with a fixed design
                results.append(analyze_study(rows, study, model, alpha=alpha))
                samples[f"{study_id} {model}"] = {"run": len(rows), "used": len(rows), "fixed": len(rows)}
                continue
            schedule = list(looks[study_id])
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
