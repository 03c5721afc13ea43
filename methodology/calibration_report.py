"""The calibration's report: ``calibration.md`` (checks, scenarios, rates, power),
``calibration.csv`` (one row per scenario and number of epochs) and ``replications.csv``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from beyond_episode.analysis.effects import EFFECT_METHODS, effect_method

from .calibration import Calibration
from .scenarios import POWER_PROFILE


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _conclusions(c: Counter[str]) -> str:
    return ", ".join(f"{code} {n}" for code, n in c.most_common())


def summary_frame(cal: Calibration) -> pd.DataFrame:
    """One row per scenario x epochs (the content of ``calibration.csv``)."""
    out = []
    for r in cal.rows:
        rec: dict[str, Any] = {
            "scenario": r.scenario.label, "group": r.scenario.group, "null": r.scenario.null,
            "largest_true_effect": r.scenario.effect, "right_conclusion": r.scenario.right,
            "epochs": r.epochs, "replications": r.right.n,
        }
        for name, rate in (
            ("right", r.right), ("false_beyond", r.false_beyond), ("any_effect", r.any_effect),
            ("coverage", r.coverage), ("coverage_unadjusted", r.coverage_unadjusted), ("simultaneous", r.simultaneous),
        ):
            rec[name] = rate.value if rate and rate.n else None
            rec[f"{name}_low"], rec[f"{name}_high"] = rate.interval if rate and rate.n else (None, None)
            if name.startswith("coverage"):
                rec[f"{name}_intervals"] = rate.n if rate else 0
        rec["analytic_power"] = r.analytic_power
        rec["analytic_power_bound"] = r.analytic_power_bound
        rec["conclusions"] = _conclusions(r.conclusions)
        rec["seconds_per_replication"] = r.seconds
        out.append(rec)
    return pd.DataFrame(out)


def render_markdown(cal: Calibration) -> str:
    """The calibration report."""
    s, st = cal.study, cal.settings
    k = len(s.variants)
    alpha = st["alpha"]
    lines = [
        f"# Calibration of the verdicts: {s.id}",
        "",
        f"{st['replications']} replications per scenario and number of epochs ({st['power_replications']} per power-grid "
        f"cell, {st['replications']} at min_effect and the declared epochs); {st['items']} items; alpha = {alpha:g} over "
        f"k = {k} variants, so the verdict intervals are at 1 - alpha/k = {1 - alpha / k:.4f}; effect intervals: "
        f"{EFFECT_METHODS[effect_method(s.outcome.type)]}; "
        f"analyzer options: bootstrap {st['bootstrap']} (mean outcomes only), permutations {st['permutations']}, "
        f"seed {st['seed']}. "
        f"{len(cal.records)} analyses in {cal.elapsed:.0f} s with {st['jobs']} process(es). "
        "Rates are given with 95% Monte Carlo (Clopper-Pearson) intervals.",
        "",
        "## Checks",
        "",
    ]
    lines += _table(["check", "status", "measured"], [[c.name, c.status, c.detail] for c in cal.checks])
    lines += [
        "",
        "## Scenarios",
        "",
        "The right conclusion is the analyzer's conclusion when every interval is the true effect alone "
        "(expected outcomes of the decision model). Null scenarios have no preference beyond the episode. "
        f"Stress scenarios add random acting at base rate {st['noise']:g} (every condition becomes noisy, "
        "so spurious effects can occur).",
        "",
    ]
    lines += _table(
        ["scenario", "group", "null", "right conclusion", "variants with an effect (true effect)"],
        [
            [
                sc.label, sc.group, "yes" if sc.null else "no", sc.right,
                ", ".join(f"{v} ({e:.3f})" for v, e in cal.truths[sc.label].items() if abs(e) > 1e-9) or "none",
            ]
            for sc in cal.scenarios
        ],
    )
    lines += ["", "## Conclusions, false conclusions and coverage", ""]
    body = []
    for r in cal.rows:
        if r.scenario.group == "power":
            continue
        body.append([
            r.scenario.label, str(r.epochs), r.right.text(), r.false_beyond.text(4) if r.false_beyond else "-",
            r.any_effect.text(), r.coverage.text(4), r.coverage_unadjusted.text(4), r.simultaneous.text(4),
            _conclusions(r.conclusions), f"{r.seconds:.2f}",
        ])
    lines += _table(
        ["scenario", "epochs", "right conclusion", "false beyond_episode", "any effect shown",
         f"coverage @ {1 - alpha / k:.4f}", f"coverage unadjusted @ {1 - alpha:.2f}",
         f"simultaneous @ >= {1 - alpha:.2f}", "conclusions", "s / analysis"],
        body,
    )
    power_rows = [r for r in cal.rows if r.scenario.group == "power"]
    if power_rows:
        lines += [
            "",
            "## Power",
            "",
            f"`{POWER_PROFILE}` rescaled (all its weights multiplied by one factor) so that its largest true effect "
            "is the given effect; power = P(conclusion beyond_episode). Analytic columns: `bep power`'s formula for "
            "one variant, with the decision model's own per-sample variances, and with the bound it assumes by "
            "default (var_a + var_b = 0.5 - effect^2 / 2). The "
            "simulated power can be far higher than the one-variant formula: several variants may carry the effect "
            "(any of them can contradict the in-episode hypotheses), and in-episode hypotheses that predict '+' for "
            "a positive control are also contradicted when that control shows no effect, so the conclusion may only "
            "need some variant to show an effect at all.",
            "",
        ]
        lines += _table(
            ["effect", "epochs", "simulated power", "analytic (model variances)", "analytic (bound)", "conclusions"],
            [
                [f"{r.scenario.effect:g}", str(r.epochs), r.right.text(), f"{r.analytic_power:.3f}",
                 f"{r.analytic_power_bound:.3f}", _conclusions(r.conclusions)]
                for r in sorted(power_rows, key=lambda r: (r.scenario.effect, r.epochs))
            ],
        )
    lines += [
        "",
        "## Reading",
        "",
        "- A false `beyond_episode` conclusion under a null scenario requires an interval that misses its true "
        "effect: if every interval covers its true effect, the in-episode hypothesis whose predictions the "
        "subject satisfies is never contradicted. So the false-conclusion rate is at most 1 - simultaneous "
        "coverage, which Bonferroni keeps at most alpha. The shipped null profiles act only on in-episode cues, "
        "so most variants have constant outcomes and exact [0, 0] intervals; the stress scenarios make every "
        "condition noisy.",
        "- Coverage counts informative intervals only (some randomness in a condition); constant variants "
        "get [0, 0], which always covers the true effect 0.",
        "",
    ]
    return "\n".join(lines)


def write_calibration(cal: Calibration, out: str | Path) -> dict[str, Path]:
    """Write ``calibration.md``, ``calibration.csv`` and ``replications.csv`` into ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "report": folder / "calibration.md",
        "summary": folder / "calibration.csv",
        "replications": folder / "replications.csv",
    }
    paths["report"].write_text(render_markdown(cal), encoding="utf-8")
    summary_frame(cal).to_csv(paths["summary"], index=False)
    cal.records.to_csv(paths["replications"], index=False)
    return paths
