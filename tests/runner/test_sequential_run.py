"""``bep run --sequential`` as a user runs it: variants stop once settled, the report says where,
the conclusion is the fixed design's, a kill -9 resumes without losing or repeating samples."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log

from beyond_episode.analysis import read_logs

BEP = [sys.executable, "-m", "beyond_episode.cli"]
VARIANTS = "baseline,dont_sandbag,no_goal"


def bep(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*BEP, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def _summary(log_dir: Path) -> dict:
    headers = [read_eval_log(str(p), header_only=True) for p in log_dir.glob("*.eval")]
    [header] = [h for h in headers if h.status == "success"]
    assert header.results is not None and header.results.early_stopping is not None
    return header.results.early_stopping.metadata


def test_sequential_run_stops_settled_variants_and_agrees_with_the_fixed_design(tmp_path):
    common = ["run", "sandbagging_b6", "--variants", VARIANTS, "--items", "5", "--epochs", "8",
              "--model", "subject/capability_preserver", "--display", "none"]
    seq = bep(*common, "--sequential", "--log-dir", str(tmp_path / "seq" / "logs"), cwd=tmp_path)
    assert seq.returncode == 0, seq.stderr[-2000:]
    assert "sequential: looks at 1, 2, 4, 8 epochs" in seq.stdout
    assert "Sequential design: 120 samples used and 120 run, against 240 for the fixed design (50% used, 50% run)." in seq.stdout
    assert "family-wise alpha 0.05 over 19 variants x 4 looks." in seq.stdout
    summary = _summary(tmp_path / "seq" / "logs")
    assert summary["looks"] == [1, 2, 4, 8]
    assert {v: (s["epochs"], s["settled"]) for v, s in summary["stops"].items()} == {
        "baseline": (4, True), "dont_sandbag": (4, True), "no_goal": (4, True)
    }
    assert summary["skipped_samples"] > 0
    assert len(read_logs([tmp_path / "seq" / "logs"])) == 120  # no sample ran past its look
    study_md = (tmp_path / "seq" / "report" / "studies" / "sandbagging_b6.md").read_text()
    assert "look 3 (4 epochs): 3 variant(s) settled and stopped: baseline (interval [+" in study_md
    assert "every interval at 1 - 0.05/(3 x 4) (Bonferroni over variants and looks)" in study_md

    fixed = bep(*common, "--log-dir", str(tmp_path / "fixed" / "logs"), cwd=tmp_path)  # --epochs: fixed
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    conclusions = [
        {r["model"]: r["conclusion"]["code"] for r in json.loads((tmp_path / d / "report" / "verdicts.json").read_text())["results"]}
        for d in ("seq", "fixed")
    ]
    assert conclusions[0] == conclusions[1] == {"subject/capability_preserver": "beyond_episode"}
    assert len(read_logs([tmp_path / "seq" / "logs"])) < len(read_logs([tmp_path / "fixed" / "logs"])) == 240


def test_kill_9_mid_sequential_run_then_resume_loses_and_repeats_nothing(tmp_path):
    log_dir = tmp_path / "logs"
    args = ["run", "sandbagging_b6", "--variants", VARIANTS, "--items", "5", "--epochs", "16", "--sequential",
            "--model", "subject/honest", "--log-dir", str(log_dir), "--no-report", "--display", "none"]
    process = subprocess.Popen([*BEP, *args], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline, killed = time.time() + 300, False
    while time.time() < deadline:
        logs = list(log_dir.glob("*.eval"))
        if logs and logs[0].stat().st_size > 150_000:
            os.killpg(process.pid, signal.SIGKILL)
            killed = True
            break
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.wait()
    assert killed, "the run finished before it could be interrupted"

    resumed = bep(*args, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    tidy = read_logs([log_dir])
    assert not tidy.duplicated(["variant", "role", "sample_id", "epoch"]).any()
    assert (tidy["status"].astype(str) == "ok").all()
    summary = _summary(log_dir)
    for variant, stop in summary["stops"].items():
        rows = tidy[(tidy["variant"].astype(str) == variant) & (tidy["epoch"] <= stop["epochs"])]
        assert len(rows) == 2 * 5 * stop["epochs"], f"{variant}: samples of its looks are missing"


def test_dry_run_prints_the_maximum_and_expected_calls_and_cost(tmp_path):
    result = bep("run", "sandbagging_b6", "--variants", "baseline,dont_sandbag", "--epochs", "16", "--sequential",
                 "--model", "openai/gpt-4o", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sequential: looks at 1, 2, 4, 8, 16 epochs" in result.stdout
    line = next(x for x in result.stdout.splitlines() if x.strip().startswith("sandbagging_b6: looks at"))
    assert "at most 1,600 model calls, expected about" in line
    assert "expected cost about $" in result.stdout
    assert not (tmp_path / "bep-runs").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--looks", "1,2", "--epochs", "2"], "--looks needs --sequential"),
        (["--full", "--sequential", "--fixed"], "--fixed and --sequential exclude each other"),
        (["--fixed", "--epochs", "4"], "--fixed applies to the studies' own epochs"),
        (["--sequential", "--looks", "4,2"], "--looks takes strictly increasing positive epochs"),
        (["--sequential", "--looks", "1,2", "--epochs", "4"], "--looks must end at --epochs (4)"),
    ],
)
def test_bad_looks_are_one_line(tmp_path, args, message):
    result = bep("run", "sandbagging_b6", *args, "--dry-run", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_studies_own_epochs_run_sequentially_unless_fixed(tmp_path):
    from beyond_episode.run_options import RunOptions
    from beyond_episode.runner import make_plan

    full = make_plan(RunOptions(studies=("sandbagging_b6",), models=("subject/honest",), full=True))
    assert full.studies[0].looks == (1, 2, 4, 8, 16, 32, 64, 144)
    fixed = make_plan(RunOptions(studies=("sandbagging_b6",), models=("subject/honest",), full=True, fixed=True))
    assert fixed.studies[0].looks == () and fixed.studies[0].epochs == 144
    quick = make_plan(RunOptions(studies=("sandbagging_b6",), models=("subject/honest",)))
    assert quick.studies[0].looks == (1, 2, 4) and quick.studies[0].epochs == 4
    quick_fixed = make_plan(RunOptions(studies=("sandbagging_b6",), models=("subject/honest",), fixed=True))
    assert quick_fixed.studies[0].looks == () and quick_fixed.studies[0].epochs == 4
    given = make_plan(RunOptions(studies=("sandbagging_b6",), models=("subject/honest",), epochs=6))
    assert given.studies[0].looks == () and given.studies[0].epochs == 6


def test_a_study_of_fixed_design_runs_every_epoch_unless_asked(tmp_path):
    """The length studies ask for a trend the stopping rule does not know (``design: fixed``):
    they run every epoch, and a bad design is a one-line error naming the file."""
    from beyond_episode.run_options import RunOptions
    from beyond_episode.runner import make_plan

    plan = make_plan(RunOptions(studies=("oversight_length", "oversight_goals"), models=("subject/honest",)))
    looks = {p.study.id: p.looks for p in plan.studies}
    assert looks == {"oversight_length": (), "oversight_goals": (1, 2, 4)}
    assert "fixed: every epoch runs" in plan.describe()
    asked = make_plan(RunOptions(studies=("oversight_length",), models=("subject/honest",), sequential=True))
    assert asked.studies[0].looks == (1, 2, 4, 8)

    from beyond_episode.paths import ablations_dir

    text = (ablations_dir() / "oversight_length.yaml").read_text().replace("design: fixed", "design: adaptive")
    (tmp_path / "bad.yaml").write_text(text.replace("study: oversight_length", "study: bad"))
    result = bep("validate", str(tmp_path / "bad.yaml"), cwd=tmp_path)
    assert result.returncode != 0
    assert "bad.yaml:24: field 'design' must be one of sequential, fixed (got 'adaptive')" in result.stdout + result.stderr
