"""A new family made by copying ``sandbagging_qa``: its folder and one small task module are all
it needs to run, to be simulated and calibrated (no list, helper or simulation code to edit)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval

import beyond_episode.subjects.provider  # noqa: F401  (registers --model subject/...)
import beyond_episode.tasks
from beyond_episode.ablations.study import load_study
from beyond_episode.cli import main
from beyond_episode.subjects.profile import load_profile
from beyond_episode.subjects.simulate import StudySimulator
from beyond_episode.tasks.environment.family_task import find_family_task
from tests.families.copied_family import copy_family, write_study

NAME = "copied_sandbagging"


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The copied family in a tmp dir, its task package importable as
    ``beyond_episode.tasks.<name>`` (as an installed one is); returns a study of it."""
    copy_family(NAME, tmp_path / "prompts", tmp_path / "tasks")
    monkeypatch.setattr(beyond_episode.tasks, "__path__", [*beyond_episode.tasks.__path__, str(tmp_path / "tasks")])
    yield write_study(tmp_path / "study.yaml", NAME, str(tmp_path / "prompts" / NAME))
    for module in [m for m in sys.modules if m.startswith(f"beyond_episode.tasks.{NAME}")]:
        del sys.modules[module]


def test_the_task_module_is_small() -> None:
    from tests.families.copied_family import TASK_MODULE

    assert len(TASK_MODULE.format(name=NAME).splitlines()) <= 60


def test_the_copy_runs_with_a_reference_subject(copied: Path) -> None:
    task = find_family_task(NAME)
    module = sys.modules[f"beyond_episode.tasks.{NAME}.task"]
    [log] = inspect_eval(
        getattr(module, NAME)(study=str(copied), items=1),
        model="subject/capability_preserver",
        display="none",
        log_dir=None,
    )
    assert log.status == "success", log.error
    assert task.name == NAME and len(log.samples or []) == 4
    for sample in log.samples or []:
        score = sample.scores[f"{NAME}_scorer"]  # type: ignore[index]
        assert "exclusion" not in (score.metadata or {})
        value = score.value["accuracy"]  # type: ignore[index]
        expected_low = sample.metadata["variant"] == "baseline" and sample.metadata["role"] == "b"
        assert (value < 0.5) == expected_low, (sample.id, value)


def test_the_copy_is_simulated_and_calibrated(copied: Path, tmp_path: Path) -> None:
    study = load_study(copied)
    effects = StudySimulator(study, load_profile("capability_preserver")).true_effects()
    assert effects["baseline"] == pytest.approx(1.0 - (0.9 * 0.3 + 0.1 * 1.0))
    assert effects["no_consequence"] == 0.0
    out = tmp_path / "calibration"
    code = main([
        "calibrate", str(copied), "--replications", "2", "--epochs", "2", "--profiles", "honest",
        "--no-stress", "--power-profile", "none", "--out", str(out), "--jobs", "1",
    ])
    assert code == 0
    assert "| honest | 2 |" in (out / "calibration.md").read_text()
