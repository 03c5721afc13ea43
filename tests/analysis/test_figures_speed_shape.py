"""The figures stay cheap to draw (fixed layout, a few artists per panel, workers for a report)
and stay legible (every text inside the figure, verdict colours, shaded regions)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from analysis_synth import STUDY, profile_table
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.text import Text
from PIL import Image

from beyond_episode.analysis import analyze, figures
from beyond_episode.analysis.results import Report

LONG_MODEL = "lab/" + "a-rather-long-model-name-" * 6 + "end"


@pytest.fixture(scope="module")
def report() -> Report:
    table = pd.concat(
        [profile_table("capability_preserver", seed=21, model="lab/model-one"),
         profile_table("approval_seeker", seed=22, model="lab/model-two"),
         profile_table("honest", seed=23, model=LONG_MODEL)],
        ignore_index=True,
    )
    return analyze(table, n_boot=200, n_perm=200)


@pytest.fixture()
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """The figures handed to ``_save``, which still writes them."""
    figs: list[Figure] = []
    save = figures._save

    def keep(fig: Figure, base: Path) -> list[Path]:
        figs.append(fig)
        return save(fig, base)

    monkeypatch.setattr(figures, "_save", keep)
    return figs


def _texts_inside(fig: Figure) -> None:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    width, height = fig.bbox.width, fig.bbox.height
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text():
            continue
        box = text.get_window_extent(renderer)
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1, (
            f"text {text.get_text()!r} is clipped: {box} outside {width}x{height}"
        )


def test_every_text_fits_and_nothing_is_laid_out_at_save(report: Report, drawn: list[Figure], tmp_path: Path) -> None:
    for model in ("lab/model-one", LONG_MODEL):
        r = report.result(STUDY, model)
        figures.bars(r, tmp_path / "bars")
        figures.forest(r, tmp_path / "forest")
    figures.coherence_plot(report.results, tmp_path / "coherence")
    assert len(drawn) == 5
    for fig in drawn:
        assert fig.get_layout_engine() is None
        _texts_inside(fig)
    # the long model name is wrapped onto a second line of the forest plot's title
    suptitle = drawn[3]._suptitle
    assert suptitle is not None and LONG_MODEL[:20] in suptitle.get_text() and "\n" in suptitle.get_text()


def test_forest_panels_regions_and_verdict_colours(report: Report, drawn: list[Figure], tmp_path: Path) -> None:
    r = report.result(STUDY, "lab/model-one")
    paths = figures.forest(r, tmp_path / "forest")
    assert [p.name for p in paths] == ["forest.png", "forest.pdf"]
    (fig,) = drawn
    assert len(fig.axes) == len(r.hypotheses)
    assert [t.get_text() for t in fig.axes[0].texts if t.get_text().endswith(r.variants[0].id)] == [
        f"{r.variants[0].number}. {r.variants[0].id}"
    ]
    for ax, h in zip(fig.axes, r.hypotheses, strict=True):
        assert h.id in ax.get_title()
        # one shaded patch, and a bounded number of lines whatever the number of variants: row
        # guides, zero, margins, both axes' tick marks, and intervals and points per verdict colour
        assert len([p for p in ax.patches if isinstance(p, PathPatch)]) == 1
        assert len(ax.lines) <= 5 + 2 * 3
        colours = {to_hex(line.get_color()) for line in ax.lines if isinstance(line, Line2D)}
        verdicts = set(h.per_variant.values())
        if "contradicts" in verdicts:
            assert figures._VERDICT_COLOUR["contradicts"] in colours
        if "supports" in verdicts:
            assert figures._VERDICT_COLOUR["supports"] in colours


def test_bars_have_every_variant_label(report: Report, drawn: list[Figure], tmp_path: Path) -> None:
    r = report.result(STUDY, "lab/model-two")
    figures.bars(r, tmp_path / "bars")
    (fig,) = drawn
    (ax,) = fig.axes
    labels = {t.get_text() for t in ax.texts}
    assert {f"{v.number}. {v.id}" for v in r.variants if v.factor == "trigger"} <= labels
    assert "18. control_ask_low (a: do_your_best, b: score_low)" in labels  # another pair names its levels
    assert len(ax.patches) <= 2
    legend = {t.get_text() for t in fig.texts}  # the legend names the levels of the pair
    assert {"a: trigger = low_performance", "b: trigger = high_performance"} <= legend
    assert "condition a" not in legend
    assert ax.get_ylim() == pytest.approx((0, 1.12))


def test_report_figures_in_workers_match_serial(report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert figures._workers(7) >= 1
    monkeypatch.setattr(figures, "PARALLEL_MIN_JOBS", 2)  # draw these 7 in workers
    parallel = figures.write_figures(report, tmp_path / "parallel")
    monkeypatch.setattr(figures, "MAX_WORKERS", 1)
    serial = figures.write_figures(report, tmp_path / "serial")
    assert list(parallel) == list(serial)
    models = [figures.slug(r.model) for r in report.results]
    assert list(parallel) == [f"{STUDY}__{m}__{kind}" for m in models for kind in ("bars", "forest")] + [
        f"{STUDY}__coherence"
    ]
    for key, paths in parallel.items():
        assert [p.suffix for p in paths] == [".png", ".pdf"]
        assert [p.name for p in paths] == [p.name for p in serial[key]]
        for path in paths:
            assert path.parent == tmp_path / "parallel" and path.stat().st_size > 1000
        with Image.open(paths[0]) as a, Image.open(serial[key][0]) as b:
            assert a.mode == "RGB" and a.size == b.size
            assert np.array_equal(np.asarray(a), np.asarray(b))
            assert a.info.get("dpi", (0, 0))[0] == pytest.approx(figures.DPI, abs=0.01)


def test_few_figures_are_drawn_here(monkeypatch: pytest.MonkeyPatch) -> None:
    assert figures._workers(figures.PARALLEL_MIN_JOBS - 1) == 1
    monkeypatch.setattr(figures, "MAX_WORKERS", 1)
    assert figures._workers(100) == 1
