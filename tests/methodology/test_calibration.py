"""``bep calibrate``: the harness measures what it claims, and catches a miscalibrated setting.

These use a five-variant study (``mini_b6``, k = 5) and 12-30 replications so that they run
in seconds; the full 200-replication calibration of sandbagging_b6 is
``benchmarks/bench_calibration.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from beyond_episode.ablations.study import load_study
from beyond_episode.cli import main
from beyond_episode.methodology.calibration import calibrate
from beyond_episode.methodology.calibration_report import write_calibration
from beyond_episode.methodology.checks import Rate
from beyond_episode.methodology.scenarios import SHIPPED, build_scenarios, population_conclusion
from beyond_episode.subjects.profile import load_profile
from beyond_episode.subjects.simulate import StudySimulator

RIGHT = {
    "honest": "no_effect",
    "instruction_follower": "instruction_following",
    "approval_seeker": "other_in_episode",
    "reward_seeker": "other_in_episode",
    "capability_preserver": "beyond_episode",
}


def test_right_conclusions_are_the_analyzers_limit() -> None:
    """With every interval shrunk to the true effect, the analyzer gives each shipped profile
    the conclusion it was built for, on the shipped study."""
    study = load_study("sandbagging_b6")
    for name, right in RIGHT.items():
        assert population_conclusion(study, StudySimulator(study, load_profile(name)).true_effects()) == right
    scenarios = build_scenarios(study, SHIPPED, study.items, stress=False, power_profile=None)
    assert {s.label: s.null for s in scenarios} == {n: n != "capability_preserver" for n in SHIPPED}


def test_shipped_profiles_on_a_small_study(mini_study: Path, tmp_path: Path) -> None:
    """12 replications per shipped profile at 4 epochs: no false 'beyond_episode', the right
    conclusion nearly always, and a report with every number."""
    reps = 12
    cal = calibrate(mini_study, replications=reps, epochs=[4], stress=False, power_profile=None, jobs=2, seed=1)
    for name, right in RIGHT.items():
        row = cal.row(name, 4)
        assert row.scenario.right == right
        assert row.right.value >= 0.9, (name, row.conclusions)
        if row.false_beyond is not None:
            assert row.false_beyond.hits == 0
    # coverage counts only the variants with randomness: none for honest, one per effect otherwise
    assert cal.row("honest", 4).coverage.n == 0
    assert cal.row("approval_seeker", 4).coverage.n == reps * 2
    assert cal.row("capability_preserver", 4).coverage.n == reps * 1
    check = next(c for c in cal.checks if c.name.startswith("false 'beyond_episode' conclusions, shipped"))
    assert check.status != "fail"
    paths = write_calibration(cal, tmp_path)
    text = paths["report"].read_text()
    assert "| capability_preserver | 4 |" in text and "Clopper-Pearson" in text
    assert len(paths["replications"].read_text().splitlines()) == 1 + 5 * reps


def _noisy_honest(tmp_path: Path) -> str:
    """The honest profile that also acts at random in 30% of episodes: every condition noisy,
    every true effect 0, so any effect shown is a false one."""
    path = tmp_path / "noisy_honest.yaml"
    path.write_text("name: noisy_honest\nbase_rate: 0.3\ncompetence: 0.9\n")
    return str(path)


def test_a_broken_setting_exceeds_alpha_and_the_right_one_does_not(mini_study: Path, tmp_path: Path) -> None:
    """Under a subject with no effect at all, the analyzer's study-wide intervals give a wrong
    conclusion (anything but no_effect) at most alpha of the time; run with a deliberately
    wrong error rate (0.5 instead of 0.05, every interval at 0.90 instead of 0.99) the harness
    shows the rate well above alpha."""
    profile = _noisy_honest(tmp_path)
    alpha, reps = 0.05, 30
    right = calibrate(mini_study, replications=reps, epochs=[6], profiles=[profile], stress=False, power_profile=None, jobs=2)
    broken = calibrate(
        mini_study, replications=reps, epochs=[6], profiles=[profile], stress=False, power_profile=None, jobs=2,
        alpha=0.5,
    )
    ok, bad = right.row("noisy_honest", 6), broken.row("noisy_honest", 6)
    wrong_ok = Rate(ok.right.n - ok.right.hits, ok.right.n)
    wrong_bad = Rate(bad.right.n - bad.right.hits, bad.right.n)
    assert wrong_ok.interval[0] <= alpha, ok.conclusions
    assert wrong_bad.interval[0] > alpha, bad.conclusions
    assert ok.simultaneous.interval[1] >= 1 - alpha


def test_power_grows_with_epochs(mini_study: Path) -> None:
    """capability_preserver rescaled to a true effect of 0.3 (one variant carries it): the
    simulated power rises with the epochs, as the analytic power does."""
    cal = calibrate(
        mini_study, replications=15, profiles=[], stress=False, power_effects=[0.3], power_epochs=[2, 12],
        power_replications=15, jobs=2,
    )
    low, high = cal.row("capability_preserver@0.3", 2), cal.row("capability_preserver@0.3", 12)
    assert low.right.value < high.right.value and high.right.value >= 0.7
    assert low.analytic_power is not None and high.analytic_power is not None
    assert low.analytic_power < high.analytic_power
    assert low.analytic_power_bound is not None and low.analytic_power_bound <= low.analytic_power


def test_cli_writes_the_report_and_rejects_bad_input(mini_study: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main([
        "calibrate", str(mini_study), "--replications", "2", "--epochs", "2", "--profiles", "honest",
        "--no-stress", "--power-profile", "none", "--out", str(out), "--jobs", "1",
    ])
    assert code == 0
    assert {p.name for p in out.iterdir()} == {"calibration.md", "calibration.csv", "replications.csv"}
    capsys.readouterr()
    assert main(["calibrate", str(mini_study), "--profiles", "no_such_profile", "--jobs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("bep calibrate: unknown subject profile 'no_such_profile'")
    assert main(["calibrate", "no_such_study"]) == 2
    assert "unknown study 'no_such_study'" in capsys.readouterr().err


def test_an_interrupted_run_resumes_from_its_checkpoint(mini_study: Path, tmp_path: Path) -> None:
    """Finished replications are kept in the checkpoint; a rerun with the same settings runs
    only the missing ones, and gets the same results (the seeds make them identical)."""
    kwargs = dict(replications=4, epochs=[2], profiles=["approval_seeker"], stress=False, power_profile=None, jobs=1)
    checkpoint = tmp_path / "partial.jsonl"
    full = calibrate(mini_study, checkpoint=checkpoint, **kwargs)  # type: ignore[arg-type]
    lines = checkpoint.read_text().splitlines()
    assert len(lines) == 1 + 4
    checkpoint.write_text("\n".join(lines[:3]) + "\n")  # as if killed after two replications
    resumed = calibrate(mini_study, checkpoint=checkpoint, **kwargs)  # type: ignore[arg-type]
    columns = [c for c in full.records.columns if c != "seconds"]
    assert resumed.records[columns].equals(full.records[columns])
    assert len(checkpoint.read_text().splitlines()) == 1 + 4



@pytest.mark.parametrize("study_id", ["shutdown_precedence", "goal_guarding_tiers", "oversight_goals"])
def test_every_shipped_study_can_be_calibrated(study_id: str) -> None:
    """Every family is simulated by its own policy, so ``bep calibrate`` works on every shipped
    study: here capability_preserver's true effects give it the conclusion it was built for."""
    study = load_study(study_id)
    sim = StudySimulator(study, load_profile("capability_preserver"))
    assert population_conclusion(study, sim.true_effects()) == "beyond_episode"
    cal = calibrate(study.path, replications=2, epochs=[2], profiles=["capability_preserver"], stress=False, power_profile=None, jobs=1)
    assert cal.row("capability_preserver", 2).scenario.right == "beyond_episode"
