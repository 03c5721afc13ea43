"""``-T items=010`` never silently runs 8 items: ``bep run -T`` and ``inspect eval -T`` both
refuse a value that YAML 1.1 would coerce (octal, sexagesimal, hexadecimal, yes/no)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from beyond_episode.cli import main
from beyond_episode.errors import BepError
from beyond_episode.tasks.environment.task_args import check_raw_task_args, strict_value
from beyond_episode.tasks.sandbagging_qa.task import sandbagging_qa

INSPECT = Path(sys.executable).parent / "inspect"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("010", "-T items=010: ambiguous number (leading zero); write 10"),
        ("0x10", "-T items=0x10: ambiguous number (hexadecimal, YAML 1.1 reads it as 16)"),
        ("1:30", "-T items=1:30: ambiguous number (sexagesimal, YAML 1.1 reads it as 90)"),
        ("yes", "-T items=yes: ambiguous value (YAML 1.1 reads it as true)"),
    ],
)
def test_bep_run_refuses_a_coerced_value(value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "sandbagging_b6", "-T", f"items={value}", "--dry-run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"bep run: {message}") and "\n" not in err


def test_bep_run_takes_plain_task_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "sandbagging_b6", "-T", "items=3", "-T", "variant=baseline", "--dry-run"]) == 0
    assert "sandbagging_b6 [sandbagging_qa]: 2 conditions x 3 items" in capsys.readouterr().out


def test_bep_run_refuses_a_task_argument_it_cannot_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "sandbagging_b6", "-T", "bank=x", "--dry-run"]) == 2
    assert "-T bank: bep run sets only the task arguments items, variant" in capsys.readouterr().err
    assert main(["run", "sandbagging_b6", "-T", "items=3", "--items", "3", "--dry-run"]) == 2
    assert "--items and -T items set the same thing" in capsys.readouterr().err


def test_the_task_refuses_what_inspect_coerced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inspect hands the task 8 for ``-T items=010``; the task reads the raw text it was given."""
    monkeypatch.setattr(sys, "argv", ["inspect", "eval", "beyond_episode/sandbagging_qa", "-T", "items=010"])
    with pytest.raises(BepError, match=r"^-T items=010: ambiguous number \(leading zero\); write 10$"):
        sandbagging_qa(items=8, variant="baseline")
    monkeypatch.setattr(sys, "argv", ["inspect", "eval", "beyond_episode/sandbagging_qa", "-T", "items=8"])
    assert len(sandbagging_qa(items=8, variant="baseline").dataset) == 16


def test_raw_task_args_come_from_the_command_line_and_the_environment() -> None:
    with pytest.raises(BepError, match="write 10"):
        check_raw_task_args(["items"], argv=["eval", "x", "-Titems=010"], environ={})
    with pytest.raises(BepError, match="sexagesimal"):
        check_raw_task_args(["items"], argv=[], environ={"INSPECT_EVAL_TASK_ARGS": "items=1:30"})
    check_raw_task_args(["items"], argv=["-T", "other=010"], environ={})  # not this task's
    assert strict_value("variant", "baseline") == "baseline"
    assert strict_value("items", "-7") == -7 and strict_value("flag", "no", bool_argument=True) is False


def test_inspect_eval_stops_on_items_010(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(INSPECT), "eval", "beyond_episode/sandbagging_qa", "-T", "items=010", "-T", "variant=baseline",
         "--model", "subject/honest", "--log-dir", str(tmp_path), "--display", "plain"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "-T items=010: ambiguous number (leading zero); write 10" in result.stdout + result.stderr
    assert not list(tmp_path.glob("*.eval"))
