"""Drawing primitives of the report's figures: text measured without a renderer, fixed
margins, ticks and legends drawn as single artists, and a fast PNG and PDF save.

The figures are built on a bare :class:`~matplotlib.figure.Figure` with an Agg canvas (no pyplot
state), laid out with fixed margins measured from the texts themselves instead of constrained
layout, and drawn with one artist per kind of mark (ticks included).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402
from matplotlib.ticker import NullLocator  # noqa: E402
from matplotlib.transforms import Affine2DBase, ScaledTranslation  # noqa: E402
from PIL import Image  # noqa: E402
from PIL.PngImagePlugin import PngInfo  # noqa: E402

from .verdicts import CONTRADICTS, SUPPORTS  # noqa: E402

if TYPE_CHECKING:
    from matplotlib.typing import MarkerType

FIGURE_FORMATS = ("png", "pdf")
DPI = 110
_VERDICT_COLOUR = {SUPPORTS: "#1a7f37", CONTRADICTS: "#b42318"}
_NEUTRAL = "#333333"
_REGION = "#cfd8e3"
_PT = 1 / 72  # inches per point
_TICK = (3.5 + 3.5) * _PT  # default tick length + tick label pad
_PNG_COMPRESSION = 3  # zlib level; Pillow's default, 6, takes 1.5 times as long for 10% smaller files
_LINE = 1.25  # line height in font sizes (matplotlib's 1.2 spacing plus a little slack)


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
