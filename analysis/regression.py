"""One regression over a whole study: the outcome on every factor that varies in the data.

Binary and proportion outcomes get a logistic GLM (binomial, successes and failures out of the
outcome's trials); mean outcomes get OLS. Factors are categorical with the study's default
level as reference. Standard errors are clustered by item when there are more items than
parameters; otherwise model-based, with a note. On (quasi-)separation (fitted probabilities
at 0 or 1, coefficients or standard errors running off, no convergence) the fit is redone with
a penalty: half a success and half a failure added to every design cell (a data-augmentation
form of Firth's correction), with model-based standard errors. Terms that stay unbounded are
marked not estimable instead of being printed.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationError

from beyond_episode.ablations.study import Outcome

COEF_LIMIT = 15.0
SE_LIMIT = 50.0


@dataclass
class Term:
    name: str
    coef: float | None
    se: float | None
    stat: float | None
    p: float | None
    low: float | None
    high: float | None
    estimable: bool = True


@dataclass
class RegressionResult:
    model: str
    """``logistic GLM`` or ``OLS``."""
    fit: str
    """``maximum likelihood``, ``penalised (pseudo-counts)`` or ``least squares``."""
    se: str
    """``clustered by item`` or ``model-based``."""
    n: int
    clusters: int
    reference: dict[str, str]
    terms: list[Term]
    notes: list[str] = field(default_factory=list)


def _design(frame: pd.DataFrame, factors: Sequence[str], reference: Mapping[str, str]) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Dummy-coded design (intercept first), the references used, and notes on dropped terms."""
    notes: list[str] = []
    used: dict[str, str] = {}
    columns: dict[str, np.ndarray] = {"Intercept": np.ones(len(frame))}
    for factor in factors:
        values = frame[factor].astype(str)
        levels = sorted(values.unique())
        if len(levels) < 2:
            continue
        ref = reference.get(factor)
        if ref not in levels:
            ref = values.value_counts().index[0]
        used[factor] = str(ref)
        for level in levels:
            if level != ref:
                columns[f"{factor}={level}"] = (values == level).to_numpy(dtype=float)
    design = pd.DataFrame(columns)
    # drop aliased terms (one-factor-at-a-time designs can confound factors); the rank is
    # computed on the distinct rows, which are few
    distinct = design.drop_duplicates().to_numpy()
    keep: list[str] = []
    for i, name in enumerate(design.columns):
        trial = distinct[:, [design.columns.get_loc(k) for k in keep] + [i]]
        if np.linalg.matrix_rank(trial) == len(keep) + 1:
            keep.append(name)
        else:
            notes.append(f"term {name} is aliased with earlier terms in this design and was dropped")
    return design[keep], used, notes


def _unstable(result: object) -> bool:
    params = np.asarray(result.params)  # type: ignore[attr-defined]
    bse = np.asarray(result.bse)  # type: ignore[attr-defined]
    return bool(
        not np.all(np.isfinite(params))
        or not np.all(np.isfinite(bse))
        or np.any(np.abs(params) > COEF_LIMIT)
        or np.any(bse > SE_LIMIT)
    )


def _terms(result: object, names: Sequence[str], alpha: float) -> list[Term]:
    params = np.asarray(result.params)  # type: ignore[attr-defined]
    bse = np.asarray(result.bse)  # type: ignore[attr-defined]
    stat = np.asarray(result.tvalues)  # type: ignore[attr-defined]
    pvals = np.asarray(result.pvalues)  # type: ignore[attr-defined]
    ci = np.asarray(result.conf_int(alpha=alpha))  # type: ignore[attr-defined]
    terms = []
    for i, name in enumerate(names):
        ok = bool(np.isfinite(params[i]) and np.isfinite(bse[i]) and abs(params[i]) <= COEF_LIMIT and bse[i] <= SE_LIMIT)
        if ok:
            terms.append(Term(name, float(params[i]), float(bse[i]), float(stat[i]), float(pvals[i]), float(ci[i, 0]), float(ci[i, 1])))
        else:
            terms.append(Term(name, None, None, None, None, None, None, estimable=False))
    return terms


