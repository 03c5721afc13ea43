"""The report's tables as number frames: the CSV form of :mod:`~beyond_episode.analysis.tables`.

One frame per table key (:data:`FRAMES`), one row per number a reader may want to recompute:
per variant, per condition, per hypothesis, per regression term and per coherence scope.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .results import ConditionResult, Report, StudyResult, VariantResult
from .trend_tables import length_frame_rows, versions_frame


def comparison_frame(report: Report) -> pd.DataFrame:
    return variants_frame(report)[
        ["study", "model", "number", "variant", "factor", "level_a", "level_b", "mean_a", "mean_b",
         "effect", "low", "high", "bound_low", "bound_high", "p_permutation", "p_holm", "p_fisher", "n_a", "n_b",
         "excluded_a", "excluded_b"]
    ]


def _cond_numbers(prefix: str, c: ConditionResult) -> dict[str, Any]:
    e = c.estimate
    return {
        f"mean_{prefix}": e.mean if e.n else None,
        f"low_{prefix}": e.low if e.n else None,
        f"high_{prefix}": e.high if e.n else None,
        f"n_{prefix}": c.scored,
        f"samples_{prefix}": c.total,
        f"errored_{prefix}": c.errored,
        f"unscored_{prefix}": c.unscored,
        f"excluded_{prefix}": c.excluded,
    }


def _variant_numbers(r: StudyResult, v: VariantResult) -> dict[str, Any]:
    row: dict[str, Any] = {
        "study": r.study.id, "model": r.model, "number": v.number, "variant": v.id, "factor": v.factor,
        "level_a": v.a.levels.get(v.factor), "level_b": v.b.levels.get(v.factor),
    }
    row.update(_cond_numbers("a", v.a))
    row.update(_cond_numbers("b", v.b))
    row.update({
        "effect": v.effect,
        "low": v.interval[0] if v.interval else None,
        "high": v.interval[1] if v.interval else None,
        "low_unadjusted": v.interval_unadjusted[0] if v.interval_unadjusted else None,
        "high_unadjusted": v.interval_unadjusted[1] if v.interval_unadjusted else None,
        "alpha": r.alpha, "alpha_adjusted": r.alpha_adjusted, "margin": r.study.margin,
        "p_permutation": v.p_permutation, "p_method": v.p_method, "p_fisher": v.p_fisher, "p_holm": v.p_holm,
        "shows_effect": v.shows_effect, "bootstrap_replicates": v.bootstrap_replicates,
        "bound_low": v.bound[0] if v.bound else None, "bound_high": v.bound[1] if v.bound else None,
        "p_exclusion": v.exclusion_p, "p_exclusion_holm": v.exclusion_p_holm,
    })
    for h in r.hypotheses:
        row[f"verdict_{h.id}"] = h.per_variant.get(v.id)
    return row


def variants_frame(report: Report) -> pd.DataFrame:
    return pd.DataFrame([_variant_numbers(r, v) for r in report.results for v in r.variants])


def conditions_frame(report: Report) -> pd.DataFrame:
    rows = []
    for r in report.results:
        for v in r.variants:
            for c in (v.a, v.b):
                e = c.estimate
                row = {
                    "study": r.study.id, "model": r.model, "variant": v.id, "number": v.number, "role": c.role,
                    "condition": c.id, "samples": c.total, "scored": c.scored, "errored": c.errored,
                    "unscored": c.unscored, "mean": e.mean if e.n else None, "low": e.low if e.n else None,
                    "high": e.high if e.n else None, "interval_method": e.method, "successes": e.successes,
                    "trials": e.trials,
                }
                row.update({f"factor_{k}": lvl for k, lvl in c.levels.items()})
                rows.append(row)
    return pd.DataFrame(rows)


def hypotheses_frame(report: Report) -> pd.DataFrame:
    rows = []
    for r in report.results:
        for h in r.hypotheses:
            rows.append({
                "study": r.study.id, "model": r.model, "hypothesis": h.id, "kind": h.kind, "status": h.status,
                "contradicted_by": ";".join(h.contradicting), "supported_by": ";".join(h.supporting),
                "tested": h.tested, "conclusion": r.conclusion,
            })
    return pd.DataFrame(rows)


def regression_frame(report: Report) -> pd.DataFrame:
    rows = []
    for r in report.results:
        reg = r.regression
        if reg is None:
            continue
        for t in reg.terms:
            rows.append({
                "study": r.study.id, "model": r.model, "term": t.name, "estimable": t.estimable, "coef": t.coef,
                "se": t.se, "stat": t.stat, "p": t.p, "low": t.low, "high": t.high, "regression": reg.model,
                "fit": reg.fit, "se_type": reg.se, "n": reg.n, "clusters": reg.clusters,
            })
    return pd.DataFrame(rows)


def _coherence_row(r: StudyResult, scope: str, variant: str | None, role: str | None, c: Any,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "study": r.study.id, "model": r.model, "scope": scope, "variant": variant, "role": role,
        "incoherence": None if c is None else c.incoherence, "bias2": None if c is None else c.bias2,
        "variance": None if c is None else c.variance, "items": 0 if c is None else c.items,
        "samples": 0 if c is None else c.samples, **(extra or {}),
    }


def coherence_frame(report: Report) -> pd.DataFrame:
    rows = []
    for r in report.results:
        if r.study.outcome.type == "mean":
            continue
        for v in r.variants:
            rows.append(_coherence_row(r, "condition", v.id, "a", v.a.coherence))
            rows.append(_coherence_row(r, "condition", v.id, "b", v.b.coherence))
            rows.append(_coherence_row(r, "variant", v.id, None, v.coherence))
        rows.append(_coherence_row(r, "study", None, None, r.coherence))
        for b in r.coherence_by_actions:
            rows.append(_coherence_row(r, "actions", None, None, b.coherence,
                                       {"actions_low": b.low, "actions_high": b.high, "mean_actions": b.mean_actions}))
        rows += length_frame_rows(r)
    return pd.DataFrame(rows)


FRAMES = {
    "comparison": comparison_frame,
    "variants": variants_frame,
    "hypotheses": hypotheses_frame,
    "regression": regression_frame,
    "coherence": coherence_frame,
    "samples": conditions_frame,
    "versions": versions_frame,
}
