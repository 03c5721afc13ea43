"""Incoherence against episode length.

The scored samples of a study are grouped by condition, item and length level: the
transcript's ``actions``, values at most :data:`GAP` apart taken as one level (the act itself
may add an action or two) or, with more than :data:`MAX_LEVELS` distinct values, quantile bins.
Each group with at least two samples and an error gets its variance share
``variance / (bias2 + variance)`` (the item-level incoherence, see
:mod:`~beyond_episode.analysis.coherence`). The trend is a GLM (Gaussian, identity link) of the
share on length, each group weighted by its ``bias2 + variance`` (so the fitted mean at a length
is the pooled incoherence there): the slope is the change of incoherence per action, with its
interval at ``1 - alpha``. Standard errors are clustered by item (t with items - 1 degrees of
freedom) when there are at least :data:`~beyond_episode.analysis.trend_fit.MIN_CLUSTERS` items, otherwise model-based (Pearson
dispersion, t with the residual degrees of freedom). A study whose errors fall at
fewer than two lengths has too little spread: no trend and no figure, and the report says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .coherence import Coherence, _combine, item_moments
from .trend_fit import Slope, share_slope, shares

MAX_LEVELS = 8
"""Up to this many lengths are shown as they are; more are cut into :data:`BINS` quantile bins."""
GAP = 2.0
"""Numbers of actions at most this far apart are one length (when there are few distinct ones)."""
BINS = 4


@dataclass
class LengthPoint:
    length: float
    coherence: Coherence


@dataclass
class LengthTrend:
    """Incoherence against episode length for one study and model."""

    points: list[LengthPoint]
    slope: Slope | None
    groups: int = 0
    clusters: int = 0
    se: str = ""
    reason: str | None = None
    """Why no trend is fitted (no lengths recorded, too little spread, no errors), or None."""
    binned: bool = False
    intercept: float = 0.0
    notes: list[str] = field(default_factory=list)

    def fitted(self, length: float) -> float | None:
        """The fitted incoherence at ``length`` (the fit is linear in length)."""
        if self.slope is None:
            return None
        return self.intercept + self.slope.coef * length


def length_levels(actions: pd.Series) -> tuple[pd.Series, bool]:
    """Each sample's length level, at the mean ``actions`` of its level: values at most
    :data:`GAP` apart are one level (the act itself may be an action or two, which must not split
    the samples that act from those that do not); more than :data:`MAX_LEVELS` distinct values
    are cut into :data:`BINS` quantile bins instead. Returns the levels and whether they are bins."""
    values = actions.to_numpy(dtype=float)
    distinct = np.unique(values)
    if len(distinct) > MAX_LEVELS:
        codes = np.asarray(pd.qcut(values, q=BINS, duplicates="drop", labels=False))
        return actions.groupby(codes).transform("mean").astype(float), True
    cluster_of = dict(zip(distinct, np.concatenate([[0], np.cumsum(np.diff(distinct) > GAP)]), strict=True))
    codes = np.array([cluster_of[v] for v in values], dtype=int)
    return actions.groupby(codes).transform("mean").astype(float), False


def length_trend(scored: pd.DataFrame, keys: Sequence[str], alpha: float) -> LengthTrend:
    """Incoherence against episode length over the scored rows (columns ``outcome``, ``item``,
    ``actions`` and ``keys``), with the trend's interval at ``1 - alpha``."""
    data = scored[scored["actions"].notna()] if "actions" in scored.columns else scored.iloc[:0]
    if data.empty:
        return LengthTrend([], None, reason="no transcript lengths (actions) were recorded")
    level, binned = length_levels(data["actions"])
    data = data.assign(length=level.to_numpy())
    moments = shares(item_moments(data, [*keys, "length"]))
    points = [LengthPoint(float(x), _combine(part)) for x, part in moments.groupby("length", sort=True)]
    trend = LengthTrend(points, None, groups=len(moments), clusters=int(moments["item"].nunique()), binned=binned)
    if len(points) < 2:
        distinct = sorted(data["length"].unique())
        shown = ", ".join(f"{x:.3g}" for x in distinct[:6]) + (", ..." if len(distinct) > 6 else "")
        trend.reason = (
            f"too little spread in episode length: errors (items with two scored samples off the target) occur at "
            f"{len(points)} length(s) (lengths seen: {shown}); a trend needs at least two"
        )
        return trend
    if len(moments) < 3:
        trend.reason = f"only {len(moments)} item group(s) with an error; a trend needs at least three"
        return trend
    trend.slope, trend.intercept, trend.se = share_slope(moments, "length", [], 1 - alpha, "incoherence per action")
    if binned:
        trend.notes.append(f"lengths are the means of {len(points)} quantile bins of the number of actions")
    return trend
