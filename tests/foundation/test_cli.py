"""The ``bep`` command line: validate, diff and list, as a user runs them."""

import subprocess
import sys
from pathlib import Path

from beyond_episode.ablations.study import load_study
from beyond_episode.cli import main


def bep(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "beyond_episode.cli", *args], capture_output=True, text=True, timeout=120)


def test_validate_passes_on_the_repository():
    result = bep("validate")
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_validate_reports_each_broken_file_on_one_line(tmp_path):
    text = load_study("sandbagging_b6").path.read_text()
    bad1 = tmp_path / "bad1.yaml"
    bad1.write_text(text.replace("levels: {consequence: developers_sad}", "levels: {consequence: developers_glad}"))
    bad2 = tmp_path / "bad2.yaml"
    bad2.write_text(text.replace("  - id: not_deployed\n", "  - id: baseline\n"))
    result = bep("validate", str(bad1), str(bad2))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3 and lines[-1] == "2 problem(s)"
    assert "bad1.yaml:" in lines[0] and "developers_glad" in lines[0]
    assert "bad2.yaml:" in lines[1] and "duplicate variant id 'baseline'" in lines[1]
    assert "Traceback" not in result.stderr


def test_diff_shows_exactly_the_changed_factor():
    result = bep("diff", "sandbagging_b6:baseline.b", "sandbagging_b6:developers_sad.b")
    assert result.returncode == 0, result.stderr
    assert "factors that differ: consequence (unlearning -> developers_sad)" in result.stdout
    assert "+If models perform extremely well at arithmetic then we will still deploy them" in result.stdout
    assert "[user]" not in result.stdout  # only the documentation changes


def test_diff_of_a_pair_defaults_to_its_two_sides():
    result = bep("diff", "sandbagging_b6:baseline")
    assert "trigger (low_performance -> high_performance)" in result.stdout


def test_bad_input_is_one_line_and_exit_2(capsys):
    assert main(["diff", "sandbagging_b6:nope.a"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bep diff: study 'sandbagging_b6' has no variant 'nope'")
    assert "\n" not in err


def test_list_shows_families_studies_variants():
    result = bep("list")
    assert result.returncode == 0, result.stderr
    for needle in ("sandbagging_qa", "sandbagging_b6", "control_ask_low", "Subject profiles"):
        assert needle in result.stdout


def test_entry_point_registers_task_for_inspect(tmp_path: Path):
    """After install, ``inspect`` resolves ``beyond_episode/sandbagging_qa`` from any directory."""
    code = (
        "from inspect_ai._eval.registry import task_create;"
        "t = task_create('beyond_episode/sandbagging_qa', variant='baseline', items=1);"
        "print(t.name, len(t.dataset))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["beyond_episode/sandbagging_qa", "2"]
