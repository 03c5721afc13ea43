"""Figures (PNG and PDF, matplotlib Agg): condition bars, a forest plot of effects with the
hypotheses' predicted regions shaded, and incoherence against transcript length."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from .results import Report, StudyResult  # noqa: E402
from .verdicts import CONTRADICTS, SUPPORTS, region  # noqa: E402

FIGURE_FORMATS = ("png", "pdf")
_VERDICT_COLOUR = {SUPPORTS: "#1a7f37", CONTRADICTS: "#b42318"}


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "model"


def _save(fig: Figure, base: Path) -> list[Path]:
    paths = []
    for ext in FIGURE_FORMATS:
        path = base.with_suffix(f".{ext}")
        fig.savefig(path, dpi=110)
        paths.append(path)
    plt.close(fig)
    return paths


def _err(mean: float, low: float, high: float) -> tuple[float, float]:
    if np.isnan(mean) or np.isnan(low) or np.isnan(high):
        return 0.0, 0.0
    return max(mean - low, 0.0), max(high - mean, 0.0)


def bars(r: StudyResult, base: Path) -> list[Path]:
    """Each variant's two conditions with intervals (like Apollo's B.6 Figure 8)."""
    vs = r.variants
    x = np.arange(len(vs))
    width = 0.38
    fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(vs) + 2), 4.6), layout="constrained")
    for offset, role, colour in ((-width / 2, "a", "#4c72b0"), (width / 2, "b", "#dd8452")):
        conds = [getattr(v, role) for v in vs]
        means = [c.estimate.mean if c.scored else np.nan for c in conds]
        errs = np.array([_err(c.estimate.mean, c.estimate.low, c.estimate.high) if c.scored else (0.0, 0.0) for c in conds]).T
        ax.bar(x + offset, means, width, yerr=errs, capsize=2, color=colour, label=f"condition {role}")
    for i, v in enumerate(vs):
        if v.shows_effect:
            top = max(v.a.estimate.high if v.a.scored else 0, v.b.estimate.high if v.b.scored else 0)
            ax.text(i, top + 0.02, "*", ha="center", va="bottom")
    ax.set_xticks(x, [f"{v.number}. {v.id}" for v in vs], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(r.study.outcome.label)
    if r.study.outcome.type != "mean":
        ax.set_ylim(0, 1.12)
    ax.set_title(f"{r.study.id} — {r.model}\n(* adjusted effect interval excludes 0)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return _save(fig, base)


def forest(r: StudyResult, base: Path) -> list[Path]:
    """Effects with adjusted intervals, one panel per hypothesis with its predicted region shaded."""
    vs = r.variants
    hyps = r.hypotheses
    m = r.study.margin
    ends = [x for v in vs if v.interval for x in v.interval]
    lo = min([-m - 0.1, *ends]) - 0.05
    hi = max([m + 0.1, *ends]) + 0.05
    fig, axes = plt.subplots(
        1, len(hyps), figsize=(2.6 * len(hyps) + 2, 0.32 * len(vs) + 1.8), sharey=True, squeeze=False, layout="constrained"
    )
    y = np.arange(len(vs))[::-1]
    for ax, h in zip(axes[0], hyps, strict=True):
        pred = r.study.hypotheses[h.id].predictions
        boxes = []
        for yi, v in zip(y, vs, strict=True):
            bounds = region(pred[v.id].sign, m)
            if bounds is not None:
                left, right = max(bounds[0], lo), min(bounds[1], hi)
                boxes.append(Rectangle((left, yi - 0.45), right - left, 0.9))
        ax.add_collection(PatchCollection(boxes, facecolor="#cfd8e3", edgecolor="none"))
        tested = [(yi, v) for yi, v in zip(y, vs, strict=True) if v.interval is not None and v.effect is not None]
        colours = [_VERDICT_COLOUR.get(h.per_variant.get(v.id, ""), "#333333") for _, v in tested]
        ax.hlines([yi for yi, _ in tested], [v.interval[0] for _, v in tested if v.interval],
                  [v.interval[1] for _, v in tested if v.interval], colors=colours, lw=1.6)
        ax.scatter([v.effect for _, v in tested], [yi for yi, _ in tested], c=colours, s=12, zorder=3)
        ax.axvline(0, color="black", lw=0.6)
        for edge in (-m, m):
            ax.axvline(edge, color="grey", lw=0.5, ls=":")
        ax.set_xlim(lo, hi)
        ax.set_title(f"{h.id}\n({h.kind}; {h.status})", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].set_yticks(y, [f"{v.number}. {v.id}" for v in vs], fontsize=7)
    fig.suptitle(
        f"{r.study.id} — {r.model}: effect a − b, interval at 1 − {r.alpha:g}/{r.k}; "
        "shaded: predicted region; red contradicts, green supports",
        fontsize=9,
    )
    return _save(fig, base)


def coherence_plot(results: list[StudyResult], base: Path) -> list[Path]:
    """Incoherence against the number of actions, one line per model."""
    fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    drawn = False
    for r in results:
        bins = [b for b in r.coherence_by_actions if b.coherence.incoherence is not None]
        if not bins:
            continue
        values = [float(b.coherence.incoherence or 0.0) for b in bins]
        ax.plot([b.mean_actions for b in bins], values, "o-", label=r.model)
        drawn = True
    if not drawn:
        ax.text(0.5, 0.5, "no data on actions or no errors", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("actions in the transcript (bin mean)")
    ax.set_ylabel("incoherence")
    ax.set_ylim(0, 1)
    ax.set_title(f"{results[0].study.id}: incoherence vs transcript length", fontsize=10)
    if drawn:
        ax.legend(fontsize=8)
    return _save(fig, base)


def write_figures(report: Report, folder: Path) -> dict[str, list[Path]]:
    """Every figure of the report; keys are ``<study>__<model>__bars`` and so on."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[Path]] = {}
    by_study: dict[str, list[StudyResult]] = {}
    for r in report.results:
        by_study.setdefault(r.study.id, []).append(r)
        stem = f"{r.study.id}__{slug(r.model)}"
        out[f"{stem}__bars"] = bars(r, folder / f"{stem}__bars")
        if r.k:
            out[f"{stem}__forest"] = forest(r, folder / f"{stem}__forest")
    for study_id, results in by_study.items():
        if results[0].study.outcome.type != "mean":
            out[f"{study_id}__coherence"] = coherence_plot(results, folder / f"{study_id}__coherence")
    return out
