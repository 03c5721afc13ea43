"""Trends: incoherence against episode length, and effects and incoherence across model versions.

**Length.** The scored samples of a study are grouped by condition, item and length level: the
transcript's ``actions``, values at most :data:`GAP` apart taken as one level (the act itself
may add an action or two) or, with more than :data:`MAX_LEVELS` distinct values, quantile bins.
Each group with at least two samples and an error gets its variance share
``variance / (bias2 + variance)`` (the item-level incoherence, see
:mod:`~beyond_episode.analysis.coherence`). The trend is a GLM (Gaussian, identity link) of the
share on length, each group weighted by its ``bias2 + variance`` (so the fitted mean at a length
is the pooled incoherence there): the slope is the change of incoherence per action, with its
interval at ``1 - alpha``. Standard errors are clustered by item (t with items - 1 degrees of
freedom) when there are at least :data:`MIN_CLUSTERS` items, otherwise model-based (Pearson
dispersion, t with the residual degrees of freedom). A study whose errors fall at
fewer than two lengths has too little spread: no trend and no figure, and the report says why.

**Versions.** Models given in order (oldest first) are versions of one model. For each variant
with scored samples in both conditions under at least two versions:

* the *effect trend* is the ``a x version`` term of a GLM of the outcome on role, the version's
  rank (0, 1, 2, ...) and their product (binomial with logit link for binary and proportion
  outcomes, successes out of trials; Gaussian for mean outcomes; standard errors as above): the
  change per version of the a-vs-b log-odds (or difference), so a rising trend is a growing
  effect ``a - b``;
* the *incoherence trend* is the version term of the length model above with the version rank
  in place of length and the role as a covariate (binary and proportion outcomes only).

The trend tests of a study are one family per kind, controlled like the variants' effects:
intervals at ``1 - alpha/k`` (Bonferroni over the ``k`` variants with a test) and Holm-adjusted
p-values; a trend is reported when its adjusted interval excludes 0.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import norm
from scipy.stats import t as student_t

from beyond_episode.ablations.study import Study
from beyond_episode.errors import BepError

from .coherence import Coherence, _combine, item_moments

MAX_LEVELS = 8
"""Up to this many lengths are shown as they are; more are cut into :data:`BINS` quantile bins."""
GAP = 2.0
"""Numbers of actions at most this far apart are one length (when there are few distinct ones)."""
BINS = 4
MIN_CLUSTERS = 30
"""Fewer items than this: model-based standard errors (Pearson dispersion) instead of item-clustered ones."""
PSEUDO = 0.5
"""Successes and failures added per (role, version) cell when the effect trend's fit separates."""


@dataclass
class Slope:
    """One trend coefficient with its interval at ``level``."""

    coef: float
    se: float
    low: float
    high: float
    p: float
    level: float
    unit: str
    p_holm: float | None = None
    dist: str = "z"
    """The reference distribution of the interval: ``z`` or ``t`` (with ``df`` degrees of freedom)."""
    df: float = math.inf

    @property
    def direction(self) -> str:
        if self.low > 0:
            return "rising"
        if self.high < 0:
            return "falling"
        return "no trend"

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


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


def _robust_fit(endog: np.ndarray, exog: np.ndarray, groups: np.ndarray, weights: np.ndarray | None,
                family: sm.families.Family, clusters: int) -> tuple[object, str]:
    """A GLM with item-clustered standard errors (t with ``clusters - 1`` degrees of freedom);
    with fewer than :data:`MIN_CLUSTERS` items, model-based ones with the dispersion estimated
    from the Pearson residuals and t with the residual degrees of freedom (a cluster sandwich
    on few items is far too small in the tails)."""
    kwargs: dict[str, object] = {} if weights is None else {"var_weights": weights}
    model = sm.GLM(endog, exog, family=family, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if clusters >= MIN_CLUSTERS:
            return (model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True),
                    f"clustered by item ({clusters} items, t with {clusters - 1} df)")
        first = model.fit()
        scale = max(1.0, _pearson(endog, first.mu, weights) / max(1.0, float(first.df_resid)))
        if isinstance(family, sm.families.Gaussian):
            scale = float(first.scale)
        fitted = model.fit(scale=scale, use_t=True)
        return (fitted, f"model-based with Pearson dispersion, t with {fitted.df_resid:g} df "
                        f"(only {clusters} items; clustering needs {MIN_CLUSTERS})")


