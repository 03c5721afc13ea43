"""The forest figure: effects with adjusted intervals, one panel per hypothesis with its
predicted region shaded."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.ticker import MaxNLocator

from .figure_primitives import (
    _NEUTRAL,
    _PT,
    _REGION,
    _TICK,
    _VERDICT_COLOUR,
    _fit,
    _lines,
    _lines_height,
    _new_figure,
    _place,
    _rectangles,
    _segments,
    _text_width,
    _tick_labels,
    _ticks,
    _wrap,
)
from .results import StudyResult
from .verdicts import region

if TYPE_CHECKING:
    pass


def forest_reason(r: StudyResult) -> str | None:
    """Why the forest plot is not drawn (no variant has scored samples in both conditions), or None."""
    return None if r.k else "no variant has scored samples in both conditions"


def forest_figure(r: StudyResult) -> Figure:
    """Effects with adjusted intervals, one panel per hypothesis with its predicted region shaded."""
    vs = r.variants
    hyps = r.hypotheses
    m = r.study.margin
    n = len(vs)
    ends = [x for v in vs if v.interval for x in v.interval]
    lo = min([-m - 0.1, *ends]) - 0.05
    hi = max([m + 0.1, *ends]) + 0.05
    y = np.arange(n)[::-1].astype(float)
    labels = [f"{v.number}. {v.id}" for v in vs]

    # fixed layout in inches: labels on the left, x tick labels below, titles above
    panel_w, gap = 2.4, 0.28
    left = 0.12 + max((_text_width(s, 7) for s in labels), default=0.0) + _TICK
    right, bottom = 0.22, 0.12 + _TICK + _lines_height(1, 7)
    width = left + right + panel_w * len(hyps) + gap * (len(hyps) - 1)
    titles = [_fit(f"{h.id}\n({h.kind}; {h.status})", 8, panel_w + gap * 0.8) for h in hyps]
    title_height = max((_lines_height(_lines(t), size) for t, size in titles), default=0.0)
    # the figure title breaks after its clauses first, then wherever it must
    suptitle = _wrap(
        re.split(r"(?<=; )|(?<=: )", f"{r.study.id} — {r.model}: effect a − b, interval at 1 − {r.alpha:g}/{r.k}; "
                 "shaded: predicted region; red contradicts, green supports"),
        9, width - 0.3,
    )
    suptitle, suptitle_size = _fit(suptitle, 9, width - 0.3)
    top = 0.08 + _lines_height(_lines(suptitle), suptitle_size) + 0.06 + title_height + 6 * _PT
    fig = _new_figure(width, max(0.32 * n + 1.8, top + bottom + 0.3 * n + 0.4))
    axes = fig.subplots(1, len(hyps), squeeze=False)[0]
    _place(fig, left, right, bottom, top, gap)

    # what every panel shares: x ticks, row guides, the tested variants' intervals
    nbins = int(np.clip(panel_w * 72 // (7 * 3), 1, 9))
    xticks = [float(t) for t in MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
              if lo - 1e-9 <= t <= hi + 1e-9]
    xlabels = _tick_labels(xticks)
    guides = _segments(np.full(n, lo), y, np.full(n, hi), y)
    tested = [(yi, v) for yi, v in zip(y, vs, strict=True) if v.interval is not None and v.effect is not None]
    for i, (ax, h, (title, title_size)) in enumerate(zip(axes, hyps, titles, strict=True)):
        ax.set_xlim(lo, hi)
        ax.set_ylim(-0.8, n - 0.2)
        pred = r.study.hypotheses[h.id].predictions
        rows = []
        for yi, v in zip(y, vs, strict=True):
            bounds = region(pred[v.id].sign, m)
            if bounds is not None:
                rows.append((max(bounds[0], lo), min(bounds[1], hi), yi))
        if rows:
            left_x, right_x, ys = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
            ax.add_patch(PathPatch(_rectangles(left_x, ys - 0.45, right_x - left_x, np.full(ys.size, 0.9)),
                                   facecolor=_REGION, edgecolor="none", lw=0, zorder=1))
        # faint row guides so that a row can be followed across the panels
        ax.plot(*guides, color="#e6e6e6", lw=0.5, zorder=0.5)
        by_colour: dict[str, list[tuple[float, float, float, float]]] = {}
        for yi, v in tested:
            assert v.interval is not None and v.effect is not None
            colour = _VERDICT_COLOUR.get(h.per_variant.get(v.id, ""), _NEUTRAL)
            by_colour.setdefault(colour, []).append((yi, v.interval[0], v.interval[1], v.effect))
        for colour, marks in by_colour.items():
            my, mlow, mhigh, meffect = (np.array(c, dtype=float) for c in zip(*marks, strict=True))
            ax.plot(*_segments(mlow, my, mhigh, my), color=colour, lw=1.6, solid_capstyle="butt", zorder=2)
            ax.plot(meffect, my, ls="none", marker="o", ms=12**0.5, mew=1.0, color=colour, zorder=3)
        edges = ax.get_xaxis_transform()
        ax.plot([0, 0], [0, 1], color="black", lw=0.6, transform=edges, zorder=2.5)
        ax.plot([-m, -m, np.nan, m, m], [0, 1, np.nan, 0, 1], color="grey", lw=0.5, ls=":", transform=edges)
        ax.set_title(title, fontsize=title_size, y=1.0)
        _ticks(ax, "x", xticks, xlabels, 7)
        _ticks(ax, "y", y, labels if i == 0 else None, 7)
        # with no axis labels either, matplotlib's axis objects have nothing left to draw
        ax.xaxis.set_visible(False)
        ax.yaxis.set_visible(False)
    fig.suptitle(suptitle, fontsize=suptitle_size, y=1 - 0.08 / fig.get_figheight(), va="top")
    return fig
