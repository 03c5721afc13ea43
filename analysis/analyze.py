"""Analyse a tidy table: every study x model gets effects, verdicts, a regression and coherence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beyond_episode.ablations.study import Study
from beyond_episode.errors import BepError

from . import coherence as coh
from . import exclusions as exc
from .audits import agreements, awareness_counts
from .effects import (
    Paired,
    bootstrap_interval,
    effect_method,
    fisher_p,
    holm,
    permutation_p,
    rng_for,
    score_interval,
)
from .intervals import METHODS, estimate
from .read import normalise, notes_of, read_inputs
from .regression import fit_study
from .results import ConditionResult, Report, StudyResult, VariantResult
from .studies import StudyCatalog, as_catalog
from .trend_length import length_trend
from .trend_versions import (
    read_version_order,
    version_order,
    version_trends,
    versions_from_table,
)
from .verdicts import conclude, judge_all

DEFAULT_BOOT = 2000
DEFAULT_PERM = 10_000

StudiesArg = StudyCatalog | Iterable[str | Path] | Mapping[str, str | Path] | None


def reference_levels(study: Study) -> dict[str, str]:
    """Each factor's reference level: its most common level over the study's conditions.

    In a one-factor-at-a-time study this is the study default; ties (the pair factor) go to
    the level of the ``b`` conditions.
    """
    counts: dict[str, Counter[str]] = {}
    conditions = [v.b for v in study.variants.values()] + [v.a for v in study.variants.values()]
    for cond in conditions:
        for factor, level in cond.levels.items():
            counts.setdefault(factor, Counter())[level] += 1
    return {f: c.most_common(1)[0][0] for f, c in counts.items()}


def _factor_frame(frame: pd.DataFrame, study: Study) -> tuple[pd.DataFrame, list[str]]:
    """Scored rows with one column per factor: the data's ``factor_*`` where given, else the study's."""
    factors = sorted({f for v in study.variants.values() for c in v.conditions for f in c.levels})
    out = frame.copy()
    keys = out["variant"].astype(str) + "." + out["role"].astype(str)
    for factor in factors:
        mapping = {c.id: c.levels.get(factor) for v in study.variants.values() for c in v.conditions}
        from_study = keys.map(mapping)
        col = f"factor_{factor}"
        if col in out.columns:
            out[col] = out[col].astype("string").fillna(from_study.astype("string"))
        else:
            out[col] = from_study.astype("string")
    return out, [f"factor_{f}" for f in factors]


def _condition(
    variant: str, role: str, levels: Mapping[str, str], part: pd.DataFrame | None, study: Study, alpha: float, method: str
) -> tuple[ConditionResult, np.ndarray, np.ndarray]:
    if part is None or part.empty:
        values = np.empty(0)
        items = np.empty(0, dtype=object)
        errored = unscored = total = 0
        reasons: dict[str, int] = {}
    else:
        status = part["status"].astype(str).to_numpy()
        ok = status == "ok"
        values = part["outcome"].to_numpy(dtype=float)[ok]
        items = part["item"].astype(str).to_numpy()[ok]
        errored = int((status == "error").sum())
        unscored = int((status == "unscored").sum())
        total = len(part)
        reasons = _reasons(part, status)
    est = estimate(values, study.outcome, alpha, method)
    aware, aware_n = awareness_counts(part)
    cond = ConditionResult(variant, role, dict(levels), total, errored, unscored, est,
                           exclusions=reasons, aware=aware, aware_n=aware_n, sources=_sources(part))
    return cond, values, items


def _sources(part: pd.DataFrame | None) -> dict[str, list[str]]:
    """Log file -> the condition's sample ids (``<id>/<epoch>``), for the report's links."""
    if part is None or part.empty:
        return {}
    logs = part["log"].astype("string").fillna("") if "log" in part.columns else pd.Series("", index=part.index)
    if "sample_id" in part.columns:
        ids = part["sample_id"].astype("string").fillna(part["item"].astype(str))
    else:
        ids = part["item"].astype(str)
    keys = ids.astype(str) + "/" + part["epoch"].astype(str)
    out: dict[str, list[str]] = {}
    for log, key in zip(logs.astype(str), keys, strict=True):
        out.setdefault(log, []).append(key)
    return out


def _reasons(part: pd.DataFrame, status: np.ndarray) -> dict[str, int]:
    """Excluded samples by reason, most frequent first (``error`` for errored samples)."""
    failed = status != "ok"
    if not failed.any():
        return {}
    if "exclusion" in part.columns:
        reasons = part["exclusion"].astype("string").to_numpy(dtype=object)[failed]
        reasons = np.where(pd.isna(reasons), np.where(status[failed] == "error", "error", "no_score"), reasons)
    else:
        reasons = np.where(status[failed] == "error", "error", "no_score")
    counts = Counter(str(r) for r in reasons)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _check_values(values: np.ndarray, study: Study, where: str) -> None:
    kind = study.outcome.type
    if kind == "mean" or values.size == 0:
        return
    if np.any((values < -1e-9) | (values > 1 + 1e-9)):
        bad = values[(values < -1e-9) | (values > 1 + 1e-9)][0]
        raise BepError(f"{where}: outcome {bad:g} is outside [0, 1] for the {kind} outcome '{study.outcome.name}'")
    if kind == "binary" and np.any((values != 0) & (values != 1)):
        bad = values[(values != 0) & (values != 1)][0]
        raise BepError(f"{where}: outcome {bad:g} is not 0 or 1 for the binary outcome '{study.outcome.name}'")


def analyze_study(
    frame: pd.DataFrame,
    study: Study,
    model: str,
    *,
    alpha: float | None = None,
    interval: str = "wilson",
    n_boot: int = DEFAULT_BOOT,
    n_perm: int = DEFAULT_PERM,
    seed: int = 0,
) -> StudyResult:
    """Analyse the rows of one study and one model."""
    level = float(alpha if alpha is not None else study.alpha)
    notes: list[str] = []
    known = frame["variant"].astype(str).isin(list(study.variants))
    if not known.all():
        unknown = sorted(set(frame.loc[~known, "variant"].astype(str)))
        notes.append(
            f"{int((~known).sum())} sample(s) of variants not in the study ignored: {', '.join(unknown)}"
        )
        frame = frame[known]
    parts = {
        (str(v), str(r)): g for (v, r), g in frame.groupby(["variant", "role"], observed=True, sort=False)
    }

    variants: list[VariantResult] = []
    raw: dict[str, Paired] = {}
    for v in study.variants.values():
        a, a_vals, a_items = _condition(v.id, "a", v.a.levels, parts.get((v.id, "a")), study, level, interval)
        b, b_vals, b_items = _condition(v.id, "b", v.b.levels, parts.get((v.id, "b")), study, level, interval)
        where = f"study {study.id}, model {model}, variant {v.id}"
        _check_values(a_vals, study, where + ".a")
        _check_values(b_vals, study, where + ".b")
        result = VariantResult(v.id, v.number, v.description, v.factor, a, b)
        variants.append(result)
        if result.has_data:
            raw[v.id] = Paired.build(a_vals, a_items, b_vals, b_items)
        elif a.total or b.total:
            notes.append(f"variant {v.id} lacks scored samples in condition(s) "
                         + " and ".join(c.role for c in (a, b) if c.scored == 0) + "; it is not tested")

    k = len(raw)
    adjusted = level / k if k else level
    scale = {"binary": 1, "proportion": study.outcome.trials}.get(study.outcome.type)
    for result in variants:
        pair = raw.get(result.id)
        if pair is None:
            continue
        result.effect = pair.effect
        result.interval_method = effect_method(study.outcome.type)
        if result.interval_method == "bootstrap":
            (adj, unadj), reps = bootstrap_interval(
                pair, (adjusted, level), n_boot, rng_for(seed, study.id, model, result.id, "bootstrap"), scale
            )
        else:
            (adj, unadj), reps = score_interval(pair, (adjusted, level), int(scale or 1)), 0
        result.interval, result.interval_unadjusted, result.bootstrap_replicates = adj, unadj, reps
        result.p_permutation, result.p_method = permutation_p(
            pair, rng_for(seed, study.id, model, result.id, "permutation"), n_perm, scale
        )
        if study.outcome.type == "binary":
            result.p_fisher = fisher_p(
                int(pair.a.sum()), len(pair.a), int(pair.b.sum()), len(pair.b)
            )
    tested = [r for r in variants if r.id in raw]
    for r, p in zip(tested, holm([float(r.p_permutation or 1.0) for r in tested], level), strict=True):
        r.p_holm = p

    intervals = {r.id: r.interval for r in variants}
    hypotheses = judge_all(study, intervals)
    code, reasons = conclude(hypotheses, [r.id for r in variants if r.shows_effect], k)
    if k:
        reasons.append(
            f"verdicts use intervals at the study-wide level 1 - {level:g}/{k} = {1 - adjusted:.4f} (Bonferroni)"
        )

    result_obj = StudyResult(study, model, level, k, variants, hypotheses, code, reasons, notes=notes)
    scored = frame[frame["status"].astype(str) == "ok"]
    exc.selective_exclusion(result_obj)
    exc.awareness_difference(result_obj)
    exc.worst_case(result_obj, exc.outcome_range(result_obj, scored["outcome"].to_numpy(dtype=float)))
    result_obj.agreement = agreements(frame, level)
    if not scored.empty:
        with_factors, factor_cols = _factor_frame(scored, study)
        reference = {f"factor_{f}": lvl for f, lvl in reference_levels(study).items()}
        result_obj.regression = fit_study(with_factors, study.outcome, factor_cols, reference, level)
        if study.outcome.type in ("binary", "proportion"):
            _add_coherence(result_obj, scored)
            result_obj.length_trend = length_trend(scored, ["variant", "role"], level)
    return result_obj


def _add_coherence(result: StudyResult, scored: pd.DataFrame) -> None:
    per_condition = coh.coherence_by(scored, ["variant", "role"])
    per_variant = coh.coherence_by(scored, ["variant", "role"], combine=["variant"])
    for v in result.variants:
        v.a.coherence = per_condition.get((v.id, "a"))
        v.b.coherence = per_condition.get((v.id, "b"))
        v.coherence = per_variant.get((v.id,))
    result.coherence = coh.pooled(scored, ["variant", "role"])
    result.coherence_by_actions = coh.by_actions(scored, ["variant", "role"])


def analyze(
    data: pd.DataFrame | str | Path | Sequence[str | Path],
    *,
    studies: StudiesArg = None,
    alpha: float | None = None,
    interval: str = "wilson",
    n_boot: int = DEFAULT_BOOT,
    n_perm: int = DEFAULT_PERM,
    seed: int = 0,
    allow_unknown: bool = False,
    versions: str | Sequence[str] | None = None,
) -> Report:
    """Analyse a tidy frame, or read Inspect logs / tidy tables from paths and analyse them.

    ``studies`` gives study files not shipped with the package (a list of paths or a mapping of
    study id to path). ``alpha`` overrides every study's alpha. ``interval`` is the method of
    the per-condition rate intervals (``wilson``, ``jeffreys`` or ``beta``). Tidy tables read
    from files are strict; ``allow_unknown`` drops their unknown studies, variants and roles and
    duplicated sample keys with a count in the notes instead of raising. ``versions`` names the
    models in version order (oldest first; a list or ``m1,m2,...``); without it, a tidy table's
    ``version`` column gives the order. Ordered models get trend tests per variant.
    """
    if interval not in METHODS:
        raise BepError(f"unknown interval method '{interval}' (choose from {', '.join(METHODS)})")
    if alpha is not None and not 0 < alpha < 1:
        raise BepError(f"alpha must be between 0 and 1 (got {alpha})")
    if n_boot < 100 or n_perm < 100:
        raise BepError("use at least 100 bootstrap replicates and 100 permutations")
    catalog = as_catalog(studies)
    table_order = (versions_from_table(data, "data") if isinstance(data, pd.DataFrame)
                   else read_version_order([data] if isinstance(data, (str, Path)) else data))
    if isinstance(data, pd.DataFrame):
        frame = normalise(data) if "status" not in data.columns or data["status"].dtype != "category" else data
    else:
        frame = read_inputs([data] if isinstance(data, (str, Path)) else data, catalog, allow_unknown=allow_unknown)
    notes = notes_of(frame)
    results = []
    for study_id in sorted(frame["study"].astype(str).unique()):
        study = catalog.get(study_id)
        of_study = frame[frame["study"].astype(str) == study_id]
        for model in sorted(of_study["model"].astype(str).unique()):
            rows = of_study[of_study["model"].astype(str) == model]
            results.append(
                analyze_study(rows, study, model, alpha=alpha, interval=interval, n_boot=n_boot, n_perm=n_perm, seed=seed)
            )
    settings: dict[str, Any] = {
        "alpha": alpha,
        "alpha_source": "command line" if alpha is not None else "study",
        "interval": interval,
        "bootstrap": n_boot,
        "permutations": n_perm,
        "seed": seed,
        "samples": int(len(frame)),
    }
    report = Report(results, settings, notes)
    given = versions if versions is None or isinstance(versions, str) else ",".join(versions)
    order = version_order(given, list(frame["model"].astype(str).unique())) if given is not None else table_order
    if order:
        _add_trends(report, frame, order)
    return report


def _add_trends(report: Report, frame: pd.DataFrame, order: list[str]) -> None:
    """Effect and incoherence against version for every study with at least two of the ordered models."""
    report.versions = list(order)
    report.settings["versions"] = list(order)
    scored = frame[frame["status"].astype(str) == "ok"]
    for study in report.studies:
        of_study = [r for r in report.results if r.study.id == study.id and r.model in order]
        if len(of_study) < 2:
            continue
        effects = {(r.model, v.id): (v.effect, v.interval) for r in of_study for v in r.variants}
        incoherence = {(r.model, v.id): v.coherence.incoherence if v.coherence else None
                       for r in of_study for v in r.variants}
        rows = scored[scored["study"].astype(str) == study.id]
        report.trends += version_trends(rows, study, order, of_study[0].alpha, effects, incoherence)
