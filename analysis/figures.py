"""Figures (PNG and PDF, matplotlib Agg): condition bars, a forest plot of effects with the
hypotheses' predicted regions shaded, and incoherence against transcript length.

Drawing speed matters (a report holds two figures per study × model, each saved twice), so the
figures are built on a bare :class:`~matplotlib.figure.Figure` with an Agg canvas (no pyplot
state), laid out with fixed margins measured from the texts themselves instead of constrained
layout, drawn with one artist per kind of mark (ticks included), and, when a report holds
several results, drawn by forked worker processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.markers import TICKDOWN, TICKLEFT  # noqa: E402
from matplotlib.patches import PathPatch, Rectangle  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402
from matplotlib.ticker import MaxNLocator, NullLocator  # noqa: E402
from matplotlib.transforms import Affine2DBase, ScaledTranslation  # noqa: E402
from PIL import Image  # noqa: E402
from PIL.PngImagePlugin import PngInfo  # noqa: E402

from .results import Report, StudyResult  # noqa: E402
from .verdicts import CONTRADICTS, SUPPORTS, region  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import MarkerType

log = logging.getLogger(__name__)

FIGURE_FORMATS = ("png", "pdf")
DPI = 110
_VERDICT_COLOUR = {SUPPORTS: "#1a7f37", CONTRADICTS: "#b42318"}
_NEUTRAL = "#333333"
_REGION = "#cfd8e3"
_PT = 1 / 72  # inches per point
_TICK = (3.5 + 3.5) * _PT  # default tick length + tick label pad
_PNG_COMPRESSION = 3  # zlib level; Pillow's default, 6, takes 1.5 times as long for 10% smaller files
_LINE = 1.25  # line height in font sizes (matplotlib's 1.2 spacing plus a little slack)

# A report's figures are drawn by up to MAX_WORKERS forked processes (one per available CPU)
# when there are at least PARALLEL_MIN_JOBS of them; MAX_WORKERS = 1 draws them all here.
MAX_WORKERS = 8
PARALLEL_MIN_JOBS = 6


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "model"


# --------------------------------------------------------------------------- text and layout


@lru_cache(maxsize=1)
def _text_to_path() -> TextToPath:
    return TextToPath()


@lru_cache(maxsize=4096)
def _text_width(text: str, size: float) -> float:
    """Width in inches of one line of ``text`` at ``size`` points in the default font."""
    if not text:
        return 0.0
    width, _, _ = _text_to_path().get_text_width_height_descent(text, FontProperties(size=size), ismath=False)
    return float(width) * _PT * 1.03  # hinting at the output dpi can widen glyphs a little


def _block_width(text: str, size: float) -> float:
    return max(_text_width(line, size) for line in text.split("\n"))


def _lines_height(lines: int, size: float) -> float:
    return lines * size * _LINE * _PT


def _wrap(pieces: Sequence[str], size: float, width: float) -> str:
    """Join ``pieces`` greedily into lines no wider than ``width`` inches."""
    lines: list[str] = []
    for piece in pieces:
        if lines and _text_width(lines[-1] + piece, size) <= width:
            lines[-1] += piece
        else:
            if lines:
                lines[-1] = lines[-1].rstrip()
            lines.append(piece.lstrip() if lines else piece)
    return "\n".join(lines)


def _fit(text: str, size: float, width: float, smallest: float = 6.0) -> tuple[str, float]:
    """``text`` broken after spaces, slashes and hyphens where a line is wider than ``width``
    inches, and the font size (at most ``size``) at which every line then fits."""
    text = "\n".join(
        line if _text_width(line, size) <= width else _wrap(re.split(r"(?<=[ /-])", line), size, width)
        for line in text.split("\n")
    )
    needed = _block_width(text, size)
    return text, size if needed <= width else max(smallest, size * width / needed)


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _place(fig: Figure, left: float, right: float, bottom: float, top: float, gap: float = 0.0) -> None:
    """Fixed margins in inches (``gap``: between panels)."""
    width, height = fig.get_size_inches()
    ncols = max(len(fig.axes), 1)
    panel = (width - left - right - gap * (ncols - 1)) / ncols
    fig.subplots_adjust(
        left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
        wspace=gap / panel if panel > 0 else 0.2,
    )


def _save(fig: Figure, base: Path) -> list[Path]:
    paths = []
    for ext in FIGURE_FORMATS:
        path = base.with_suffix(f".{ext}")
        if ext == "png":
            _save_png(fig, path)
        else:
            fig.savefig(path, dpi=DPI)
        paths.append(path)
    return paths


def _save_png(fig: Figure, path: Path) -> None:
    """What ``savefig(path, dpi=DPI)`` writes, but stored as RGB when the figure is opaque (as it
    is unless the style makes it transparent) and compressed faster: encoding a PNG took about as
    long as drawing it."""
    fig.set_dpi(DPI)
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    pixels = np.ascontiguousarray(rgba[..., :3]) if (rgba[..., 3] == 255).all() else rgba
    info = PngInfo()
    info.add_text("Software", f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/")
    Image.fromarray(pixels).save(path, format="png", dpi=(DPI, DPI), pnginfo=info, compress_level=_PNG_COMPRESSION)


def _err(mean: float, low: float, high: float) -> tuple[float, float]:
    if np.isnan(mean) or np.isnan(low) or np.isnan(high):
        return 0.0, 0.0
    return max(mean - low, 0.0), max(high - mean, 0.0)


def _rectangles(left: np.ndarray, bottom: np.ndarray, width: np.ndarray, height: np.ndarray) -> MplPath:
    """Rectangles as one compound path: a single patch to draw instead of one per rectangle."""
    x1, y1 = left + width, bottom + height
    corners = np.stack([np.stack([left, bottom], -1), np.stack([x1, bottom], -1),
                        np.stack([x1, y1], -1), np.stack([left, y1], -1)], 1)
    return MplPath.make_compound_path_from_polys(corners)


def _segments(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Line segments as the points of one NaN-separated line."""
    nan = np.full(x0.shape, np.nan)
    return np.column_stack([x0, x1, nan]).ravel(), np.column_stack([y0, y1, nan]).ravel()


