"""The report's tables, as format-neutral data (rendered by ``render.py``).

1. ``comparison``: per-model comparison (Apollo Table 6): one block per variant, models as columns.
2. ``variants``: numbered variation table (alignment-faking appendix): one row per variant.
3. ``hypotheses``: each hypothesis's status per model, and the conclusion.
4. ``regression``: the study-wide regression's coefficients.
5. ``coherence``: incoherence per condition and variant, and by number of actions.

Their number frames (the CSV form) are :mod:`~beyond_episode.analysis.table_frames`.
"""

from __future__ import annotations

from .effects import EFFECT_METHODS, effect_method
from .published import Published, for_study
from .results import Report, StudyResult
from .table_doc import (
    PUBLISHED_KIND,
    VERDICT_KIND,
    Column,
    Row,
    Section,
    TableDoc,
    cond_cell,
    excluded_cell,
    ival,
    num,
    pval,
)
from .trend_tables import length_sections, versions


def _model_title(r: StudyResult) -> str:
    return f"{r.study.id} — {r.model}"


def _by_study(report: Report) -> dict[str, list[StudyResult]]:
    out: dict[str, list[StudyResult]] = {}
    for r in report.results:
        out.setdefault(r.study.id, []).append(r)
    return out


VERDICT_LEGEND = (
    "Verdict marks: ✓ the adjusted interval lies inside the predicted region (supports); "
    "✗ it is disjoint from it (contradicts); ~ inconclusive; · no prediction; – no data."
)


# --------------------------------------------------------------------------- 1. comparison


def _published_cells(row: Published | None) -> list[str]:
    """The published column's cells of one variant block (empty where nothing is published)."""
    if row is None:
        return [""] * 6

    def rate(x: float | None, k: int | None, n: int | None) -> str:
        if x is None:
            return ""
        return num(x) + (f" ({k}/{n})" if k is not None and n else "")

    diff = "" if row.difference is None else num(row.difference) + (
        f" ± {num(row.difference_se)}" if row.difference_se is not None else "")
    n = " / ".join("" if x is None else str(x) for x in (row.n_a, row.n_b)).strip(" /")
    return [rate(row.rate_a, row.successes_a, row.n_a), rate(row.rate_b, row.successes_b, row.n_b), diff, "",
            row.p, n]


def comparison(report: Report, published: list[Published] | None = None) -> TableDoc:
    """Apollo's Table 6 layout: per variant the outcome under a and b, the difference and p; models as columns.

    With ``published`` rows, each published model and source adds a column (marked published);
    a variant without a published counterpart leaves it empty.
    """
    sections = []
    for study_id, results in _by_study(report).items():
        study = results[0].study
        label = study.outcome.label
        extra = for_study(published or [], study_id)
        columns = [Column("", "l")] + [Column(r.model) for r in results] + [Column(h, "r", PUBLISHED_KIND) for h in extra]
        rows: list[Row] = []
        for v in study.variants.values():
            cells = [r.variant(v.id) for r in results]
            rows.append(Row([], group=f"{v.number}. {v.id}: {v.description}" if v.description else f"{v.number}. {v.id}"))
            a_level, b_level = v.a.levels[v.factor], v.b.levels[v.factor]
            pub = list(zip(*[_published_cells(by_variant.get(v.id)) for by_variant in extra.values()], strict=True)) or [()] * 6
            rows.append(Row([f"{label}, a: {v.factor} = {a_level}"] + [num(c.a.estimate.mean) if c.a.scored else "no data" for c in cells] + list(pub[0])))
            rows.append(Row([f"{label}, b: {v.factor} = {b_level}"] + [num(c.b.estimate.mean) if c.b.scored else "no data" for c in cells] + list(pub[1])))
            rows.append(Row(["difference a − b [adjusted interval]"] + [f"{num(c.effect)} {ival(c.interval)}" if c.has_data else "n/a" for c in cells] + list(pub[2])))
            rows.append(Row(["worst-case bound (excluded samples at the extremes)"] + [ival(c.bound) if c.has_data else "n/a" for c in cells] + list(pub[3])))
            rows.append(Row(["p (permutation; Holm-adjusted)"] + [f"{pval(c.p_permutation)}; {pval(c.p_holm)}" if c.has_data else "n/a" for c in cells] + list(pub[4])))
            rows.append(Row(["n a / b (excluded a / b)"] + [f"{c.a.scored} / {c.b.scored} ({c.a.excluded} / {c.b.excluded})" for c in cells] + list(pub[5])))
        notes = [
            f"{r.model}: intervals at 1 − {r.alpha:g}/{r.k} (study-wide, Bonferroni); p Holm-adjusted over {r.k} variants"
            for r in results
        ]
        sources = {row.reference: row.source for by_variant in extra.values() for row in by_variant.values()}
        notes += [f"published ({short}): {ref}; as published, not recomputed; empty where a variant has no "
                  "published counterpart" for ref, short in sources.items()]
        sections.append(Section(f"{study_id}: {label} by condition and model", columns, rows, notes, study_id))
    return TableDoc("comparison", "Per-model comparison", sections)