def _pearson(endog: np.ndarray, mu: np.ndarray, weights: np.ndarray | None) -> float:
    """Pearson's X2 of a binomial fit on (successes, failures) counts, or of a weighted Gaussian fit."""
    if endog.ndim == 2:
        n = endog.sum(axis=1)
        expected = n * mu
        denom = n * mu * (1 - mu)
        keep = denom > 0
        return float(np.sum((endog[keep, 0] - expected[keep]) ** 2 / denom[keep]))
    w = np.ones_like(endog) if weights is None else weights
    return float(np.sum(w * (endog - mu) ** 2))


def _slope(result: object, index: int, level: float, unit: str) -> Slope | None:
    coef = float(np.asarray(result.params)[index])  # type: ignore[attr-defined]
    se = float(np.asarray(result.bse)[index])  # type: ignore[attr-defined]
    if not (math.isfinite(coef) and math.isfinite(se)):
        return None
    if se <= 1e-12:  # every share equal: no spread to test
        return Slope(coef, 0.0, coef, coef, 1.0 if abs(coef) < 1e-12 else 0.0, level, unit)
    ci = np.asarray(result.conf_int(alpha=1 - level))[index]  # type: ignore[attr-defined]
    p = float(np.asarray(result.pvalues)[index])  # type: ignore[attr-defined]
    use_t = bool(getattr(result, "use_t", False))
    df = float(getattr(result, "df_resid_inference", None) or result.df_resid) if use_t else math.inf  # type: ignore[attr-defined]
    return Slope(coef, se, float(ci[0]), float(ci[1]), p, level, unit, dist="t" if use_t else "z", df=df)


def _shares(moments: pd.DataFrame) -> pd.DataFrame:
    moments = moments.assign(total=moments["bias2"] + moments["var"])
    moments = moments[moments["total"] > 1e-15]
    return moments.assign(share=moments["var"] / moments["total"])


def _share_slope(moments: pd.DataFrame, x: str, covariates: list[np.ndarray], level: float,
                 unit: str) -> tuple[Slope | None, float, str]:
    """The weighted GLM of the groups' variance shares on column ``x`` (and ``covariates``):
    the slope, the intercept and the kind of standard errors."""
    share = moments["share"].to_numpy(dtype=float)
    if np.ptp(share) < 1e-12:  # the same share everywhere (e.g. every error fully coherent)
        return Slope(0.0, 0.0, 0.0, 0.0, 1.0, level, unit), float(share[0]), "none (no spread in the shares)"
    exog = np.column_stack([np.ones(len(moments)), moments[x].to_numpy(dtype=float), *covariates])
    groups = pd.factorize(moments["item"].astype(str))[0]
    result, se = _robust_fit(share, exog, groups, moments["total"].to_numpy(dtype=float), sm.families.Gaussian(),
                             int(moments["item"].nunique()))
    return _slope(result, 1, level, unit), float(np.asarray(result.params)[0]), se  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- length


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
    moments = _shares(item_moments(data, [*keys, "length"]))
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
    trend.slope, trend.intercept, trend.se = _share_slope(moments, "length", [], 1 - alpha, "incoherence per action")
    if binned:
        trend.notes.append(f"lengths are the means of {len(points)} quantile bins of the number of actions")
    return trend


# --------------------------------------------------------------------------- versions


@dataclass
class VersionPoint:
    model: str
    rank: int
    effect: float | None
    interval: tuple[float, float] | None
    incoherence: float | None


@dataclass
class VersionTrend:
    """One variant's effect and incoherence against model version."""

    study: Study
    variant: str
    factor: str
    points: list[VersionPoint]
    effect: Slope | None
    incoherence: Slope | None
    se: str = ""
    fit: str = ""
    notes: list[str] = field(default_factory=list)


def version_order(value: str, models: Sequence[str]) -> list[str]:
    """The models named by ``--versions m1,m2,...`` (oldest first), checked against the data."""
    names = [p.strip() for p in value.split(",") if p.strip()]
    if len(names) < 2:
        raise BepError(f"--versions needs at least two models in order, comma-separated (got '{value}')")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BepError(f"--versions names model '{twice[0]}' twice")
    missing = [n for n in names if n not in set(models)]
    if missing:
        raise BepError(f"--versions: model '{missing[0]}' has no samples in the data (models: {', '.join(sorted(models))})")
    return names