def _tick_labels(values: Sequence[float]) -> list[str]:
    """Like matplotlib's default formatter: the fewest decimals that show every value, and a
    proper minus sign."""
    decimals = next((d for d in range(7) if all(abs(round(v, d) - v) < 1e-9 for v in values)), 6)
    return [f"{0.0 if abs(v) < 1e-12 else v:.{decimals}f}".replace("-", "\N{MINUS SIGN}") for v in values]


def _ticks(ax: Axes, axis: str, positions: Sequence[float] | np.ndarray, labels: Sequence[str] | None, size: float,
           **text: object) -> None:
    """Ticks (out, on the bottom or left spine) as one line of markers and their labels as plain
    texts. matplotlib's own ticks are several artists each and take longer to create and lay out
    than everything else a panel holds."""
    pos = np.asarray(positions, dtype=float)
    if axis == "x":
        ax.xaxis.set_major_locator(NullLocator())
        where = ax.get_xaxis_transform()
        xy = (pos, np.zeros(pos.size))
        marker, shift, align = cast("MarkerType", TICKDOWN), (0.0, -_TICK), {"ha": "center", "va": "top"}
    else:
        ax.yaxis.set_major_locator(NullLocator())
        where = ax.get_yaxis_transform()
        xy = (np.zeros(pos.size), pos)
        marker, shift, align = cast("MarkerType", TICKLEFT), (-_TICK, 0.0), {"ha": "right", "va": "center_baseline"}
    ax.add_line(Line2D(*xy, ls="none", marker=marker, ms=3.5, mew=0.8, color="black",
                       transform=where, clip_on=False))
    if labels is None:
        return
    at = where + ScaledTranslation(*shift, ax.figure.dpi_scale_trans)
    options = {**align, **text}
    for x, y, label in zip(*xy, labels, strict=True):
        ax.text(x, y, label, fontsize=size, transform=at, clip_on=False, **options)  # type: ignore[arg-type]


def _legend(ax: Axes, entries: Sequence[tuple[str, str]], size: float) -> None:
    """Colour swatches and their labels in a frame right of the axes' top corner: the look of
    ``ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))``, without matplotlib's Legend,
    whose layout took a quarter of the bars plot's drawing time."""
    # inches from the axes' top right corner
    at = ax.figure.dpi_scale_trans + ScaledTranslation(1, 1, cast(Affine2DBase, ax.transAxes))
    row, pad, swatch = size * 1.6 * _PT, 0.06, (0.28, size * 0.7 * _PT)
    text_w = max(_text_width(label, size) for label, _ in entries)
    x0 = 0.08
    ax.figure.add_artist(Rectangle((x0, -2 * pad - row * len(entries)), 2 * pad + swatch[0] + 0.08 + text_w,
                                   2 * pad + row * len(entries), transform=at, facecolor="white",
                                   edgecolor="0.8", lw=0.8))
    for i, (label, colour) in enumerate(entries):
        y = -pad - row * (i + 0.5)
        ax.figure.add_artist(Rectangle((x0 + pad, y - swatch[1] / 2), *swatch, transform=at, facecolor=colour,
                                       edgecolor="none", lw=0))
        ax.figure.text(x0 + pad + swatch[0] + 0.08, y, label, fontsize=size, va="center_baseline", transform=at)