def fit_study(
    frame: pd.DataFrame,
    outcome: Outcome,
    factors: Sequence[str],
    reference: Mapping[str, str],
    alpha: float,
) -> RegressionResult | None:
    """Fit the study-wide regression on scored rows (columns ``outcome``, ``item`` and factors)."""
    binomial = outcome.type in ("binary", "proportion")
    label = "logistic GLM" if binomial else "OLS"
    y = frame["outcome"].to_numpy(dtype=float)
    if len(y) == 0:
        return None
    clusters = int(frame["item"].nunique())
    trials = outcome.trials if outcome.type == "proportion" else 1
    if binomial:
        # the binomial likelihood only needs successes and trials per design cell and item, so
        # fit on those sums: the same estimates and cluster score sums, far fewer rows
        data = (
            frame[[*factors, "item"]]
            .astype(str)
            .assign(_succ=np.round(y * trials), _n=float(trials))
            .groupby([*factors, "item"], sort=False)[["_succ", "_n"]]
            .sum()
            .reset_index()
        )
    else:
        data = frame
    design, used, notes = _design(data, factors, reference)
    empty = RegressionResult(label, "not fitted", "", len(y), clusters, used, [], notes)
    if design.shape[1] < 2:
        empty.notes.append("no factor varies in the scored data; nothing to regress on")
        return empty
    if np.all(y == y[0]):
        empty.notes.append(f"every scored outcome is {y[0]:g}; a regression has nothing to explain")
        return empty
    if len(y) <= design.shape[1]:
        empty.notes.append(f"{len(y)} scored samples for {design.shape[1]} parameters; not fitted")
        return empty

    groups = pd.factorize(data["item"].astype(str))[0]
    cluster = clusters > design.shape[1]
    if not cluster:
        notes.append(
            f"only {clusters} item(s) for {design.shape[1]} parameters: too few clusters for cluster-robust "
            "standard errors, so model-based ones are shown (they ignore correlation within item)"
        )
    fit_kwargs: dict[str, object] = (
        {"cov_type": "cluster", "cov_kwds": {"groups": groups}} if cluster else {}
    )
    se_label = "clustered by item" if cluster else "model-based"
    names = list(design.columns)
    exog = design.to_numpy()

    if not binomial:
        result = sm.OLS(y, exog).fit(**fit_kwargs)
        return RegressionResult(label, "least squares", se_label, len(y), clusters, used, _terms(result, names, alpha), notes)

    succ = data["_succ"].to_numpy(dtype=float)
    endog = np.column_stack([succ, data["_n"].to_numpy(dtype=float) - succ])
    separated = False
    result = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = sm.GLM(endog, exog, family=sm.families.Binomial()).fit(**fit_kwargs)
        except (PerfectSeparationError, np.linalg.LinAlgError, ValueError):
            separated = True
    # statsmodels also warns of "perfect prediction" when a saturated model reproduces the cell
    # proportions exactly, which is not separation: the signs of separation are fitted
    # probabilities at 0 or 1, coefficients drifting off, or no convergence
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        separated = True
    if result is not None:
        mu = np.asarray(result.mu)
        boundary = bool(np.any((mu < 1e-6) | (mu > 1 - 1e-6)))
        if boundary or not getattr(result, "converged", True) or _unstable(result):
            separated = True
    if not separated and result is not None:
        return RegressionResult(label, "maximum likelihood", se_label, len(y), clusters, used, _terms(result, names, alpha), notes)

    # penalised refit: half a success and half a failure per distinct design row
    cells = design.drop_duplicates().to_numpy()
    aug_exog = np.vstack([exog, cells])
    aug_endog = np.vstack([endog, np.full((len(cells), 2), 0.5)])
    notes.append(
        "the maximum-likelihood fit shows (quasi-)separation (a factor level with all or no successes); "
        "refitted with a penalty (half a success and half a failure added per design cell, "
        "a Firth-like pseudo-count) and model-based standard errors; the per-variant exact tests are unaffected"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            penalised = sm.GLM(aug_endog, aug_exog, family=sm.families.Binomial()).fit()
        except Exception as err:  # noqa: BLE001 - never crash the report on a fit
            notes.append(f"the penalised fit failed too ({type(err).__name__}); no coefficients shown")
            return RegressionResult(label, "not fitted", "", len(y), clusters, used, [], notes)
    terms = _terms(penalised, names, alpha)
    bad = [t.name for t in terms if not t.estimable]
    if bad:
        notes.append(f"not estimable even with the penalty (shown as n/e): {', '.join(bad)}")
    return RegressionResult(label, "penalised (pseudo-counts)", "model-based", len(y), clusters, used, terms, notes)
