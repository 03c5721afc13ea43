"""``bep run`` as a user runs it: the plan, two models in one report, and kill -9 then resume."""

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


def bep(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*BEP, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_dry_run_prints_the_plan_and_runs_nothing(tmp_path):
    result = bep(
        "run", "sandbagging_b6", "--variants", "baseline,dont_sandbag", "--epochs", "3",
        "--model", "subject/honest", "--model", "openai/gpt-4o", "--dry-run", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "4 conditions x 5 items x 3 epochs (declared for publication: " in result.stdout
    assert "= 60 samples per model" in result.stdout
    assert "total: 120 samples, about 600 model calls" in result.stdout
    assert not (tmp_path / "bep-runs").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["nope"], "unknown study 'nope'"),
        (["sandbagging_b6", "--epochs", "0"], "--epochs must be a positive integer"),
        (["all", "--variants", "baseline"], "--variants selects variants of a single study"),
        (["sandbagging_b6", "--variants", "baseline,nope"], "has no variant 'nope'"),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, message):
    result = bep("run", *args, "--dry-run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("bep run: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_two_models_write_one_report_with_both_columns(tmp_path):
    result = bep(
        "run", "sandbagging_b6", "--variants", "baseline,control_ask_low", "--items", "2", "--epochs", "2",
        "--model", "subject/honest", "--model", "subject/capability_preserver",
        "--log-dir", str(tmp_path / "logs"), "--display", "none", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    verdicts = json.loads((tmp_path / "report" / "verdicts.json").read_text())
    models = {r["model"] for r in verdicts["results"]}
    assert models == {"subject/honest", "subject/capability_preserver"}
    table = (tmp_path / "report" / "tables" / "comparison.md").read_text()
    header = next(line for line in table.splitlines() if "subject/honest" in line)
    assert "subject/capability_preserver" in header
    assert "Report: " in result.stdout and "Conclusions (rows: studies" in result.stdout


def test_kill_9_mid_run_then_resume_gives_exactly_the_planned_samples(tmp_path):
    log_dir = tmp_path / "logs"
    args = [
        "run", "sandbagging_b6", "--variants", "baseline,dont_sandbag,no_goal", "--items", "5", "--epochs", "10",
        "--model", "subject/honest", "--log-dir", str(log_dir), "--no-report", "--display", "none",
    ]
    planned = 3 * 2 * 5 * 10
    process = subprocess.Popen([*BEP, *args], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    killed_at = None
    while time.time() < deadline:
        logs = list(log_dir.glob("*.eval"))
        if logs and logs[0].stat().st_size > 150_000:  # samples have been flushed to the log
            os.killpg(process.pid, signal.SIGKILL)
            killed_at = time.time()
            break
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.wait()
    assert killed_at is not None, "the run finished before it could be interrupted"
    [partial] = list(log_dir.glob("*.eval"))
    assert read_eval_log(str(partial), header_only=True).status == "started"

    resumed = bep(*args, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    # What the analyzer reads is exactly the plan: no sample lost, none twice.
    tidy = read_logs([log_dir])
    assert len(tidy) == planned
    assert not tidy.duplicated(["variant", "role", "sample_id", "epoch"]).any()
    assert (tidy["status"].astype(str) == "ok").all()
    complete = [p for p in log_dir.glob("*.eval") if read_eval_log(str(p), header_only=True).status == "success"]
    assert len(complete) == 1
    log = read_eval_log(str(complete[0]))
    assert len({(s.id, s.epoch) for s in log.samples}) == planned
    before_kill = [s for s in log.samples if _epoch_seconds(s.started_at) < killed_at]
    assert before_kill, "completed samples from the interrupted run were redone instead of kept"


def _epoch_seconds(stamp: object) -> float:
    from datetime import datetime

    return datetime.fromisoformat(str(stamp)).timestamp()