# --------------------------------------------------------------------------- the figures


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


def forest_reason(r: StudyResult) -> str | None:
    """Why the forest plot is not drawn (no variant has scored samples in both conditions), or None."""
    return None if r.k else "no variant has scored samples in both conditions"


def coherence_reason(results: Sequence[StudyResult]) -> str | None:
    """Why the incoherence-against-length plot is not drawn, or None."""
    if results[0].study.outcome.type == "mean":
        return "incoherence (Brier form) is defined for binary and proportion outcomes only"
    trends = [r.length_trend for r in results if r.length_trend is not None]
    if any(t.reason is None and t.slope is not None for t in trends):
        return None
    reasons = list(dict.fromkeys(t.reason for t in trends if t.reason))
    return "; ".join(reasons) if reasons else "no transcript lengths (actions) were recorded"


def bars(r: StudyResult, base: Path) -> list[Path]:
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
    return _save(fig, base)


def forest(r: StudyResult, base: Path) -> list[Path]:
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
    return _save(fig, base)


def coherence_plot(results: list[StudyResult], base: Path) -> list[Path]:
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
    return _save(fig, base)


def versions_reason(report: Report, study_id: str) -> str | None:
    """Why the across-versions plot of a study is not drawn, or None."""
    if not any(t.study.id == study_id for t in report.trends):
        return "no variant has scored samples in both conditions under two of the ordered versions"
    return None


def versions_plot(arg: tuple[Report, str], base: Path) -> list[Path]:
    """Effect (left) and incoherence (right) against version, one line per variant."""
    report, study_id = arg
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
    return _save(fig, base)


# --------------------------------------------------------------------------- the report's figures

_Job = tuple[str, Callable[..., list[Path]], object, Path]
# the jobs of the pool being run: forked workers find them here, so nothing is pickled but
# each job's index and its result (the figure's paths)
_POOL_JOBS: list[_Job] = []


def _draw(job: _Job) -> tuple[str, list[Path]]:
    key, draw, arg, base = job
    return key, draw(arg, base)


def _draw_pool_job(index: int) -> tuple[str, list[Path]]:
    return _draw(_POOL_JOBS[index])


def _cost(job: _Job) -> int:
    """A rough relative drawing time, to hand out the largest figures first."""
    _, draw, arg, _ = job
    if isinstance(arg, StudyResult):
        return len(arg.variants) * (len(arg.hypotheses) + 1 if draw is forest else 1)
    return 1


def _workers(jobs: int) -> int:
    """How many worker processes to draw ``jobs`` figures with; 1 draws them in this process.

    Workers are forked: a spawned worker would first import the analysis package (pandas,
    scipy, statsmodels, inspect_ai: seconds of CPU) and rerun the caller's ``__main__``, which
    costs more than it saves on a few cores. Forking is only done from a process without other
    Python threads (one of them could hold a lock the child would then wait on forever).
    """
    if jobs < PARALLEL_MIN_JOBS or MAX_WORKERS < 2:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 1
    if multiprocessing.current_process().daemon:  # already a pool worker: no children allowed
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS, jobs // 2))


def _draw_all(jobs: list[_Job]) -> dict[str, list[Path]]:
    workers = _workers(len(jobs))
    if workers > 1:
        # the largest figures first, so that the workers finish at about the same time
        order = sorted(range(len(jobs)), key=lambda i: _cost(jobs[i]), reverse=True)
        _POOL_JOBS[:] = jobs
        try:
            with warnings.catch_warnings():
                # Python >= 3.12 warns about forking any multi-threaded process, native thread
                # pools included (OpenBLAS, which re-initialises itself in the child)
                warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
                with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                    return dict(pool.map(_draw_pool_job, order))
        except (BrokenProcessPool, OSError) as exc:
            log.info("drawing the figures in this process instead of %d workers: %s", workers, exc)
        finally:
            _POOL_JOBS.clear()
    return dict(_draw(job) for job in jobs)


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
