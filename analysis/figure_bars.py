"""The bars figure: each variant's two conditions with their intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.ticker import MaxNLocator

from .figure_primitives import (
    _LINE,
    _PT,
    _TICK,
    _err,
    _fit,
    _legend,
    _lines,
    _lines_height,
    _new_figure,
    _place,
    _rectangles,
    _segments,
    _text_width,
    _tick_labels,
    _ticks,
)
from .results import StudyResult

if TYPE_CHECKING:
    pass


def pair_legend(r: StudyResult) -> tuple[list[str], list[str]]:
    """The legend of the bars (each role named by its level of the pair) and the x labels.

    The pair most variants share names the legend; a variant with another pair says its levels
    in its own label."""
    vs = r.variants
    pairs = [(v.factor, v.a.levels.get(v.factor, "a"), v.b.levels.get(v.factor, "b")) for v in vs]
    common = max(set(pairs), key=pairs.count) if pairs else ("pair", "a", "b")
    factor, a_level, b_level = common
    legend = [f"a: {factor} = {a_level}", f"b: {factor} = {b_level}"]
    labels = []
    for v, pair in zip(vs, pairs, strict=True):
        label = f"{v.number}. {v.id}"
        if pair != common:
            label += f" (a: {pair[1]}, b: {pair[2]})"
        labels.append(label)
    if any(pair != common for pair in pairs):
        legend.append("other pairs: levels in the label")
    return legend, labels


def interval_words(r: StudyResult) -> str:
    """The per-condition interval of the bars, in words (level and method)."""
    method = next((v.a.estimate.method for v in r.variants if v.a.scored), "")
    name = {"t": "t", "wilson": "Wilson", "jeffreys": "Jeffreys", "beta": "Beta-posterior"}.get(method, method)
    return f"{100 * (1 - r.alpha):g}% {name} intervals".replace("  ", " ")


def bars_reason(r: StudyResult) -> str | None:
    """Why the bars are not drawn (no condition has a scored sample), or None."""
    if any(c.scored for v in r.variants for c in (v.a, v.b)):
        return None
    return "no condition has a scored sample"


def bars_figure(r: StudyResult) -> Figure:
    """Each variant's two conditions with intervals (like Apollo's B.6 Figure 8)."""
    vs = r.variants
    n = len(vs)
    x = np.arange(n, dtype=float)
    width = 0.38
    legend_labels, labels = pair_legend(r)
    proportion = r.study.outcome.type != "mean"

    # margins from the texts: rotated tick labels below, the y label and tick labels on the left,
    # the two-line title above and the legend on the right
    label_w = max((_text_width(s, 8) for s in labels), default=0.0)
    sin, cos = np.sin(np.radians(60)), np.cos(np.radians(60))
    line8 = 8 * _LINE * _PT
    bottom = 0.12 + _TICK + label_w * sin + line8 * cos
    right = 0.24 + max(_text_width(s, 8) for s in legend_labels) + 0.55
    axes_w = max(6.0, 0.6 * n + 2) - 1.1
    title, title_size = _fit(
        f"{r.study.id} — {r.model}\n{r.study.outcome.label} per condition, {interval_words(r)}; "
        f"* effect interval at 1 − {r.alpha:g}/{r.k} excludes 0", 10, axes_w + right)
    top = 0.1 + _lines_height(_lines(title), title_size) + 6 * _PT
    height = max(4.6, top + bottom + 2.6)
    fig = _new_figure(axes_w + right + 1.0, height)
    ax = fig.add_subplot()

    legend = []
    err_x, err_y, caps_x, caps_y = [], [], [], []
    for offset, role, colour, name in ((-width / 2, "a", "#4c72b0", legend_labels[0]),
                                       (width / 2, "b", "#dd8452", legend_labels[1])):
        conds = [getattr(v, role) for v in vs]
        means = np.array([c.estimate.mean if c.scored else np.nan for c in conds], dtype=float)
        errs = np.array([_err(c.estimate.mean, c.estimate.low, c.estimate.high) if c.scored else (0.0, 0.0)
                         for c in conds], dtype=float).reshape(-1, 2)
        drawn = ~np.isnan(means)
        legend.append((name, colour))
        if not drawn.any():
            continue
        xs, heights = x[drawn] + offset, means[drawn]
        patch = PathPatch(
            _rectangles(xs - width / 2, np.minimum(heights, 0), np.full(xs.size, width), np.abs(heights)),
            facecolor=colour, edgecolor="none", lw=0,
        )
        patch.sticky_edges.y.append(0.0)  # bars stand on the axis, as with ``Axes.bar``
        ax.add_patch(patch)
        low, high = heights - errs[drawn, 0], heights + errs[drawn, 1]
        sx, sy = _segments(xs, low, xs, high)
        err_x.append(sx)
        err_y.append(sy)
        caps_x.append(np.concatenate([xs, xs]))
        caps_y.append(np.concatenate([low, high]))
    if err_x:
        ax.plot(np.concatenate(err_x), np.concatenate(err_y), color="black", lw=1.5, zorder=2.1)
        ax.plot(np.concatenate(caps_x), np.concatenate(caps_y), ls="none", marker="_", ms=4, mew=1.0,
                color="black", zorder=2.1)
    for i, v in enumerate(vs):
        if v.shows_effect:
            top_y = max(v.a.estimate.high if v.a.scored else 0, v.b.estimate.high if v.b.scored else 0)
            ax.text(i, top_y + 0.02, "*", ha="center", va="bottom")
    if not proportion:
        ax.axhline(0, color="black", lw=0.8)
    ax.set_xlim(-0.6, n - 0.4)
    if proportion:
        ax.set_ylim(0, 1.12)
    else:
        ax.autoscale_view(scalex=False)
    y0, y1 = ax.get_ylim()
    nbins = int(np.clip((height - top - bottom) * 72 // (10 * 2), 1, 9))
    yticks = [float(t) for t in MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(y0, y1)
              if y0 - 1e-9 <= t <= y1 + 1e-9]
    ylabels = _tick_labels(yticks)

    # the left margin holds the y label and tick labels, and the first rotated label, which
    # reaches left of its tick
    ticks_w = _TICK + max((_text_width(s, 10) for s in ylabels), default=0.0)
    left = 0.12 + _lines_height(1, 10) + 4 * _PT + ticks_w
    if n:
        left = max(left, 0.15 + _text_width(labels[0], 8) * cos + line8 * sin - 0.6 / (n + 0.2) * axes_w)
    fig.set_size_inches(left + axes_w + right, height)
    _place(fig, left, right, bottom, top)
    _ticks(ax, "x", x, labels, 8, rotation=60, ha="right")
    _ticks(ax, "y", yticks, ylabels, 10)
    ax.xaxis.set_visible(False)  # nothing left to draw (the y axis still draws its label)
    ax.set_ylabel(r.study.outcome.label)
    ax.yaxis.set_label_coords(-(ticks_w + 4 * _PT) / axes_w, 0.5)
    ax.set_title(title, fontsize=title_size, y=1.0)
    _legend(ax, legend + [(extra, "white") for extra in legend_labels[2:]], 8)
    return fig