# --------------------------------------------------------------------------- 2. variants


def variants(report: Report) -> TableDoc:
    sections = []
    for r in report.results:
        hyps = r.hypotheses
        columns = [
            Column("#"), Column("variant", "l"), Column("factor: a vs b", "l"),
            Column("a"), Column("b"), Column("effect a − b"), Column("adjusted interval"),
            Column("worst-case bound"), Column("p (Holm)"), Column("n a/b"), Column("excluded a/b", "l"),
        ] + [Column(h.id, "c", VERDICT_KIND) for h in hyps]
        rows = []
        for v in r.variants:
            rows.append(Row([
                str(v.number), v.id, f"{v.factor}: {v.a.levels.get(v.factor)} vs {v.b.levels.get(v.factor)}",
                cond_cell(v.a), cond_cell(v.b),
                num(v.effect) + (" *" if v.shows_effect else ""), ival(v.interval), ival(v.bound), pval(v.p_holm),
                f"{v.a.scored}/{v.b.scored}", f"{excluded_cell(v.a)} / {excluded_cell(v.b)}",
            ] + [h.per_variant.get(v.id) or "no_prediction" for h in hyps]))
        notes = [
            f"a, b: {r.study.outcome.label} with {int(round(100 * (1 - r.alpha)))}% "
            f"{_method_name(r)} intervals; effect intervals: {EFFECT_METHODS[effect_method(r.study.outcome.type)]} at 1 − {r.alpha:g}/{r.k} "
            f"= {1 - r.alpha_adjusted:.4f}; * the interval excludes 0; margin {r.study.margin:g}.",
            "worst-case bound: the effect had every excluded sample gone the worst way for a hypothesis "
            "(excluded outcomes at the outcome's extremes; see the exclusions table)",
            f"conclusion: {r.conclusion}",
        ]
        notes += [f"warning: {w}" for w in r.warnings]
        if r.robustness:
            notes.append(r.robustness)
        sections.append(Section(f"{_model_title(r)}: variants", columns, rows, notes, r.study.id))
    return TableDoc("variants", "Variation table", sections, [VERDICT_LEGEND])


def _method_name(r: StudyResult) -> str:
    for v in r.variants:
        if v.a.scored:
            return {"t": "t", "wilson": "Wilson", "jeffreys": "Jeffreys", "beta": "Beta-posterior"}.get(v.a.estimate.method, v.a.estimate.method)
    return ""


def samples(report: Report) -> TableDoc:
    """Samples per condition and model: scored of all, with every exclusion."""
    sections = []
    for study_id, results in _by_study(report).items():
        study = results[0].study
        columns = [Column("#"), Column("condition", "l")] + [Column(r.model) for r in results]
        rows = []
        for v in study.variants.values():
            for role in ("a", "b"):
                conds = [getattr(r.variant(v.id), role) for r in results]
                rows.append(Row([str(v.number), f"{v.id}.{role}"] + [
                    f"{c.scored} of {c.total}" + (f" ({excluded_cell(c)})" if c.excluded else "") for c in conds
                ]))
        totals = [
            (sum(c.total for v in r.variants for c in (v.a, v.b)), sum(c.errored for v in r.variants for c in (v.a, v.b)),
             sum(c.unscored for v in r.variants for c in (v.a, v.b)))
            for r in results
        ]
        rows.append(Row(["", "all"] + [f"{t - e - u} of {t} ({e} err, {u} unsc)" for t, e, u in totals]))
        notes = ["scored of all samples; excluded: err = the sample errored, unsc = the outcome does not count "
                 "(a reason from the family's validity rules, or no usable score); reasons in the exclusions table"]
        notes += [f"{r.model}: {n}" for r in results for n in r.notes]
        sections.append(Section(f"{study_id}: samples per condition", columns, rows, notes, study_id))
    return TableDoc("samples", "Samples and exclusions", sections)


