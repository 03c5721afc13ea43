"""The analyzer's results in their JSON form (``verdicts.json``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .coherence import Coherence
    from .results import ConditionResult, Report, StudyResult, VariantResult
    from .trend_fit import Slope
    from .trend_length import LengthTrend
    from .trend_versions import VersionTrend

SCHEMA_VERSION = "1.0"


def report_dict(report: Report) -> dict[str, Any]:
    """The whole report as JSON-ready data (NaN and infinities as ``null``)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "settings": report.settings,
        "notes": report.notes,
        "results": [_study_dict(r) for r in report.results],
        "versions": {"order": list(report.versions), "trends": [_trend_dict(t) for t in report.trends]},
    }


def _num(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def _pair(x: tuple[float, float] | None) -> list[float | None] | None:
    return None if x is None else [_num(x[0]), _num(x[1])]


def _coherence(c: Coherence | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "incoherence": _num(c.incoherence),
        "bias2": _num(c.bias2),
        "variance": _num(c.variance),
        "items": c.items,
        "samples": c.samples,
        "reading": c.reading,
    }


def _condition_dict(c: ConditionResult) -> dict[str, Any]:
    e = c.estimate
    return {
        "id": c.id,
        "levels": dict(c.levels),
        "samples": c.total,
        "scored": c.scored,
        "excluded": {"errored": c.errored, "unscored": c.unscored, "total": c.excluded},
        "mean": _num(e.mean),
        "interval": _pair((e.low, e.high)) if e.n else None,
        "interval_method": e.method,
        "successes": _num(e.successes),
        "trials": e.trials,
        "coherence": _coherence(c.coherence),
        "exclusions": {
            reason: {"count": count, "rate": _num(c.exclusion_rate(reason))} for reason, count in c.exclusions.items()
        },
        "exclusion_rate": _num(c.exclusion_rate()),
        "eval_aware": {"aware": c.aware, "n": c.aware_n, "rate": _num(c.aware_rate)},
    }


def _variant_dict(v: VariantResult, r: StudyResult) -> dict[str, Any]:
    return {
        "id": v.id,
        "number": v.number,
        "description": v.description,
        "factor": v.factor,
        "levels": {"a": v.a.levels.get(v.factor), "b": v.b.levels.get(v.factor)},
        "has_data": v.has_data,
        "effect": _num(v.effect),
        "interval": _pair(v.interval),
        "interval_unadjusted": _pair(v.interval_unadjusted),
        "p": {
            "permutation": _num(v.p_permutation),
            "permutation_method": v.p_method,
            "fisher": _num(v.p_fisher),
            "holm": _num(v.p_holm),
        },
        "shows_effect": v.shows_effect,
        "interval_method": v.interval_method,
        "bootstrap_replicates": v.bootstrap_replicates,
        "n": {"a": v.a.scored, "b": v.b.scored},
        "excluded": {
            "a": {"errored": v.a.errored, "unscored": v.a.unscored},
            "b": {"errored": v.b.errored, "unscored": v.b.unscored},
        },
        "conditions": {"a": _condition_dict(v.a), "b": _condition_dict(v.b)},
        "verdicts": {h.id: h.per_variant.get(v.id) for h in r.hypotheses},
        "coherence": _coherence(v.coherence),
        "exclusion_test": {
            "fisher": _num(v.exclusion_p),
            "holm": _num(v.exclusion_p_holm),
            "selective": v.exclusion_p_holm is not None and v.exclusion_p_holm < r.alpha,
        },
        "eval_aware_test": {
            "fisher": _num(v.aware_p),
            "holm": _num(v.aware_p_holm),
            "differs": v.aware_p_holm is not None and v.aware_p_holm < r.alpha,
        },
        "worst_case": {
            "bound": _pair(v.bound),
            "interval": _pair(v.bound_interval),
            "could_flip": {k: list(x) for k, x in v.could_flip.items()},
        },
    }


def _study_dict(r: StudyResult) -> dict[str, Any]:
    s = r.study
    reg = r.regression
    return {
        "study": s.id,
        "family": s.family,
        "model": r.model,
        "outcome": {"name": s.outcome.name, "type": s.outcome.type, "label": s.outcome.label, "trials": s.outcome.trials},
        "margin": s.margin,
        "alpha": r.alpha,
        "variants_with_data": r.k,
        "alpha_adjusted": r.alpha_adjusted,
        "conclusion": {"code": r.conclusion, "reasons": list(r.reasons)},
        "hypotheses": [
            {
                "id": h.id,
                "kind": h.kind,
                "description": h.description,
                "status": h.status,
                "contradicted_by": list(h.contradicting),
                "supported_by": list(h.supporting),
                "tested": h.tested,
                "verdicts": dict(h.per_variant),
            }
            for h in r.hypotheses
        ],
        "variants": [_variant_dict(v, r) for v in r.variants],
        "regression": None
        if reg is None
        else {
            "model": reg.model,
            "fit": reg.fit,
            "se": reg.se,
            "n": reg.n,
            "clusters": reg.clusters,
            "reference": reg.reference,
            "terms": [
                {
                    "term": t.name,
                    "estimable": t.estimable,
                    "coef": _num(t.coef),
                    "se": _num(t.se),
                    "stat": _num(t.stat),
                    "p": _num(t.p),
                    "interval": [_num(t.low), _num(t.high)] if t.estimable else None,
                }
                for t in reg.terms
            ],
            "notes": list(reg.notes),
        },
        "coherence": {
            "target": 1.0,
            "overall": _coherence(r.coherence),
            "by_actions": [
                {
                    "bin": b.label,
                    "low": b.low,
                    "high": b.high,
                    "mean_actions": _num(b.mean_actions),
                    **(_coherence(b.coherence) or {}),
                }
                for b in r.coherence_by_actions
            ],
            "length_trend": _length_dict(r.length_trend),
        },
        "notes": list(r.notes),
        "warnings": list(r.warnings),
        "worst_case": {
            "outcome_range": _pair(r.outcome_range),
            "robustness": r.robustness,
            "conclusions": None if r.conclusions_within_bounds is None else list(r.conclusions_within_bounds),
        },
        "agreement": [
            {
                "classifier": a.classifier,
                "n": a.n,
                "agreement": _num(a.agreement),
                "kappa": _num(a.kappa),
                "interval": None if a.low is None or a.high is None else [_num(a.low), _num(a.high)],
                "labels": list(a.labels),
                "table": [list(row) for row in a.table],
            }
            for a in r.agreement
        ],
    }


def _slope_dict(s: Slope | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"coef": _num(s.coef), "se": _num(s.se), "interval": [_num(s.low), _num(s.high)], "level": s.level,
            "p": _num(s.p), "p_holm": _num(s.p_holm), "unit": s.unit, "direction": s.direction}


def _length_dict(t: LengthTrend | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "points": [{"length": p.length, **(_coherence(p.coherence) or {})} for p in t.points],
        "slope": _slope_dict(t.slope),
        "se": t.se,
        "groups": t.groups,
        "clusters": t.clusters,
        "reason": t.reason,
        "notes": list(t.notes),
    }


def _trend_dict(t: VersionTrend) -> dict[str, Any]:
    return {
        "study": t.study.id,
        "variant": t.variant,
        "versions": [
            {"model": p.model, "rank": p.rank, "effect": _num(p.effect), "interval": _pair(p.interval),
             "incoherence": _num(p.incoherence)}
            for p in t.points
        ],
        "effect_trend": _slope_dict(t.effect),
        "incoherence_trend": _slope_dict(t.incoherence),
        "fit": t.fit,
        "se": t.se,
        "notes": list(t.notes),
    }
