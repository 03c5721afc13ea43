"""The report's figures (PNG and PDF, matplotlib Agg): condition bars, a forest plot of effects
with the hypotheses' predicted regions shaded, incoherence against transcript length, and
effects against model version.

Each kind is built in its own module (:mod:`.figure_bars`, :mod:`.figure_forest`,
:mod:`.figure_trends`) from the primitives of :mod:`.figure_primitives`; this module saves them
and draws a report's figures, in the worker pool of :mod:`beyond_episode.pool` when there are
enough of them to pay for starting the workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from beyond_episode.pool import imap

from .figure_bars import bars_figure, bars_reason, interval_words, pair_legend
from .figure_forest import forest_figure, forest_reason
from .figure_primitives import _VERDICT_COLOUR, DPI, FIGURE_FORMATS, _save, slug
from .figure_trends import coherence_figure, coherence_reason, versions_figure, versions_reason
from .results import Report, StudyResult

__all__ = [
    "DPI", "FIGURE_FORMATS", "_VERDICT_COLOUR", "bars", "bars_reason", "coherence_plot", "coherence_reason",
    "forest", "forest_reason", "interval_words", "pair_legend", "skipped_figures", "slug", "versions_plot",
    "versions_reason", "write_figures",
]

# A report's figures are drawn by up to MAX_WORKERS worker processes (one per available CPU)
# when there are at least PARALLEL_MIN_JOBS of them; MAX_WORKERS = 1 draws them all here. A new
# worker first imports the analyzer (about 3 s of CPU) and a figure takes about 0.2 s, so a
# report of fewer figures is drawn faster here.
MAX_WORKERS = 8
PARALLEL_MIN_JOBS = 40


def bars(r: StudyResult, base: Path) -> list[Path]:
    """Each variant's two conditions with intervals, saved as ``base.png`` and ``base.pdf``."""
    return _save(bars_figure(r), base)


def forest(r: StudyResult, base: Path) -> list[Path]:
    """Effects with adjusted intervals, one panel per hypothesis, saved as ``base.png`` and ``base.pdf``."""
    return _save(forest_figure(r), base)


def coherence_plot(results: list[StudyResult], base: Path) -> list[Path]:
    """Incoherence against episode length, saved as ``base.png`` and ``base.pdf``."""
    return _save(coherence_figure(results), base)


def versions_plot(arg: tuple[Report, str], base: Path) -> list[Path]:
    """Effect and incoherence against version of study ``arg[1]``, saved as ``base.png`` and ``base.pdf``."""
    return _save(versions_figure(*arg), base)


# --------------------------------------------------------------------------- the report's figures

_Job = tuple[str, Callable[..., list[Path]], object, Path]


def _draw(job: _Job) -> tuple[str, list[Path]]:
    key, draw, arg, base = job
    return key, draw(arg, base)


def _cost(job: _Job) -> int:
    """A rough relative drawing time, to hand out the largest figures first."""
    _, draw, arg, _ = job
    if isinstance(arg, StudyResult):
        return len(arg.variants) * (len(arg.hypotheses) + 1 if draw is forest else 1)
    return 1


def _workers(jobs: int) -> int:
    """How many worker processes to draw ``jobs`` figures with; 1 draws them in this process."""
    if jobs < PARALLEL_MIN_JOBS or MAX_WORKERS < 2:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS, jobs // 2))


def _draw_all(jobs: list[_Job]) -> dict[str, list[Path]]:
    # the largest figures first, so that the workers finish at about the same time
    ordered = sorted(jobs, key=_cost, reverse=True)
    return dict(result for _, result in imap(_draw, ordered, jobs=_workers(len(jobs)), what="figures"))


def skipped_figures(report: Report) -> dict[str, str]:
    """The figures that are not drawn because they would be empty, with the reason (same keys as
    :func:`write_figures`)."""
    skipped: dict[str, str] = {}
    by_study: dict[str, list[StudyResult]] = {}
    for r in report.results:
        by_study.setdefault(r.study.id, []).append(r)
        stem = f"{r.study.id}__{slug(r.model)}"
        for kind, why in (("bars", bars_reason(r)), ("forest", forest_reason(r))):
            if why:
                skipped[f"{stem}__{kind}"] = why
    for study_id, results in by_study.items():
        why = coherence_reason(results)
        if why:
            skipped[f"{study_id}__coherence"] = why
        if report.versions:
            why = versions_reason(report, study_id)
            if why:
                skipped[f"{study_id}__versions"] = why
    return skipped


def write_figures(report: Report, folder: Path) -> dict[str, list[Path]]:
    """Every figure of the report that has something to show; keys are ``<study>__<model>__bars``
    and so on (see :func:`skipped_figures` for the others)."""
    folder.mkdir(parents=True, exist_ok=True)
    skipped = skipped_figures(report)
    jobs: list[_Job] = []
    by_study: dict[str, list[StudyResult]] = {}
    for r in report.results:
        by_study.setdefault(r.study.id, []).append(r)
        stem = f"{r.study.id}__{slug(r.model)}"
        if f"{stem}__bars" not in skipped:
            jobs.append((f"{stem}__bars", bars, r, folder / f"{stem}__bars"))
        if f"{stem}__forest" not in skipped:
            jobs.append((f"{stem}__forest", forest, r, folder / f"{stem}__forest"))
    for study_id, results in by_study.items():
        if f"{study_id}__coherence" not in skipped:
            jobs.append((f"{study_id}__coherence", coherence_plot, results, folder / f"{study_id}__coherence"))
        if report.versions and f"{study_id}__versions" not in skipped:
            jobs.append((f"{study_id}__versions", versions_plot, (report, study_id), folder / f"{study_id}__versions"))
    done = _draw_all(jobs)
    return {key: done[key] for key, _, _, _ in jobs}
