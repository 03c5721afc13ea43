"""The trend figures: incoherence against episode length, and effect and incoherence against
model version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from .figure_primitives import (
    _NEUTRAL,
    _PT,
    _TICK,
    _fit,
    _lines,
    _lines_height,
    _new_figure,
    _place,
    _text_width,
)
from .results import Report, StudyResult

if TYPE_CHECKING:
    pass


def coherence_reason(results: Sequence[StudyResult]) -> str | None:
    """Why the incoherence-against-length plot is not drawn, or None."""
    if results[0].study.outcome.type == "mean":
        return "incoherence (Brier form) is defined for binary and proportion outcomes only"
    trends = [r.length_trend for r in results if r.length_trend is not None]
    if any(t.reason is None and t.slope is not None for t in trends):
        return None
    reasons = list(dict.fromkeys(t.reason for t in trends if t.reason))
    return "; ".join(reasons) if reasons else "no transcript lengths (actions) were recorded"


def coherence_figure(results: list[StudyResult]) -> Figure:
    """Incoherence against episode length with the fitted trend, one colour per model."""
    width, height, right = 5.5, 3.8, 0.25
    left = 0.12 + _lines_height(1, 10) + 0.06 + _TICK + _text_width("0.0", 10)
    models = ", ".join(dict.fromkeys(r.model for r in results))
    title, size = _fit(f"{results[0].study.id} — {models}: incoherence vs episode length; lines: fitted "
                       f"trend (slope per action and its {1 - results[0].alpha:.0%} interval in the legend)",
                       10, width - 0.2)
    fig = _new_figure(width, height)
    ax = fig.add_subplot()
    bottom = 0.1 + _TICK + _lines_height(2, 10) + 0.04
    _place(fig, left, right, bottom, 0.1 + _lines_height(_lines(title), size) + 6 * _PT)
    drawn = False
    for r in results:
        t = r.length_trend
        if t is None or t.reason is not None or t.slope is None:
            continue
        xs = np.array([p.length for p in t.points])
        ys = np.array([float(p.coherence.incoherence or 0.0) for p in t.points])
        s = t.slope
        label = _fit(f"{r.model}: {s.coef:+.4f} [{s.low:+.4f}, {s.high:+.4f}] ({s.direction})", 8,
                     width - left - right - 0.7)[0]
        (points,) = ax.plot(xs, ys, "o", label=label)
        grid = np.linspace(float(xs.min()), float(xs.max()), 2)
        ax.plot(grid, [float(t.fitted(float(x)) or 0.0) for x in grid], "-", color=points.get_color())
        drawn = True
    if not drawn:  # write_figures does not ask for it then; drawn on request, it says so
        ax.text(0.5, 0.5, coherence_reason(results) or "", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("episode length (actions)")
    ax.set_ylabel("incoherence")
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=size, y=1.0)
    if drawn:
        ax.legend(fontsize=8)
    return fig


def versions_reason(report: Report, study_id: str) -> str | None:
    """Why the across-versions plot of a study is not drawn, or None."""
    if not any(t.study.id == study_id for t in report.trends):
        return "no variant has scored samples in both conditions under two of the ordered versions"
    return None


def versions_figure(report: Report, study_id: str) -> Figure:
    """Effect (left) and incoherence (right) against version, one line per variant."""
    trends = [t for t in report.trends if t.study.id == study_id]
    models = [m for m in report.versions if any(p.model == m for t in trends for p in t.points)]
    rank = {m: i for i, m in enumerate(models)}
    width, height = 9.0, 4.4
    fig = _new_figure(width, height)
    title, size = _fit(f"{study_id}: effect (a − b, adjusted interval) and incoherence against model version; "
                       "* marks a trend whose adjusted interval excludes 0", 10, width - 0.2)
    left_ax, right_ax = fig.subplots(1, 2)
    top = (0.15 + _lines_height(_lines(title), size)) / height
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=1 - top, wspace=0.25)
    for t in trends:
        pts = sorted(t.points, key=lambda p: p.rank)
        eff = [p for p in pts if p.effect is not None and p.interval is not None]
        if eff:
            mark = "*" if t.effect is not None and t.effect.significant else ""
            mid = np.array([float(p.effect or 0.0) for p in eff])
            lows = mid - np.array([p.interval[0] for p in eff if p.interval])
            highs = np.array([p.interval[1] for p in eff if p.interval]) - mid
            left_ax.errorbar([rank[p.model] for p in eff], mid, yerr=[lows, highs], marker="o", capsize=2,
                             label=f"{t.variant}{mark}")
        inc = [p for p in pts if p.incoherence is not None]
        if inc:
            imark = "*" if t.incoherence is not None and t.incoherence.significant else ""
            right_ax.plot([rank[p.model] for p in inc], [float(p.incoherence or 0.0) for p in inc], "o-",
                          label=f"{t.variant}{imark}")
    for ax, label in ((left_ax, "effect (a − b)"), (right_ax, "incoherence")):
        ax.set_xticks(range(len(models)))
        ax.set_xticklabels([_fit(m, 8, 1.6)[0] for m in models], fontsize=8)
        ax.set_ylabel(label)
        ax.set_xlabel("version (oldest first)")
    left_ax.axhline(0, color=_NEUTRAL, lw=0.6)
    right_ax.set_ylim(0, 1)
    if left_ax.get_legend_handles_labels()[0]:
        left_ax.legend(fontsize=6, ncol=2)
    if right_ax.get_legend_handles_labels()[0]:
        right_ax.legend(fontsize=6, ncol=2)
    fig.suptitle(title, fontsize=size)
    return fig
