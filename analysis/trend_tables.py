"""Tables of the trends: incoherence against episode length (part of the coherence table) and
effects and incoherence across model versions (the ``versions`` table)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .results import Report, StudyResult
from .table_doc import Column, Row, Section, TableDoc, ival, num, pval
from .trend_fit import Slope
from .trend_length import LengthTrend


def slope_cell(s: Slope | None, digits: int = 3) -> str:
    if s is None:
        return "n/a"
    return f"{num(s.coef, digits)} {ival((s.low, s.high), digits)}"


def length_reading(t: LengthTrend | None) -> str:
    """One sentence on the length trend, for the table's note and the figure's title."""
    if t is None:
        return "no length trend (incoherence needs a binary or proportion outcome)"
    if t.reason:
        return f"no length trend: {t.reason}"
    s = t.slope
    if s is None:
        return "the length trend could not be estimated"
    words = {"rising": "incoherence rises with length", "falling": "incoherence falls with length",
             "no trend": "no trend of incoherence with length (the interval contains 0)"}[s.direction]
    return f"{words}: {num(s.coef, 4)} per action, {s.level:.0%} interval {ival((s.low, s.high), 4)}"


def length_sections(r: StudyResult) -> list[Section]:
    """The incoherence-by-length table of one result, with the fitted trend as its last row."""
    t = r.length_trend
    if t is None:
        return []
    title = f"{r.study.id} — {r.model}: incoherence by episode length"
    if not t.points:
        return [Section(title, [Column("", "l")], [], [length_reading(t)], r.study.id)]
    cols = [Column("length (actions)", "l"), Column("incoherence"), Column("bias²"), Column("variance"),
            Column("item groups"), Column("samples")]
    rows = [
        Row([f"{p.length:g}", num(p.coherence.incoherence), num(p.coherence.bias2), num(p.coherence.variance),
             str(p.coherence.items), str(p.coherence.samples)])
        for p in t.points
    ]
    if t.slope is not None:
        rows.append(Row(["trend per action", slope_cell(t.slope, 4), "", "", str(t.groups), f"p {pval(t.slope.p)}"]))
    notes = [length_reading(t)]
    if t.slope is not None:
        notes.append(
            "trend: GLM (identity link) of each condition x item x length group's variance share on length, "
            f"weighted by its bias² + variance; standard errors {t.se}"
        )
    notes += t.notes
    return [Section(title, cols, rows, notes, r.study.id)]


def length_frame_rows(r: StudyResult) -> list[dict[str, Any]]:
    """Rows of the coherence CSV: one per length (scope ``length``) and the trend (``length_trend``)."""
    t = r.length_trend
    if t is None:
        return []
    rows: list[dict[str, Any]] = [
        {"study": r.study.id, "model": r.model, "scope": "length", "length": p.length,
         "incoherence": p.coherence.incoherence, "bias2": p.coherence.bias2, "variance": p.coherence.variance,
         "items": p.coherence.items, "samples": p.coherence.samples}
        for p in t.points
    ]
    s = t.slope
    rows.append({"study": r.study.id, "model": r.model, "scope": "length_trend",
                 "slope": None if s is None else s.coef, "slope_low": None if s is None else s.low,
                 "slope_high": None if s is None else s.high, "slope_p": None if s is None else s.p,
                 "level": None if s is None else s.level, "reason": t.reason})
    return rows


VERSIONS_LEGEND = [
    "Models in version order (oldest first). Effect = outcome(a) − outcome(b) per version, with its adjusted "
    "interval; incoherence pools the variant's two conditions. Effect trend: the a × version term of a GLM of "
    "the outcome on role, version rank and their product (log-odds per version for binary and proportion "
    "outcomes); incoherence trend: a weighted GLM of the item groups' variance shares on version rank and "
    "role. Intervals at 1 − α/k (Bonferroni over the study's k variants with a trend test, per kind), "
    "p-values Holm-adjusted over the same family; a trend is reported when its interval excludes 0."
]


def versions(report: Report) -> TableDoc:
    sections = []
    for study in report.studies:
        trends = [t for t in report.trends if t.study.id == study.id]
        if not trends:
            continue
        models = [p.model for p in max(trends, key=lambda t: len(t.points)).points]
        cols = [Column("variant", "l"), *[Column(m) for m in models], Column("trend [interval]"),
                Column("p (Holm)"), Column("reading", "l")]
        rows: list[Row] = []
        for t in trends:
            at = {p.model: p for p in t.points}
            rows.append(Row([
                f"{t.variant}: effect",
                *[f"{num(at[m].effect)} {ival(at[m].interval)}" if m in at else "–" for m in models],
                slope_cell(t.effect), pval(t.effect.p_holm if t.effect else None),
                t.effect.direction if t.effect else "n/a",
            ]))
            if study.outcome.type != "mean":
                rows.append(Row([
                    f"{t.variant}: incoherence",
                    *[num(at[m].incoherence) if m in at else "–" for m in models],
                    slope_cell(t.incoherence), pval(t.incoherence.p_holm if t.incoherence else None),
                    t.incoherence.direction if t.incoherence else "n/a",
                ]))
        notes = sorted({f"{t.variant}: fit {t.fit}, standard errors {t.se}" for t in trends if t.fit}
                       | {f"{t.variant}: {n}" for t in trends for n in t.notes})
        sections.append(Section(f"{study.id}: effect and incoherence against version", cols, rows, notes, study.id))
    return TableDoc("versions", "Across model versions", sections, list(VERSIONS_LEGEND) if sections else [])


def versions_frame(report: Report) -> pd.DataFrame:
    rows = []
    for t in report.trends:
        base = {"study": t.study.id, "variant": t.variant}
        for p in t.points:
            rows.append({**base, "scope": "version", "model": p.model, "rank": p.rank, "effect": p.effect,
                         "effect_low": p.interval[0] if p.interval else None,
                         "effect_high": p.interval[1] if p.interval else None, "incoherence": p.incoherence})
        for kind, s in (("effect_trend", t.effect), ("incoherence_trend", t.incoherence)):
            if s is not None:
                rows.append({**base, "scope": kind, "slope": s.coef, "slope_low": s.low, "slope_high": s.high,
                             "level": s.level, "p": s.p, "p_holm": s.p_holm, "direction": s.direction})
    return pd.DataFrame(rows, columns=["study", "variant", "scope", "model", "rank", "effect", "effect_low", "effect_high",
                                       "incoherence", "slope", "slope_low", "slope_high", "level", "p", "p_holm",
                                       "direction"])
