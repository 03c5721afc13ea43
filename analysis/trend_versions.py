"""Effects and incoherence across model versions, with the trend tests.

Models given in order (oldest first) are versions of one model. For each variant
with scored samples in both conditions under at least two versions:

* the *effect trend* is the ``a x version`` term of a GLM of the outcome on role, the version's
  rank (0, 1, 2, ...) and their product (binomial with logit link for binary and proportion
  outcomes, successes out of trials; Gaussian for mean outcomes; standard errors as in
  :mod:`~beyond_episode.analysis.trend_fit`): the
  change per version of the a-vs-b log-odds (or difference), so a rising trend is a growing
  effect ``a - b``;
* the *incoherence trend* is the version term of the length model
  (:mod:`~beyond_episode.analysis.trend_length`) with the version rank in place of length and
  the role as a covariate (binary and proportion outcomes only).

The trend tests of a study are one family per kind, controlled like the variants' effects:
intervals at ``1 - alpha/k`` (Bonferroni over the ``k`` variants with a test) and Holm-adjusted
p-values; a trend is reported when its adjusted interval excludes 0.
"""

from __future__ import annotations

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

from .coherence import item_moments
from .trend_fit import Slope, holm, robust_fit, share_slope, shares, slope_of

PSEUDO = 0.5
"""Successes and failures added per (role, version) cell when the effect trend's fit separates."""


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
        fitted, se = robust_fit(y, exog, groups, None, sm.families.Gaussian(), clusters)
        return slope_of(fitted, 3, level, unit), se, "least squares", notes
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
        result, se = robust_fit(endog, exog, groups, None, sm.families.Binomial(), clusters)
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
        return slope_of(result, 3, level, unit), se, "maximum likelihood", notes
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
    return slope_of(penalised, 3, level, unit), "model-based", "penalised (pseudo-counts)", notes


def _incoherence_fit(rows: pd.DataFrame, level: float) -> Slope | None:
    moments = shares(item_moments(rows, ["role", "rank"]))
    if len(moments) < 3 or moments["rank"].nunique() < 2:
        return None
    b = (moments["role"].astype(str) == "b").to_numpy(dtype=float)
    return share_slope(moments, "rank", [b] if 0 < b.sum() < len(b) else [], level, "incoherence per version")[0]


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
        for s, p in zip(slopes, holm([s.p for s in slopes]), strict=True):
            half = (s.high - s.low) / 2
            scale = float(norm.ppf(1 - alpha / k / 2) / norm.ppf(1 - (1 - s.level) / 2)) if s.dist == "z" else (
                float(student_t.ppf(1 - alpha / k / 2, s.df) / student_t.ppf(1 - (1 - s.level) / 2, s.df)))
            s.level, s.p_holm = 1 - alpha / k, p
            s.low, s.high = s.coef - scale * half, s.coef + scale * half
