"""The report's audit tables, as format-neutral data and as number frames (CSV).

1. ``exclusions``: each condition's exclusion rate by reason, the pair's test of equal rates,
   and each effect's worst-case bounds.
2. ``awareness``: the rate of evaluation awareness per condition, and the pair's test.
3. ``agreement``: rule against judge per classifier (raw agreement, Cohen's kappa).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from .exclusions import SHOWS_EFFECT
from .results import ConditionResult, Report, StudyResult, VariantResult
from .table_doc import Column, Row, Section, TableDoc, ival, num, pval


def _title(r: StudyResult) -> str:
    return f"{r.study.id} — {r.model}"


def _rate(x: int, n: int) -> str:
    return f"{x} ({100 * x / n:.0f}%)" if n else "–"


def reasons_of(r: StudyResult) -> list[str]:
    """Every exclusion reason seen in a study x model, most frequent first."""
    totals: dict[str, int] = {}
    for v in r.variants:
        for c in (v.a, v.b):
            for reason, count in c.exclusions.items():
                totals[reason] = totals.get(reason, 0) + count
    return [k for k, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]


def flip_text(v: VariantResult) -> str:
    if not v.could_flip:
        return "none" if v.bound is not None else "n/a"
    parts = []
    for key, others in v.could_flip.items():
        parts.append(f"effect → {others[0]}" if key == SHOWS_EFFECT else f"{key} → {'/'.join(others)}")
    return "; ".join(parts)


# --------------------------------------------------------------------------- 1. exclusions


def exclusions(report: Report) -> TableDoc:
    sections = []
    for r in report.results:
        reasons = reasons_of(r)
        columns = [Column("#"), Column("condition", "l"), Column("samples"), Column("excluded")]
        columns += [Column(reason) for reason in reasons]
        columns += [Column("p a vs b (Holm)"), Column("effect"), Column("worst-case bound"),
                    Column("verdicts that could flip", "l")]
        rows = []
        for v in r.variants:
            for c in (v.a, v.b):
                first = c.role == "a"
                rows.append(Row(
                    [str(v.number) if first else "", c.id, str(c.total), _rate(c.excluded, c.total)]
                    + [_rate(c.exclusions.get(reason, 0), c.total) for reason in reasons]
                    + ([f"{pval(v.exclusion_p)} ({pval(v.exclusion_p_holm)})" if v.exclusion_p is not None else "n/a",
                        num(v.effect), ival(v.bound), flip_text(v)] if first else ["", "", "", ""])
                ))
        lo_hi = r.outcome_range
        notes = [
            "excluded: samples whose outcome does not count, as count (share of the condition's samples); "
            "error = the sample errored, no_score = no usable outcome and no stated reason",
            f"p: Fisher's exact test of equal exclusion rates in a and b (every reason pooled), Holm-adjusted over "
            f"the pairs; below {r.alpha:g} the pair is flagged",
            "worst-case bound: the effect had every excluded sample had the outcome "
            + (f"{num(lo_hi[0])} or {num(lo_hi[1])}" if lo_hi else "n/a")
            + (" (observed range)" if r.study.outcome.type == "mean" else "")
            + ", whichever is worse for a hypothesis (Manski); a verdict could flip when the adjusted interval, "
            "moved within the bound, gets another verdict",
        ]
        notes += [f"warning: {w}" for w in r.warnings if w.startswith("selective exclusion")]
        if r.robustness:
            notes.append(r.robustness)
        sections.append(Section(f"{_title(r)}: exclusions and worst-case bounds", columns, rows, notes, r.study.id))
    return TableDoc("exclusions", "Exclusions and worst-case bounds", sections)


def _reason_numbers(c: ConditionResult, reasons: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for reason in reasons:
        count = c.exclusions.get(reason, 0)
        out[f"excluded_{reason}"] = count
        out[f"rate_{reason}"] = count / c.total if c.total else None
    return out


def exclusions_frame(report: Report) -> pd.DataFrame:
    rows = []
    for r in report.results:
        reasons = reasons_of(r)
        for v in r.variants:
            for c in (v.a, v.b):
                rows.append({
                    "study": r.study.id, "model": r.model, "number": v.number, "variant": v.id, "role": c.role,
                    "condition": c.id, "samples": c.total, "scored": c.scored, "excluded": c.excluded,
                    "rate_excluded": c.exclusion_rate(),
                    **_reason_numbers(c, reasons),
                    "p_fisher": v.exclusion_p, "p_holm": v.exclusion_p_holm,
                    "selective": v.exclusion_p_holm is not None and v.exclusion_p_holm < r.alpha,
                    "effect": v.effect,
                    "bound_low": v.bound[0] if v.bound else None, "bound_high": v.bound[1] if v.bound else None,
                    "bound_interval_low": v.bound_interval[0] if v.bound_interval else None,
                    "bound_interval_high": v.bound_interval[1] if v.bound_interval else None,
                    "could_flip": flip_text(v),
                })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- 2. awareness


def awareness(report: Report) -> TableDoc:
    sections = []
    for r in report.results:
        columns = [Column("#"), Column("variant", "l"), Column("a aware"), Column("b aware"),
                   Column("difference a − b"), Column("p (Holm)")]
        rows = []
        if any(c.aware_n for v in r.variants for c in (v.a, v.b)):
            for v in r.variants:
                a, b = v.a, v.b
                diff = (a.aware_rate - b.aware_rate) if a.aware_rate is not None and b.aware_rate is not None else None
                rows.append(Row([
                    str(v.number), v.id,
                    f"{a.aware} of {a.aware_n}" + (f" ({num(a.aware_rate, 2)})" if a.aware_n else ""),
                    f"{b.aware} of {b.aware_n}" + (f" ({num(b.aware_rate, 2)})" if b.aware_n else ""),
                    num(diff), f"{pval(v.aware_p)} ({pval(v.aware_p_holm)})" if v.aware_p is not None else "n/a",
                ]))
            notes = [
                "aware: samples whose reasoning calls the scenario a test or an evaluation (eval_aware = 1), of the "
                "samples with a value; p: Fisher's exact test, Holm-adjusted over the pairs"
            ]
            notes += [f"warning: {w}" for w in r.warnings if w.startswith("evaluation awareness")]
        else:
            notes = ["no eval_aware values in the data"]
        sections.append(Section(f"{_title(r)}: evaluation awareness", columns, rows, notes, r.study.id))
    return TableDoc("awareness", "Evaluation awareness", sections)


def awareness_frame(report: Report) -> pd.DataFrame:
    rows = []
    for r in report.results:
        for v in r.variants:
            for c in (v.a, v.b):
                rows.append({
                    "study": r.study.id, "model": r.model, "number": v.number, "variant": v.id, "role": c.role,
                    "condition": c.id, "aware": c.aware, "with_value": c.aware_n, "rate": c.aware_rate,
                    "p_fisher": v.aware_p, "p_holm": v.aware_p_holm,
                })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- 3. agreement


def agreement(report: Report) -> TableDoc:
    sections = []
    for r in report.results:
        level = f"{int(round(100 * (1 - r.alpha)))}%"
        columns = [Column("classifier", "l"), Column("samples"), Column("agreement"), Column("Cohen's kappa"),
                   Column(f"{level} interval"), Column("labels (rule × judge)", "l")]
        rows = [
            Row([a.classifier, str(a.n), num(a.agreement), num(a.kappa), ival((a.low, a.high)) if a.low is not None and a.high is not None else "n/a",
                 ", ".join(a.labels)])
            for a in r.agreement
        ]
        notes = (
            ["samples with both a rule and a judge label; agreement: share of equal labels; kappa interval from "
             "its asymptotic standard error (n/a when both give one label only)"]
            if rows else ["no classifier has both a rule and a judge label (bind a grader model role to get judge labels)"]
        )
        sections.append(Section(f"{_title(r)}: rule against judge", columns, rows, notes, r.study.id))
    return TableDoc("agreement", "Rule against judge", sections)


def agreement_frame(report: Report) -> pd.DataFrame:
    rows = []
    for r in report.results:
        for a in r.agreement:
            rows.append({
                "study": r.study.id, "model": r.model, "classifier": a.classifier, "n": a.n, "agreement": a.agreement,
                "kappa": a.kappa, "low": a.low, "high": a.high, "labels": ";".join(a.labels),
            })
    return pd.DataFrame(rows, columns=["study", "model", "classifier", "n", "agreement", "kappa", "low", "high", "labels"])


def audit_tables(report: Report) -> list[TableDoc]:
    return [exclusions(report), awareness(report), agreement(report)]


AUDIT_FRAMES: dict[str, Callable[[Report], pd.DataFrame]] = {
    "exclusions": exclusions_frame,
    "awareness": awareness_frame,
    "agreement": agreement_frame,
}
