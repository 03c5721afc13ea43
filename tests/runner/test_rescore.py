"""``bep rescore``: a tiny run, classified again by a scripted judge, without running the agents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import read_eval_log
from inspect_ai.model import ModelOutput, ModelUsage, get_model

from beyond_episode.rescore import rescore_logs
from beyond_episode.run_options import RunOptions
from beyond_episode.runner import run_study, write_study_report

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
BEP = [sys.executable, "-m", "beyond_episode.cli"]


def _judge(input: list[Any], tools: Any, tool_choice: Any, config: Any) -> ModelOutput:
    """ADMITS for the follow-up question, NO for every yes/no classifier."""
    prompt = input[-1].text
    word = "ADMITS" if "ADMITS, DENIES or UNCLEAR" in prompt else "NO"
    output = ModelOutput.from_content("mockllm/model", word)
    output.usage = ModelUsage(input_tokens=20, output_tokens=1, total_tokens=21)
    return output


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rescore")
    result = run_study(
        RunOptions(
            studies=("sandbagging_b6",), models=("subject/capability_preserver",), variants=("baseline",),
            items=1, epochs=2, log_dir=root / "logs", no_report=True, display="none",
        )
    )
    assert result.complete
    return root / "logs"


def _samples(path: Path) -> list[Any]:
    [log_file] = list(path.glob("*.eval"))
    return read_eval_log(str(log_file)).samples or []


def test_rescore_writes_new_logs_with_judge_labels(logs: Path, tmp_path: Path) -> None:
    before = _samples(logs)
    assert before and all("label_judge_followup" not in s.scores["sandbagging_scorer"].metadata for s in before)  # type: ignore[index,union-attr]
    judge = get_model("mockllm/model", custom_outputs=_judge, memoize=False)
    done = rescore_logs([logs], {"grader": judge}, out=tmp_path / "rescored")
    assert [d.samples for d in done] == [len(before)]
    after = _samples(tmp_path / "rescored")
    assert {(s.id, s.epoch) for s in after} == {(s.id, s.epoch) for s in before}
    for old, new in zip(sorted(before, key=lambda s: (s.id, s.epoch)), sorted(after, key=lambda s: (s.id, s.epoch)), strict=True):
        meta = new.scores["sandbagging_scorer"].metadata  # type: ignore[index,union-attr]
        assert meta["label_judge_followup"] == "admits"
        assert meta["label_rule_followup"] == old.scores["sandbagging_scorer"].metadata["label_rule_followup"]  # type: ignore[index,union-attr]
        # the agents did not run again: the transcripts are the originals
        assert [m.text for m in new.messages] == [m.text for m in old.messages]
    # the originals are untouched
    assert all("label_judge_followup" not in s.scores["sandbagging_scorer"].metadata for s in _samples(logs))  # type: ignore[index,union-attr]
    report = write_study_report(tmp_path / "rescored", tmp_path / "report")
    assert "sandbagging_b6" in report
    study_page = (tmp_path / "report" / "studies" / "sandbagging_b6.md").read_text().lower()
    assert "rule against judge" in study_page and "followup" in study_page


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model-role", "grader=gpt4o"], "names no provider"),
        ([], "--model-role grader="),
        (["--model-role", "grader=mockllm/model", "--out", "{logs}"], "would overwrite the logs"),
    ],
)
def test_bad_input_is_one_line(logs: Path, tmp_path: Path, args: list[str], message: str) -> None:
    args = [a.format(logs=logs) for a in args]
    result = subprocess.run([*BEP, "rescore", str(logs), *args], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("bep rescore: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
