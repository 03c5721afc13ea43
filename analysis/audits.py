"""Audits of the classifiers: evaluation awareness per condition, rule against judge.

* ``eval_aware`` (1 when the model's reasoning calls the scenario a test or an evaluation) is
  counted per condition; a pair whose rates differ gets a warning
  (:func:`beyond_episode.analysis.exclusions.awareness_difference`).
* For every classifier with both a rule label (``label_rule_<name>``) and a judge label
  (``label_judge_<name>``), over the samples that carry both: raw agreement and Cohen's kappa
  (``statsmodels.stats.inter_rater.cohens_kappa``) with a two-sided ``1 - alpha`` interval
  from its asymptotic standard error, clipped to [-1, 1].
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.inter_rater import cohens_kappa

from .results import Agreement
from .tidy import LABEL_PREFIXES

RULE, JUDGE = LABEL_PREFIXES


def awareness_counts(part: pd.DataFrame | None) -> tuple[int, int]:
    """(samples aware, samples with an ``eval_aware`` value) of one condition's rows."""
    if part is None or part.empty or "eval_aware" not in part.columns:
        return 0, 0
    values = part["eval_aware"].to_numpy(dtype=float)
    known = values[~np.isnan(values)]
    return int((known > 0.5).sum()), int(known.size)


def classifiers(frame: pd.DataFrame) -> list[str]:
    """Classifier names with both a rule and a judge label column."""
    cols = {str(c) for c in frame.columns}
    return sorted(c.removeprefix(RULE) for c in cols if c.startswith(RULE) and JUDGE + c.removeprefix(RULE) in cols)


def agreement(frame: pd.DataFrame, name: str, alpha: float) -> Agreement | None:
    """Rule against judge for one classifier over the rows that carry both labels."""
    rule = frame[RULE + name].astype("string")
    judge = frame[JUDGE + name].astype("string")
    both = (rule.notna() & judge.notna()).to_numpy()
    if not both.any():
        return None
    rule, judge = rule[both].astype(str), judge[both].astype(str)
    labels = sorted(set(rule) | set(judge))
    table = pd.crosstab(pd.Categorical(rule, categories=labels), pd.Categorical(judge, categories=labels),
                        dropna=False).reindex(index=labels, columns=labels, fill_value=0)
    counts = table.to_numpy(dtype=int)
    n = int(counts.sum())
    raw = float(np.trace(counts)) / n
    kappa: float | None = None
    low = high = None
    if len(labels) > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = cohens_kappa(counts)
        k, se = float(res.kappa), float(res.std_kappa)
        if np.isfinite(k):
            kappa = k
            z = float(stats.norm.ppf(1 - alpha / 2))
            width = z * se if np.isfinite(se) else np.inf
            low, high = max(-1.0, k - width), min(1.0, k + width)
    return Agreement(name, n, raw, kappa, low, high, labels, counts.tolist())


def agreements(frame: pd.DataFrame, alpha: float) -> list[Agreement]:
    """Rule against judge for every classifier that has both labels in ``frame``."""
    found = (agreement(frame, name, alpha) for name in classifiers(frame))
    return [a for a in found if a is not None]
