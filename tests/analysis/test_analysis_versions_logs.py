"""Logs: exclusion reasons, evaluation awareness and classifier labels are read from the scores,
and samples rendered from different task versions of one condition are never pooled."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from inspect_ai.log import EvalConfig, EvalDataset, EvalLog, EvalSample, EvalSpec, write_eval_log
from inspect_ai.scorer import Score

from beyond_episode.ablations.study import load_study
from beyond_episode.analysis import analyze, log_files, read_logs, read_tidy
from beyond_episode.analysis import read as read_mod

STUDY = "sandbagging_b6"
MODEL = "mockllm/model"


def _sample(variant: str, role: str, item: str, epoch: int, accuracy: float, **extra: Any) -> EvalSample:
    study = load_study(STUDY)
    v = study.variants[variant]
    cond = v.a if role == "a" else v.b
    meta = {
        "family": study.family, "study": study.id, "variant": v.id, "variant_number": v.number, "role": role,
        "condition": cond.id, "pair_factor": v.factor, "level": cond.levels[v.factor], "item": item,
        **{f"factor_{k}": lvl for k, lvl in cond.levels.items()},
    }
    value = {"accuracy": accuracy, "actions": 3.0, **extra.pop("value", {})}
    score = Score(value=value, metadata=extra or None)
    return EvalSample(id=f"{cond.id}.{item}", epoch=epoch, input="x", target="", metadata=meta,
                      scores={"episode": score})


def _write(path: Path, samples: list[EvalSample], version: str | int, created: str) -> Path:
    log = EvalLog(
        status="success",
        eval=EvalSpec(created=created, task="sandbagging", task_version=version,
                      dataset=EvalDataset(samples=len(samples)), model=MODEL, config=EvalConfig(epochs=2)),
        samples=samples,
    )
    write_eval_log(log, str(path))
    return path


def _pair(variant: str, a: float, b: float, epochs: int = 2, items: tuple[str, ...] = ("s1", "s2")) -> list[EvalSample]:
    return [_sample(variant, role, item, epoch, value)
            for epoch in range(1, epochs + 1) for item in items for role, value in (("a", a), ("b", b))]


def test_exclusion_awareness_and_labels_from_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    samples = [
        _sample("baseline", "a", "s1", 1, 0.9, value={"eval_aware": 1.0},
                label_rule_intent="yes", label_judge_intent="no", answer_form="submit"),
        _sample("baseline", "a", "s2", 1, math.nan, value={"eval_aware": 0.0},
                exclusion="never_read_manipulation", label_rule_intent="no"),
        _sample("baseline", "b", "s1", 1, 0.3, value={"eval_aware": 0.0}),
        _sample("baseline", "b", "s2", 1, math.nan, exclusion="no_submission"),
    ]
    _write(tmp_path / "one.eval", samples, "abc123", "2025-01-01T00:00:00+00:00")
    fast = read_logs([tmp_path])
    monkeypatch.setattr(log_files, "fast_summaries", lambda path: None)
    slow = read_logs([tmp_path])
    for tidy in (fast, slow):
        rows = tidy.set_index(tidy["sample_id"].astype(str))
        excluded = rows.loc["baseline.a.s2"]
        assert excluded["status"] == "unscored" and excluded["detail"] == "never_read_manipulation"
        assert excluded["exclusion"] == "never_read_manipulation" and math.isnan(excluded["outcome"])
        assert rows.loc["baseline.b.s2", "exclusion"] == "no_submission"
        assert rows.loc["baseline.a.s1", "status"] == "ok" and pd.isna(rows.loc["baseline.a.s1", "exclusion"])
        assert rows.loc["baseline.a.s1", "eval_aware"] == 1.0 and rows.loc["baseline.b.s1", "eval_aware"] == 0.0
        assert math.isnan(rows.loc["baseline.b.s2", "eval_aware"])
        assert rows.loc["baseline.a.s1", "label_rule_intent"] == "yes"
        assert rows.loc["baseline.a.s1", "label_judge_intent"] == "no"
        assert pd.isna(rows.loc["baseline.a.s2", "label_judge_intent"])
        assert not any(c.startswith("label_") and "answer" in c for c in tidy.columns)
    result = analyze(fast).result(STUDY, MODEL)
    base = result.variant("baseline")
    assert base.a.exclusions == {"never_read_manipulation": 1} and base.b.exclusions == {"no_submission": 1}
    assert (base.a.aware, base.a.aware_n, base.b.aware, base.b.aware_n) == (1, 2, 0, 1)


def test_label_columns_only_when_present(tmp_path: Path):
    _write(tmp_path / "one.eval", _pair("baseline", 0.9, 0.3), "v1", "2025-01-01T00:00:00+00:00")
    tidy = read_logs([tmp_path])
    assert not [c for c in tidy.columns if c.startswith("label_")]
    assert tidy["exclusion"].isna().all() and tidy["eval_aware"].isna().all()


def test_newest_task_version_is_used_never_pooled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # the same conditions run before and after a prompt edit: the old effect is 0.6, the new 0.0
    _write(tmp_path / "2025-01-01T00-00-00_old.eval", _pair("baseline", 0.9, 0.3) + _pair("not_deployed", 0.8, 0.8),
           "hash-old", "2025-01-01T00:00:00+00:00")
    _write(tmp_path / "2025-01-02T00-00-00_new.eval", _pair("baseline", 0.5, 0.5, items=("s1", "s2", "s3")),
           "hash-new", "2025-01-02T00:00:00+00:00")
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(log_files, "fast_summaries", lambda path: None)
        tidy = read_logs([tmp_path])
        base = tidy[tidy["variant"].astype(str) == "baseline"]
        assert len(base) == 12 and set(base["outcome"]) == {0.5}
        # a condition run under one version only keeps its samples
        assert len(tidy[tidy["variant"].astype(str) == "not_deployed"]) == 8
        notes = read_mod.notes_of(tidy)
        stale = [n for n in notes if "task versions" in n and "set aside" in n]
        assert len(stale) == 1, notes
        assert "8 sample(s) of older version(s) 'hash-old' set aside" in stale[0]
        assert "12 of the newest version(s) 'hash-new'" in stale[0] and "2 condition(s)" in stale[0]
    report = analyze([tmp_path])
    assert report.result(STUDY, MODEL).variant("baseline").effect == pytest.approx(0.0)
    assert any("set aside" in n for n in report.notes)


def test_pair_from_two_versions_is_noted(tmp_path: Path):
    old = [s for s in _pair("baseline", 0.9, 0.3) if s.metadata["role"] == "b"]
    new = [s for s in _pair("baseline", 0.9, 0.3) if s.metadata["role"] == "a"]
    _write(tmp_path / "old.eval", old, "hash-old", "2025-01-01T00:00:00+00:00")
    _write(tmp_path / "new.eval", new, "hash-new", "2025-01-02T00:00:00+00:00")
    notes = read_mod.notes_of(read_logs([tmp_path]))
    assert any("variant baseline compares conditions rendered from different task versions" in n for n in notes)


def test_one_version_gives_no_note(tmp_path: Path):
    _write(tmp_path / "a.eval", _pair("baseline", 0.9, 0.3), "same", "2025-01-01T00:00:00+00:00")
    _write(tmp_path / "b.eval", _pair("not_deployed", 0.9, 0.3), "same", "2025-01-02T00:00:00+00:00")
    tidy = read_logs([tmp_path])
    assert len(tidy) == 16 and not [n for n in read_mod.notes_of(tidy) if "version" in n]


def test_tidy_table_written_from_logs_reads_back(tmp_path: Path):
    samples = [
        _sample("baseline", "a", "s1", 1, 0.9, value={"eval_aware": 1.0}, label_rule_intent="yes", label_judge_intent="no"),
        _sample("baseline", "a", "s2", 1, math.nan, exclusion="limit"),
        _sample("baseline", "b", "s1", 1, 0.3, value={"eval_aware": 0.0}),
        _sample("baseline", "b", "s2", 1, math.nan),
    ]
    _write(tmp_path / "one.eval", samples, "v1", "2025-01-01T00:00:00+00:00")
    tidy = read_logs([tmp_path])
    path = tmp_path / "tidy.csv"
    tidy.drop(columns=["status"]).to_csv(path, index=False)
    back = analyze([path]).result(STUDY, MODEL).variant("baseline")
    assert back.a.exclusions == {"limit": 1} and back.b.exclusions == {"no_score": 1}
    assert (back.a.aware, back.a.aware_n, back.b.aware, back.b.aware_n) == (1, 1, 0, 1)
    again = read_tidy(path)
    assert list(again["label_judge_intent"].dropna()) == ["no"]