def versions_from_table(frame: pd.DataFrame, source: str) -> list[str] | None:
    """The model order a tidy table's ``version`` column gives (None without the column)."""
    if "version" not in frame.columns:
        return None
    values = pd.to_numeric(frame["version"], errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise BepError(f"{source}: row {row + 1} has version '{frame['version'].iloc[row]}' (must be a number giving the model's order)")
    per_model = pd.DataFrame({"model": frame["model"].astype(str).str.strip().to_numpy(), "version": values.to_numpy()})
    first = per_model.groupby("model", sort=False)["version"].transform("first")
    differs = (per_model["version"] != first).to_numpy()
    if differs.any():
        row = int(np.flatnonzero(differs)[0])
        model = str(per_model["model"].iloc[row])
        raise BepError(f"{source}: row {row + 1} gives model '{model}' version {per_model['version'].iloc[row]:g}, "
                       f"an earlier row {first.iloc[row]:g}; a model is one version")
    distinct = per_model.drop_duplicates()
    clash = distinct[distinct["version"].duplicated(keep=False)]
    if not clash.empty:
        raise BepError(f"{source}: models {', '.join(sorted(clash['model']))} share version {clash['version'].iloc[0]:g}")
    return list(distinct.sort_values("version")["model"])


def read_version_order(paths: Sequence[str | Path]) -> list[str] | None:
    """The model order given by the ``version`` column of the tidy tables among ``paths``."""
    found: dict[str, float] = {}
    for raw in paths:
        path = Path(raw)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".parquet") or not path.is_file():
            continue
        if suffix == ".csv":
            head = pd.read_csv(path, nrows=0)
            if "version" not in head.columns:
                continue
            frame = pd.read_csv(path, usecols=["model", "version"])
        else:
            frame = pd.read_parquet(path)
            if "version" not in frame.columns:
                continue
        order = versions_from_table(frame, str(path))
        assert order is not None
        for model in order:
            version = float(pd.to_numeric(frame.loc[frame["model"].astype(str).str.strip() == model, "version"]).iloc[0])
            if found.setdefault(model, version) != version:
                raise BepError(f"{path}: model '{model}' has version {version:g} here and {found[model]:g} in another table")
    if not found:
        return None
    return sorted(found, key=lambda m: found[m])