# --------------------------------------------------------------------------- 3. hypotheses


def _status_cell(status: str, contradicting: list[str]) -> str:
    if status == "contradicted":
        return f"contradicted by {', '.join(contradicting)}"
    return status


def hypotheses(report: Report) -> TableDoc:
    sections = []
    for study_id, results in _by_study(report).items():
        study = results[0].study
        columns = [Column("hypothesis", "l"), Column("kind", "l")] + [Column(r.model, "l") for r in results]
        rows = []
        for h in study.hypotheses.values():
            verdicts = [next(x for x in r.hypotheses if x.id == h.id) for r in results]
            rows.append(Row([h.id, h.kind] + [_status_cell(x.status, x.contradicting) for x in verdicts]))
        rows.append(Row(["conclusion", ""] + [r.conclusion for r in results]))
        notes = [f"{r.model}: " + "; ".join(r.reasons) for r in results]
        sections.append(Section(f"{study_id}: hypotheses", columns, rows, notes, study_id))
    return TableDoc("hypotheses", "Hypothesis verdicts", sections)


# --------------------------------------------------------------------------- 4. regression


def regression(report: Report) -> TableDoc:
    sections = []
    for r in report.results:
        reg = r.regression
        columns = [Column("term", "l"), Column("coef"), Column("SE"), Column("z" if reg and reg.model != "OLS" else "t"),
                   Column("p"), Column(f"{int(round(100 * (1 - r.alpha)))}% interval")]
        rows = []
        notes: list[str] = []
        if reg is None:
            notes.append("no scored samples; no regression")
        else:
            for t in reg.terms:
                if t.estimable:
                    rows.append(Row([t.name, num(t.coef), num(t.se), num(t.stat, 2), pval(t.p), ival((t.low or 0.0, t.high or 0.0))]))
                else:
                    rows.append(Row([t.name, "n/e", "n/e", "n/e", "n/e", "n/e"]))
            if reg.terms:
                scale = "log-odds" if reg.model != "OLS" else r.study.outcome.label
                notes.append(
                    f"{reg.model} of {r.study.outcome.label} ({scale}); fit: {reg.fit}; SE: {reg.se}; "
                    f"n = {reg.n} scored samples, {reg.clusters} items"
                )
                if reg.reference:
                    notes.append("reference levels: " + ", ".join(f"{k.removeprefix('factor_')}={v}" for k, v in reg.reference.items()))
            notes.extend(reg.notes)
        sections.append(Section(f"{_model_title(r)}: regression", columns, rows, notes, r.study.id))
    return TableDoc("regression", "Study-wide regression", sections)


# --------------------------------------------------------------------------- 5. coherence


def coherence(report: Report) -> TableDoc:
    sections = []
    legend = [
        "Incoherence = Σ variance / Σ (bias² + variance) over items with ≥ 2 scored samples, "
        "Brier form with target y = 1 (doing one's best); > 0.5 reads variance-dominated "
        "(incoherent), ≤ 0.5 bias-dominated (coherent); n/a when every sample hits the target."
    ]
    for r in report.results:
        if r.study.outcome.type == "mean":
            sections.append(Section(f"{_model_title(r)}: coherence", [Column("", "l")], [],
                                    ["coherence needs a binary or proportion outcome; n/a for mean outcomes"], r.study.id))
            continue
        columns = [Column("#"), Column("variant", "l"), Column("a"), Column("b"), Column("variant"),
                   Column("items"), Column("reading", "l")]
        rows = []
        for v in r.variants:
            c = v.coherence
            rows.append(Row([
                str(v.number), v.id,
                num(v.a.coherence.incoherence) if v.a.coherence else "n/a",
                num(v.b.coherence.incoherence) if v.b.coherence else "n/a",
                num(c.incoherence) if c else "n/a",
                str(c.items) if c else "0",
                c.reading if c else "n/a",
            ]))
        if r.coherence is not None:
            rows.append(Row(["", "all conditions", "", "", num(r.coherence.incoherence), str(r.coherence.items), r.coherence.reading]))
        sections.append(Section(f"{_model_title(r)}: coherence", columns, rows, [], r.study.id))
        sections += length_sections(r)
    return TableDoc("coherence", "Coherence (bias and variance)", sections, legend)


def all_tables(report: Report, published: list[Published] | None = None) -> list[TableDoc]:
    docs = [samples(report), comparison(report, published), variants(report), hypotheses(report), regression(report),
            coherence(report)]
    return docs + ([versions(report)] if report.trends else [])
