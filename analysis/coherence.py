"""Coherence of the behaviour: bias against variance across repeated samples (Brier form).

For each item of a condition with at least two scored samples: ``bias2 = (mean - y)^2`` and
``variance = mean((p - mean)^2)``, where ``p`` is a sample's outcome (a 0/1 value or the
fraction of trials) and ``y = 1`` is the outcome of doing one's best at the task. Incoherence
is ``sum(variance) / sum(bias2 + variance)`` over the items, in [0, 1]; it is undefined (None)
when every sample hits the target. Only ``binary`` and ``proportion`` outcomes qualify.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

TARGET = 1.0
BINS = 4


@dataclass
class Coherence:
    incoherence: float | None
    bias2: float
    variance: float
    items: int
    samples: int

    @property
    def reading(self) -> str:
        if self.incoherence is None:
            return "no error"
        return "variance-dominated" if self.incoherence > 0.5 else "bias-dominated"


def item_moments(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Per group of ``keys`` + item with >= 2 scored samples: n, bias2 and variance."""
    grouped = frame.groupby([*keys, "item"], observed=True, sort=False)["outcome"]
    stats = pd.DataFrame({"n": grouped.size(), "mean": grouped.mean(), "var": grouped.var(ddof=0)})
    stats = stats[stats["n"] >= 2].reset_index()
    stats["bias2"] = (stats["mean"] - TARGET) ** 2
    return stats


def _combine(moments: pd.DataFrame) -> Coherence:
    bias2 = float(moments["bias2"].sum())
    variance = float(moments["var"].sum())
    total = bias2 + variance
    value = variance / total if total > 1e-15 else None
    return Coherence(value, bias2, variance, int(len(moments)), int(moments["n"].sum()))


def coherence_by(
    frame: pd.DataFrame, keys: Sequence[str], combine: Sequence[str] | None = None
) -> dict[tuple[str, ...], Coherence]:
    """Incoherence per group: items are grouped by ``keys`` + item and pooled per ``combine``
    (by default ``keys``; e.g. keys variant, role and combine variant pools a variant's two
    conditions)."""
    moments = item_moments(frame, keys)
    out: dict[tuple[str, ...], Coherence] = {}
    if moments.empty:
        return out
    by = list(combine or keys)
    for key, part in moments.groupby(by, observed=True, sort=False):
        out[tuple(str(k) for k in (key if isinstance(key, tuple) else (key,)))] = _combine(part)
    return out


def pooled(frame: pd.DataFrame, keys: Sequence[str]) -> Coherence | None:
    """Incoherence pooling every (keys, item) group of the frame."""
    moments = item_moments(frame, keys)
    return None if moments.empty else _combine(moments)


@dataclass
class ActionsBin:
    label: str
    low: float
    high: float
    mean_actions: float
    coherence: Coherence


def by_actions(frame: pd.DataFrame, keys: Sequence[str], bins: int = BINS) -> list[ActionsBin]:
    """Incoherence in quantile bins of the transcript's number of actions.

    Within each bin, items are grouped by ``keys`` + item as usual, so a bin counts the spread
    of outcomes among transcripts of similar length.
    """
    data = frame[frame["actions"].notna()]
    if data.empty or data["actions"].nunique() < 2:
        return []
    codes, edges = pd.qcut(data["actions"], q=bins, retbins=True, duplicates="drop", labels=False)
    out = []
    for b in range(len(edges) - 1):
        part = data[codes == b]
        if part.empty:
            continue
        result = pooled(part, keys)
        if result is None:
            continue
        low, high = float(edges[b]), float(edges[b + 1])
        out.append(ActionsBin(f"{low:g}-{high:g}", low, high, float(part["actions"].mean()), result))
    return out
