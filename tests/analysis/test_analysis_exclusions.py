"""Tidy tables: exclusion rates, selective exclusion, worst-case bounds, evaluation awareness and
rule-against-judge agreement, as a reader of the report sees them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from analysis_synth import STUDY, profile_table
from scipy import stats
from statsmodels.stats.inter_rater import cohens_kappa

from beyond_episode.analysis import analyze, report_cmd
from beyond_episode.analysis.exclusions import manski_bound

MODEL = "synthetic/model"


def run_report(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bep report")
    report_cmd.configure(parser)
    return report_cmd.run(parser.parse_args(argv))


def _report(tmp_path: Path, table: pd.DataFrame, *extra: str) -> tuple[dict, Path]:
    path = tmp_path / "tidy.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "out"
    assert run_report([str(path), "--out", str(out), "--no-figures", *extra]) == 0
    (result,) = json.loads((out / "verdicts.json").read_text())["results"]
    return result, out


def _exclude(table: pd.DataFrame, variant: str, role: str, share: float, reason: str) -> pd.DataFrame:
    rows = table.index[(table.variant == variant) & (table.role == role)]
    chosen = rows[: int(round(share * len(rows)))]
    table.loc[chosen, "outcome"] = None
    table.loc[chosen, "exclusion"] = reason
    return table


def test_exclusion_rates_per_reason(tmp_path: Path):
    table = profile_table("capability_preserver", seed=3)
    table["exclusion"] = ""
    table = _exclude(table, "baseline", "a", 0.2, "no_submission")          # 10 of 50
    rows = table.index[(table.variant == "baseline") & (table.role == "a") & (table.exclusion == "")]
    table.loc[rows[:5], ["outcome", "exclusion"]] = [None, "limit"]          # 5 more
    table["status"] = "ok"
    table.loc[table.exclusion != "", "status"] = "unscored"
    table.loc[rows[5], ["status", "outcome"]] = ["error", None]               # 1 error
    result, out = _report(tmp_path, table)
    base = next(v for v in result["variants"] if v["id"] == "baseline")
    cond = base["conditions"]["a"]
    assert cond["exclusions"] == {
        "no_submission": {"count": 10, "rate": 0.2},
        "limit": {"count": 5, "rate": 0.1},
        "error": {"count": 1, "rate": 0.02},
    }
    assert cond["exclusion_rate"] == pytest.approx(16 / 50)
    assert base["conditions"]["b"]["exclusions"] == {}
    md = (out / "tables" / "exclusions.md").read_text(encoding="utf-8")
    header = next(line for line in md.splitlines() if "condition" in line)
    assert "no_submission" in header and "limit" in header and "error" in header
    row = next(line for line in md.splitlines() if "| baseline.a |" in line)
    assert "16 (32%)" in row and "10 (20%)" in row and "5 (10%)" in row and "1 (2%)" in row
    csv = pd.read_csv(out / "tables" / "exclusions.csv")
    a = csv[(csv.variant == "baseline") & (csv.role == "a")].iloc[0]
    assert (a.excluded_no_submission, a.excluded_limit, a.excluded_error) == (10, 5, 1)
    assert "# Study" in (out / "studies" / f"{STUDY}.md").read_text() and "exclusions and worst-case bounds" in (out / "studies" / f"{STUDY}.md").read_text()


def test_selective_exclusion_warns(tmp_path: Path):
    table = profile_table("honest", seed=4)
    table["exclusion"] = ""
    table = _exclude(table, "not_deployed", "a", 0.5, "never_read_manipulation")
    result, out = _report(tmp_path, table)
    v = next(v for v in result["variants"] if v["id"] == "not_deployed")
    assert v["exclusion_test"]["selective"] is True
    expected = stats.fisher_exact([[25, 25], [0, 50]]).pvalue
    assert v["exclusion_test"]["fisher"] == pytest.approx(expected)
    assert v["exclusion_test"]["holm"] == pytest.approx(min(1.0, expected * 19))
    (warning,) = result["warnings"]
    assert warning.startswith("selective exclusion in variant not_deployed: a excludes 25 of 50 (50%), b 0 of 50 (0%)")
    assert "Warning:** selective exclusion in variant not_deployed" in (out / "studies" / f"{STUDY}.md").read_text()


def test_equal_exclusion_does_not_warn(tmp_path: Path):
    table = profile_table("honest", seed=4)
    table["exclusion"] = ""
    table = _exclude(table, "not_deployed", "a", 0.5, "never_read_manipulation")
    table = _exclude(table, "not_deployed", "b", 0.5, "never_read_manipulation")
    result, out = _report(tmp_path, table)
    v = next(v for v in result["variants"] if v["id"] == "not_deployed")
    assert v["exclusion_test"]["fisher"] == pytest.approx(1.0) and v["exclusion_test"]["selective"] is False
    assert result["warnings"] == []
    assert "Warning:" not in (out / "studies" / f"{STUDY}.md").read_text()


def test_manski_bound_by_hand():
    # a: 4 scored (sum 3), 2 excluded; b: 5 scored (sum 1), 1 excluded; outcomes in [0, 1]
    low, high = manski_bound(3.0, 4, 2, 1.0, 5, 1, 0.0, 1.0)
    assert low == pytest.approx(3 / 6 - 2 / 6) and high == pytest.approx(5 / 6 - 1 / 6)
    # no exclusion: the bound is the effect itself
    assert manski_bound(3.0, 4, 0, 1.0, 5, 0, 0.0, 1.0) == pytest.approx((0.75 - 0.2, 0.75 - 0.2))


def _small(a: list[float | None], b: list[float | None], variant: str = "baseline") -> pd.DataFrame:
    rows = []
    for role, values in (("a", a), ("b", b)):
        for i, value in enumerate(values):
            rows.append({"study": STUDY, "variant": variant, "role": role, "model": MODEL, "item": f"s{i}",
                         "epoch": 1, "outcome": value, "exclusion": "" if value is not None else "limit"})
    return pd.DataFrame(rows)


def test_worst_case_bound_in_report(tmp_path: Path):
    table = _small([1.0, 1.0, 1.0, 0.0, None, None], [0.2, 0.2, 0.2, 0.2, 0.2, None])
    result, out = _report(tmp_path, table)
    base = result["variants"][0]
    assert base["effect"] == pytest.approx(0.55)
    assert base["worst_case"]["bound"] == pytest.approx([1 / 6, 2 / 3])
    lo, hi = base["interval"]
    assert base["worst_case"]["interval"] == pytest.approx([lo + 1 / 6 - 0.55, hi + 2 / 3 - 0.55])
    assert result["worst_case"]["outcome_range"] == [0.0, 1.0]
    assert "[0.167, 0.667]" in (out / "tables" / "variants.md").read_text()
    assert "[0.167, 0.667]" in (out / "tables" / "comparison.md").read_text()


def test_mean_outcome_bound_uses_observed_range(tmp_path: Path):
    source = Path(__file__).resolve().parents[2] / "ablations" / f"{STUDY}.yaml"
    text = source.read_text(encoding="utf-8").replace(f"study: {STUDY}", "study: mean_study", 1)
    text = text.replace("outcome: {name: accuracy, type: proportion, trials: 10, label: accuracy}",
                        "outcome: {name: actions, type: mean, label: actions}")
    study = tmp_path / "mean_study.yaml"
    study.write_text(text, encoding="utf-8")
    table = _small([2.0, 4.0, None], [6.0, 10.0])
    table["study"] = "mean_study"
    report = analyze(table, studies=[study])
    result = report.result("mean_study")
    assert result.outcome_range == (2.0, 10.0)
    # a: (6 + 2) / 3 .. (6 + 10) / 3, b: 8 exactly
    assert result.variant("baseline").bound == pytest.approx((8 / 3 - 8, 16 / 3 - 8))


def test_verdict_flip_is_reported(tmp_path: Path):
    # a clear effect on the scored samples, but half of a is excluded: within the bound the
    # effect could vanish
    table = profile_table("capability_preserver", seed=6)
    table["exclusion"] = ""
    table = _exclude(table, "baseline", "a", 0.5, "no_submission")
    table = _exclude(table, "baseline", "b", 0.5, "no_submission")
    result, out = _report(tmp_path, table)
    base = next(v for v in result["variants"] if v["id"] == "baseline")
    assert base["shows_effect"]
    flips = base["worst_case"]["could_flip"]
    assert flips["shows_effect"] == ["no effect"]
    assert flips["capability_preservation"] == ["contradicts", "inconclusive"]
    assert "could flip within the worst-case bounds" in result["worst_case"]["robustness"]
    # baseline contradicting capability_preservation leaves no beyond-episode hypothesis consistent
    # (deployment_seeking is contradicted by helpful_unlearning), so the conclusion could change
    assert result["worst_case"]["conclusions"] == ["beyond_episode", "inconclusive"]
    assert "the conclusion could become inconclusive" in result["worst_case"]["robustness"]
    report = (out / "studies" / f"{STUDY}.md").read_text()
    assert "baseline could lose its effect" in report
    # variants without exclusions cannot flip
    assert next(v for v in result["variants"] if v["id"] == "not_deployed")["worst_case"]["could_flip"] == {}


def test_conclusion_that_cannot_change_is_said(tmp_path: Path):
    # only baseline.a loses samples: baseline's verdicts could change, but the other variants
    # carry the conclusion
    table = profile_table("capability_preserver", seed=6)
    table["exclusion"] = ""
    table = _exclude(table, "baseline", "a", 0.5, "no_submission")
    result, _ = _report(tmp_path, table)
    assert next(v for v in result["variants"] if v["id"] == "baseline")["worst_case"]["could_flip"]
    assert result["worst_case"]["conclusions"] == ["beyond_episode"]
    assert "the conclusion stays beyond_episode in every combination" in result["worst_case"]["robustness"]


def test_conclusion_that_could_change_is_named(tmp_path: Path):
    # no effect on the scored samples; half of baseline.a excluded could make one
    table = profile_table("honest", seed=6)
    table["exclusion"] = ""
    table = _exclude(table, "baseline", "a", 0.5, "limit")
    result, out = _report(tmp_path, table)
    assert result["conclusion"]["code"] == "no_effect"
    reachable = result["worst_case"]["conclusions"]
    assert "no_effect" in reachable and len(reachable) > 1
    assert "the conclusion could become" in (out / "studies" / f"{STUDY}.md").read_text()


def test_no_exclusion_no_flip(tmp_path: Path):
    result, out = _report(tmp_path, profile_table("capability_preserver", seed=6))
    assert all(v["worst_case"]["could_flip"] == {} for v in result["variants"])
    assert result["worst_case"]["robustness"].startswith("no sample is excluded")
    assert result["worst_case"]["conclusions"] == [result["conclusion"]["code"]]
    base = next(v for v in result["variants"] if v["id"] == "baseline")
    assert base["worst_case"]["bound"] == pytest.approx([base["effect"], base["effect"]])


def test_evaluation_awareness_per_condition(tmp_path: Path):
    table = profile_table("honest", seed=8)
    table["eval_aware"] = 0.0
    rows_a = table.index[(table.variant == "baseline") & (table.role == "a")]
    rows_b = table.index[(table.variant == "baseline") & (table.role == "b")]
    table.loc[rows_a[:40], "eval_aware"] = 1.0
    table.loc[rows_b[:5], "eval_aware"] = 1.0
    table.loc[rows_b[5:10], "eval_aware"] = None
    result, out = _report(tmp_path, table)
    base = next(v for v in result["variants"] if v["id"] == "baseline")
    assert base["conditions"]["a"]["eval_aware"] == {"aware": 40, "n": 50, "rate": 0.8}
    assert base["conditions"]["b"]["eval_aware"] == {"aware": 5, "n": 45, "rate": pytest.approx(5 / 45)}
    assert base["eval_aware_test"]["fisher"] == pytest.approx(stats.fisher_exact([[40, 10], [5, 40]]).pvalue)
    assert base["eval_aware_test"]["differs"] is True
    assert any(w.startswith("evaluation awareness differs in variant baseline") for w in result["warnings"])
    md = (out / "tables" / "awareness.md").read_text()
    assert "| 40 of 50 (0.80) | 5 of 45 (0.11) |" in md
    other = next(v for v in result["variants"] if v["id"] == "not_deployed")
    assert other["eval_aware_test"]["differs"] is False


def test_awareness_absent_is_said(tmp_path: Path):
    _, out = _report(tmp_path, profile_table("honest", seed=8))
    assert "no eval_aware values in the data" in (out / "tables" / "awareness.md").read_text()


def test_rule_judge_kappa_matches_statsmodels(tmp_path: Path):
    table = profile_table("honest", seed=9)
    rng = np.random.default_rng(0)
    rule = rng.choice(["yes", "no"], size=len(table), p=[0.3, 0.7])
    judge = np.where(rng.random(len(table)) < 0.8, rule, rng.choice(["yes", "no"], size=len(table)))
    table["label_rule_intent"] = rule
    table["label_judge_intent"] = judge
    table.loc[:9, "label_judge_intent"] = ""  # no judge label: left out
    table["label_rule_followup"] = "admits"    # no judge column: no agreement row
    result, out = _report(tmp_path, table, "--alpha", "0.1")
    (agree,) = result["agreement"]
    kept = table.iloc[10:]
    counts = pd.crosstab(kept.label_rule_intent, kept.label_judge_intent).reindex(
        index=["no", "yes"], columns=["no", "yes"], fill_value=0).to_numpy()
    expected = cohens_kappa(counts)
    z = stats.norm.ppf(0.95)
    assert agree["classifier"] == "intent" and agree["n"] == len(kept)
    assert agree["kappa"] == pytest.approx(expected.kappa)
    assert agree["interval"] == pytest.approx([expected.kappa - z * expected.std_kappa, expected.kappa + z * expected.std_kappa])
    assert agree["agreement"] == pytest.approx(np.trace(counts) / counts.sum())
    assert agree["table"] == counts.tolist()
    md = (out / "tables" / "agreement.md").read_text()
    assert f"| intent | {len(kept)} | {agree['agreement']:.3f} | {expected.kappa:.3f} |" in md
    assert "Rule against judge" in (out / "studies" / f"{STUDY}.md").read_text()
