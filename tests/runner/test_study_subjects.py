"""A study names the reference subjects it is designed to tell apart; a run without --model uses
them, and --model overrides them."""

from __future__ import annotations

from pathlib import Path

import pytest

from beyond_episode.ablations.study import load_study
from beyond_episode.cli import main
from beyond_episode.run_options import RunOptions
from beyond_episode.runner import make_plan, units_of
from beyond_episode.subjects.profile import profile_names


def _copy(tmp_path: Path, subjects: str) -> Path:
    text = load_study("goal_guarding_tiers").path.read_text(encoding="utf-8")
    start = text.index("\nsubjects:")
    end = text.index("\n", start + 1)
    path = tmp_path / "goal_guarding_tiers.yaml"
    path.write_text(text[:start] + f"\nsubjects: {subjects}" + text[end:], encoding="utf-8")
    return path


def test_a_run_without_model_uses_the_subjects_each_study_names() -> None:
    plan = make_plan(RunOptions(studies=("goal_guarding_tiers", "task_seeking")))
    runs = {(p.study.id, m) for p, m in units_of(plan)}
    named = {s.id: load_study(s.id).subjects for s in (p.study for p in plan.studies)}
    assert {m for s, m in runs if s == "goal_guarding_tiers"} == {f"subject/{p}" for p in named["goal_guarding_tiers"]}
    assert len({m for s, m in runs if s == "task_seeking"}) == len(plan.models) == len(profile_names())
    assert plan.samples == 520 * 5 + 224 * len(profile_names())


def test_model_overrides_the_named_subjects() -> None:
    plan = make_plan(RunOptions(studies=("goal_guarding_tiers",), models=("subject/task_seeker",)))
    assert [m for _, m in units_of(plan)] == ["subject/task_seeker"]


def test_an_unknown_subject_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _copy(tmp_path, "[honest, no_such_profile]")
    assert main(["run", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown profile 'no_such_profile'" in err
    assert main(["validate", str(path)]) != 0
    out = capsys.readouterr()
    assert "unknown profile 'no_such_profile'" in out.out + out.err


def test_subjects_must_be_a_list_of_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _copy(tmp_path, "honest")
    assert main(["validate", str(path)]) != 0
    out = capsys.readouterr()
    assert "field 'subjects' must be a list of profile names" in out.out + out.err