def _effect_fit(rows: pd.DataFrame, outcome_type: str, trials: int, level: float) -> tuple[Slope | None, str, str, list[str]]:
    """The ``a x version`` term of the outcome's GLM on role, version rank and their product."""
    notes: list[str] = []
    clusters = int(rows["item"].nunique())
    b = (rows["role"].astype(str) == "a").to_numpy(dtype=float)  # the effect is a - b
    rank = rows["rank"].to_numpy(dtype=float)
    unit = "change of the a-vs-b log-odds per version" if outcome_type != "mean" else "change of the a-vs-b difference per version"
    if outcome_type == "mean":
        exog = np.column_stack([np.ones(len(rows)), b, rank, b * rank])
        y = rows["outcome"].to_numpy(dtype=float)
        if np.all(y == y[0]):
            return Slope(0.0, 0.0, 0.0, 0.0, 1.0, level, unit), "", "least squares", [f"every outcome is {y[0]:g}"]
        groups = pd.factorize(rows["item"].astype(str))[0]
        fitted, se = _robust_fit(y, exog, groups, None, sm.families.Gaussian(), clusters)
        return _slope(fitted, 3, level, unit), se, "least squares", notes
    cells = (
        rows.assign(_succ=np.round(rows["outcome"].to_numpy(dtype=float) * trials), _n=float(trials), _b=b)
        .groupby(["_b", "rank", "item"], sort=True)[["_succ", "_n"]].sum().reset_index()
    )
    cb, cr = cells["_b"].to_numpy(dtype=float), cells["rank"].to_numpy(dtype=float)
    exog = np.column_stack([np.ones(len(cells)), cb, cr, cb * cr])
    succ = cells["_succ"].to_numpy(dtype=float)
    endog = np.column_stack([succ, cells["_n"].to_numpy(dtype=float) - succ])
    groups = pd.factorize(cells["item"].astype(str))[0]
    result: object | None
    try:
        result, se = _robust_fit(endog, exog, groups, None, sm.families.Binomial(), clusters)
    except (np.linalg.LinAlgError, ValueError):
        result, se = None, ""
    mu = None if result is None else np.asarray(result.mu)  # type: ignore[attr-defined]
    params = None if result is None else np.asarray(result.params)  # type: ignore[attr-defined]
    separated = (
        result is None or mu is None or params is None
        or bool(np.any((mu < 1e-6) | (mu > 1 - 1e-6)))
        or not np.all(np.isfinite(params)) or bool(np.any(np.abs(params) > 15))
    )
    if not separated:
        return _slope(result, 3, level, unit), se, "maximum likelihood", notes
    # a condition with all or no successes under some version: half a success and half a failure
    # added to each (role, version) cell, model-based standard errors
    design = pd.DataFrame({"b": cb, "r": cr}).drop_duplicates().to_numpy()
    extra = np.column_stack([np.ones(len(design)), design[:, 0], design[:, 1], design[:, 0] * design[:, 1]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        penalised = sm.GLM(np.vstack([endog, np.full((len(extra), 2), PSEUDO)]), np.vstack([exog, extra]),
                           family=sm.families.Binomial()).fit()
    notes.append("a condition has all or no successes under some version: refitted with half a success and half a "
                 "failure per role and version, model-based standard errors")
    return _slope(penalised, 3, level, unit), "model-based", "penalised (pseudo-counts)", notes


def _incoherence_fit(rows: pd.DataFrame, level: float) -> Slope | None:
    moments = _shares(item_moments(rows, ["role", "rank"]))
    if len(moments) < 3 or moments["rank"].nunique() < 2:
        return None
    b = (moments["role"].astype(str) == "b").to_numpy(dtype=float)
    return _share_slope(moments, "rank", [b] if 0 < b.sum() < len(b) else [], level, "incoherence per version")[0]


def version_trends(
    scored: pd.DataFrame,
    study: Study,
    order: Sequence[str],
    alpha: float,
    effects: Mapping[tuple[str, str], tuple[float | None, tuple[float, float] | None]],
    incoherence: Mapping[tuple[str, str], float | None],
) -> list[VersionTrend]:
    """The trends of one study's variants across the ordered models (scored rows of the study).

    ``effects`` and ``incoherence`` hold each (model, variant)'s effect with its adjusted
    interval and its incoherence, as the per-model analysis found them.
    """
    rank_of = {m: i for i, m in enumerate(order)}
    data = scored[scored["model"].astype(str).isin(rank_of)]
    data = data.assign(rank=data["model"].astype(str).map(rank_of).astype(int))
    trends: list[VersionTrend] = []
    binomial = study.outcome.type in ("binary", "proportion")
    trials = study.outcome.trials if study.outcome.type == "proportion" else 1
    for v in study.variants.values():
        rows = data[data["variant"].astype(str) == v.id]
        both = rows.groupby("rank")["role"].agg(lambda r: set(r.astype(str)) >= {"a", "b"})
        ranks = sorted(int(k) for k, ok in both.items() if ok)
        if len(ranks) < 2:
            continue
        rows = rows[rows["rank"].isin(ranks)]
        points = [
            VersionPoint(order[k], k, *effects.get((order[k], v.id), (None, None)), incoherence.get((order[k], v.id)))
            for k in ranks
        ]
        slope, se, fit, notes = _effect_fit(rows, study.outcome.type, trials, 1 - alpha)
        coh = _incoherence_fit(rows, 1 - alpha) if binomial else None
        trends.append(VersionTrend(study, v.id, v.factor, points, slope, coh, se, fit, notes))
    _adjust(trends, alpha)
    return trends


def _adjust(trends: list[VersionTrend], alpha: float) -> None:
    """Bonferroni intervals at ``1 - alpha/k`` and Holm p-values, per kind of trend."""
    for kind in ("effect", "incoherence"):
        slopes = [s for t in trends if (s := getattr(t, kind)) is not None]
        k = len(slopes)
        if not k:
            continue
        for s, p in zip(slopes, _holm([s.p for s in slopes]), strict=True):
            half = (s.high - s.low) / 2
            scale = float(norm.ppf(1 - alpha / k / 2) / norm.ppf(1 - (1 - s.level) / 2)) if s.dist == "z" else (
                float(student_t.ppf(1 - alpha / k / 2, s.df) / student_t.ppf(1 - (1 - s.level) / 2, s.df)))
            s.level, s.p_holm = 1 - alpha / k, p
            s.low, s.high = s.coef - scale * half, s.coef + scale * half


def _holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (statsmodels' multipletests runs a garbage collection per call,
    which dominates the calibration's replications)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order]))
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return [float(x) for x in out]
