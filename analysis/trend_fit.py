"""The fits shared by the trend tests: GLMs with item-clustered or model-based standard errors,
the weighted fit of incoherence shares, and Holm's adjustment.

Standard errors are clustered by item (t with items - 1 degrees of freedom) when there are at
least :data:`MIN_CLUSTERS` items, otherwise model-based (Pearson dispersion, t with the residual
degrees of freedom).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

MIN_CLUSTERS = 30
"""Fewer items than this: model-based standard errors (Pearson dispersion) instead of item-clustered ones."""


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


def robust_fit(endog: np.ndarray, exog: np.ndarray, groups: np.ndarray, weights: np.ndarray | None,
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
        scale = max(1.0, pearson_x2(endog, first.mu, weights) / max(1.0, float(first.df_resid)))
        if isinstance(family, sm.families.Gaussian):
            scale = float(first.scale)
        fitted = model.fit(scale=scale, use_t=True)
        return (fitted, f"model-based with Pearson dispersion, t with {fitted.df_resid:g} df "
                        f"(only {clusters} items; clustering needs {MIN_CLUSTERS})")


def pearson_x2(endog: np.ndarray, mu: np.ndarray, weights: np.ndarray | None) -> float:
    """Pearson's X2 of a binomial fit on (successes, failures) counts, or of a weighted Gaussian fit."""
    if endog.ndim == 2:
        n = endog.sum(axis=1)
        expected = n * mu
        denom = n * mu * (1 - mu)
        keep = denom > 0
        return float(np.sum((endog[keep, 0] - expected[keep]) ** 2 / denom[keep]))
    w = np.ones_like(endog) if weights is None else weights
    return float(np.sum(w * (endog - mu) ** 2))


def slope_of(result: object, index: int, level: float, unit: str) -> Slope | None:
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


def shares(moments: pd.DataFrame) -> pd.DataFrame:
    moments = moments.assign(total=moments["bias2"] + moments["var"])
    moments = moments[moments["total"] > 1e-15]
    return moments.assign(share=moments["var"] / moments["total"])


def share_slope(moments: pd.DataFrame, x: str, covariates: list[np.ndarray], level: float,
                 unit: str) -> tuple[Slope | None, float, str]:
    """The weighted GLM of the groups' variance shares on column ``x`` (and ``covariates``):
    the slope, the intercept and the kind of standard errors."""
    share = moments["share"].to_numpy(dtype=float)
    if np.ptp(share) < 1e-12:  # the same share everywhere (e.g. every error fully coherent)
        return Slope(0.0, 0.0, 0.0, 0.0, 1.0, level, unit), float(share[0]), "none (no spread in the shares)"
    exog = np.column_stack([np.ones(len(moments)), moments[x].to_numpy(dtype=float), *covariates])
    groups = pd.factorize(moments["item"].astype(str))[0]
    result, se = robust_fit(share, exog, groups, moments["total"].to_numpy(dtype=float), sm.families.Gaussian(),
                             int(moments["item"].nunique()))
    return slope_of(result, 1, level, unit), float(np.asarray(result.params)[0]), se  # type: ignore[attr-defined]


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (statsmodels' multipletests runs a garbage collection per call,
    which dominates the calibration's replications)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order]))
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return [float(x) for x in out]
