"""``bep report`` from a tidy table: every output is written and carries the numbers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from analysis_synth import STUDY, profile_table

from beyond_episode.analysis import report_cmd

FORMATS = ("md", "tex", "html", "csv")
TABLES = ("samples", "comparison", "variants", "hypotheses", "regression", "coherence")


def run_report(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bep report")
    report_cmd.configure(parser)
    return report_cmd.run(parser.parse_args(argv))


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    root = tmp_path_factory.mktemp("report")
    table = pd.concat(
        [profile_table("capability_preserver", seed=11, model="lab/model-one"),
         profile_table("approval_seeker", seed=12, model="lab/model-two")],
        ignore_index=True,
    )
    # one errored and one unscored sample in baseline.a of model one
    table["status"] = "ok"
    first = table.index[(table.model == "lab/model-one") & (table.variant == "baseline") & (table.role == "a")]
    table.loc[first[0], ["status", "outcome"]] = ["error", None]
    table.loc[first[1], ["status", "outcome"]] = ["unscored", None]
    path = root / "tidy.csv"
    table.to_csv(path, index=False)
    out = root / "out"
    assert run_report([str(path), "--out", str(out), "--format", ",".join(FORMATS)]) == 0
    return out, table


def _baseline_effect(table: pd.DataFrame) -> str:
    rows = table[(table.model == "lab/model-one") & (table.variant == "baseline") & (table.status == "ok")]
    a = rows[rows.role == "a"].outcome.astype(float).mean()
    b = rows[rows.role == "b"].outcome.astype(float).mean()
    return f"{a - b:.3f}"


def test_every_output_exists(report_dir):
    out, _ = report_dir
    assert (out / "verdicts.json").is_file() and (out / "report.md").is_file()
    for key in TABLES:
        for fmt in FORMATS:
            assert (out / "tables" / f"{key}.{fmt}").stat().st_size > 0, (key, fmt)
    for stem in ("lab-model-one__bars", "lab-model-one__forest", "lab-model-two__bars", "lab-model-two__forest"):
        for ext in ("png", "pdf"):
            assert (out / "figures" / f"{STUDY}__{stem}.{ext}").stat().st_size > 1000
    assert (out / "figures" / f"{STUDY}__coherence.png").is_file()


def test_known_numbers_appear_everywhere(report_dir):
    out, table = report_dir
    effect = _baseline_effect(table)
    for name in ("tables/variants.md", "tables/variants.tex", "tables/variants.html", "tables/comparison.md", f"studies/{STUDY}.md"):
        assert effect in (out / name).read_text(encoding="utf-8"), name
    frame = pd.read_csv(out / "tables" / "variants.csv")
    row = frame[(frame.model == "lab/model-one") & (frame.variant == "baseline")].iloc[0]
    assert f"{row.effect:.3f}" == effect
    assert (row.n_a, row.errored_a, row.unscored_a, row.n_b) == (48, 1, 1, 50)
    samples = (out / "tables" / "samples.md").read_text(encoding="utf-8")
    assert "48 of 50 (1 err, 1 unsc)" in samples
    assert "48 of 50 (1 err, 1 unsc)" in (out / "studies" / f"{STUDY}.md").read_text(encoding="utf-8")


def test_verdicts_json_schema(report_dir):
    out, table = report_dir
    data = json.loads((out / "verdicts.json").read_text())
    assert data["schema_version"] == "1.0"
    by_model = {r["model"]: r for r in data["results"]}
    one, two = by_model["lab/model-one"], by_model["lab/model-two"]
    assert one["conclusion"]["code"] == "beyond_episode" and one["conclusion"]["reasons"]
    assert two["conclusion"]["code"] == "other_in_episode"
    base = next(v for v in one["variants"] if v["id"] == "baseline")
    assert f"{base['effect']:.3f}" == _baseline_effect(table)
    assert base["n"] == {"a": 48, "b": 50}
    assert base["excluded"]["a"] == {"errored": 1, "unscored": 1}
    assert base["interval"][0] > 0 and base["shows_effect"]
    assert 0 <= base["p"]["permutation"] <= base["p"]["holm"] <= 1
    assert one["alpha_adjusted"] == pytest.approx(0.05 / 19)
    hyp = {h["id"]: h for h in one["hypotheses"]}
    assert hyp["deployment_seeking"]["status"] == "contradicted"
    assert hyp["deployment_seeking"]["contradicted_by"] == ["helpful_unlearning"]
    assert base["verdicts"]["capability_preservation"] == "supports"
    assert one["regression"]["terms"]


def test_custom_study_file_and_alpha(tmp_path: Path):
    source = Path(__file__).resolve().parents[2] / "ablations" / f"{STUDY}.yaml"
    text = source.read_text(encoding="utf-8").replace(f"study: {STUDY}", "study: my_sandbagging", 1)
    study_file = tmp_path / "my_sandbagging.yaml"
    study_file.write_text(text, encoding="utf-8")
    table = profile_table("instruction_follower", seed=5)
    table["study"] = "my_sandbagging"
    path = tmp_path / "tidy.parquet"
    table.to_parquet(path)
    out = tmp_path / "out"
    assert run_report([str(path), "--out", str(out), "--study", str(study_file), "--alpha", "0.01",
                       "--format", "md", "--no-figures", "--interval", "jeffreys"]) == 0
    data = json.loads((out / "verdicts.json").read_text())
    (result,) = data["results"]
    assert result["study"] == "my_sandbagging" and result["alpha"] == 0.01
    assert result["conclusion"]["code"] == "instruction_following"
    assert result["variants"][0]["conditions"]["a"]["interval_method"] == "jeffreys"
    assert (out / "tables" / "variants.md").is_file() and not (out / "tables" / "variants.tex").exists()
    assert not (out / "figures").exists()


def test_user_templates_override(tmp_path: Path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "table.md.j2").write_text("CUSTOM {{ doc.title }} {{ doc.sections | length }}\n", encoding="utf-8")
    path = tmp_path / "tidy.csv"
    profile_table("honest", seed=2).to_csv(path, index=False)
    out = tmp_path / "out"
    assert run_report([str(path), "--out", str(out), "--format", "md", "--no-figures", "--templates", str(templates)]) == 0
    assert (out / "tables" / "variants.md").read_text() == "CUSTOM Variation table 1\n"
    assert "no_effect" in (out / "report.md").read_text()


def _custom_study(tmp_path: Path, study_id: str, outcome: str) -> Path:
    source = Path(__file__).resolve().parents[2] / "ablations" / f"{STUDY}.yaml"
    text = source.read_text(encoding="utf-8").replace(f"study: {STUDY}", f"study: {study_id}", 1)
    old = "outcome: {name: accuracy, type: proportion, trials: 10, label: accuracy}"
    assert old in text
    path = tmp_path / f"{study_id}.yaml"
    path.write_text(text.replace(old, outcome), encoding="utf-8")
    return path


def test_binary_outcome_gets_fisher(tmp_path: Path):
    study = _custom_study(tmp_path, "binary_sandbagging", "outcome: {name: intent_stated, type: binary, label: sandbagged}")
    table = profile_table("approval_seeker", seed=9)
    table["study"] = "binary_sandbagging"
    table["outcome"] = (table["outcome"] >= 0.5).astype(float)
    path = tmp_path / "tidy.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "out"
    assert run_report([str(path), "--out", str(out), "--study", str(study), "--no-figures"]) == 0
    (result,) = json.loads((out / "verdicts.json").read_text())["results"]
    sad = next(v for v in result["variants"] if v["id"] == "developers_sad")
    assert sad["p"]["fisher"] is not None and sad["p"]["fisher"] < 1e-6
    assert sad["p"]["permutation_method"] in ("exact", "bound")
    assert result["conclusion"]["code"] == "other_in_episode"


def test_mean_outcome_uses_t_intervals_and_ols(tmp_path: Path):
    study = _custom_study(tmp_path, "mean_sandbagging", "outcome: {name: actions, type: mean, label: score}")
    table = profile_table("capability_preserver", seed=10)
    table["study"] = "mean_sandbagging"
    table["outcome"] = table["outcome"] * 100 + np.random.default_rng(0).normal(0, 3, len(table))
    path = tmp_path / "tidy.csv"
    table.to_csv(path, index=False)
    out = tmp_path / "out"
    assert run_report([str(path), "--out", str(out), "--study", str(study)]) == 0
    (result,) = json.loads((out / "verdicts.json").read_text())["results"]
    base = result["variants"][0]
    assert base["conditions"]["a"]["interval_method"] == "t"
    assert base["p"]["permutation_method"] in ("monte_carlo", "bound")
    assert base["coherence"] is None and result["coherence"]["overall"] is None
    assert result["regression"]["model"] == "OLS"
    assert "n/a for mean outcomes" in (out / "tables" / "coherence.md").read_text()
    # the large effects contradict every in-episode hypothesis; the zero effects are merely
    # inconclusive for '0' on this scale (margin 0.1 on 0-100), which contradicts nothing
    assert result["conclusion"]["code"] == "beyond_episode"
