"""``bep run`` options: cost before the run, what reaches Inspect, and one-line errors."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from beyond_episode import cost
from beyond_episode.run_cmd import configure, options_from_args

BEP = [sys.executable, "-m", "beyond_episode.cli"]


def bep(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*BEP, *args], capture_output=True, text=True, cwd=cwd, timeout=300, env=env)


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure(parser)
    return parser.parse_args(list(argv))


def _money(line: str) -> float:
    return float(re.search(r"about \$([\d,]+\.\d\d)", line).group(1).replace(",", ""))  # type: ignore[union-attr]


def test_full_dry_run_prints_tokens_and_cost_without_key_or_network(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_PROXY": "*", "HTTPS_PROXY": "http://127.0.0.1:9"}
    result = bep("run", "sandbagging_b6", "--model", "openai/gpt-4o", "--full", "--dry-run", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    [line] = [ln for ln in result.stdout.splitlines() if ln.strip().startswith("openai/gpt-4o:")]
    tokens_in, tokens_out = (int(x.replace(",", "")) for x in re.findall(r"([\d,]+) (?:input|output)", line))
    assert tokens_in > tokens_out > 0
    assert "$2.5/$10 per M" in line
    assert _money(line) == pytest.approx((tokens_in * 2.5 + tokens_out * 10) / 1e6, abs=0.01)
    assert "with --batch about $" in line
    assert not (tmp_path / "bep-runs").exists()


def test_the_conversation_grows_with_each_call():
    meta = {"prompt_system": "s" * 400, "prompt_user": "u" * 400, "prompt_followup": "f" * 40, "file_a": "x" * 800}
    one, five = cost.episode_usage(meta, 1, 100), cost.episode_usage(meta, 5, 100)
    assert one.input == pytest.approx(200 + 200) and one.output == 100
    # 5 calls each send the prompts (5 x 200), the earlier answers (100 x (0+1+2+3+4)),
    # on average half the files (200 x 5 / 2) and, once, the follow-up (10)
    assert five.input == pytest.approx(5 * 200 + 100 * 10 + 200 * 5 / 2 + 10)
    assert five.output == 500


def test_price_and_batch_on_the_command_line(tmp_path):
    result = bep(
        "run", "sandbagging_b6", "--variants", "baseline", "--items", "1", "--epochs", "2",
        "--model", "openai-api/local/m", "--model", "subject/honest", "--price", "1,2", "--batch", "--dry-run",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    local = next(ln for ln in result.stdout.splitlines() if "openai-api/local/m:" in ln)
    assert "(--price)" in local and "offers no batch mode" in local
    assert "no cost (offline model)" in result.stdout


def test_dry_run_from_a_pilot_log(tmp_path):
    from beyond_episode.run_options import RunOptions
    from beyond_episode.runner import run_study

    pilot = tmp_path / "pilot"
    run_study(
        RunOptions(studies=("sandbagging_b6",), models=("subject/honest",), variants=("baseline",),
                   items=1, epochs=1, log_dir=pilot, no_report=True, display="none")
    )
    result = bep(
        "run", "sandbagging_b6", "--variants", "baseline", "--items", "2", "--epochs", "3",
        "--model", "openai/gpt-4o", "--pilot", str(pilot), "--dry-run", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert f"measured per sample in {pilot}" in result.stdout
    per_sample = cost.pilot_usage([pilot])["sandbagging_qa"]
    line = next(ln for ln in result.stdout.splitlines() if "openai/gpt-4o:" in ln)
    assert f"{per_sample.input * 12:,.0f} input" in line


def test_options_reach_inspect():
    options = options_from_args(_parse(
        "sandbagging_b6", "--message-limit", "30", "--token-limit", "50000", "--retry-on-error", "3",
        "--batch", "--cache", "1D", "--max-retries", "2", "--model-role", "grader=openai/gpt-4o-mini",
    ))
    passed = options.eval_options()
    assert (passed["message_limit"], passed["token_limit"], passed["retry_on_error"]) == (30, 50000, 3)
    assert passed["batch"] is True and passed["cache"].expiry == "1D" and passed["max_retries"] == 2
    assert passed["model_roles"] == {"grader": "openai/gpt-4o-mini"}
    # by default an errored sample fails its log, so that eval-set retries it
    assert (passed["fail_on_error"], passed["continue_on_fail"]) == (True, True)
    tolerant = options_from_args(_parse("sandbagging_b6", "--fail-on-error", "0.1")).eval_options()
    assert tolerant["fail_on_error"] == 0.1 and "continue_on_fail" not in tolerant
    assert "message_limit" not in options_from_args(_parse("sandbagging_b6")).eval_options()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "gpt4o"], "--model 'gpt4o' names no provider"),
        (["--model", "nosuch/model"], "unknown model provider 'nosuch'"),
        (["--model-role", "grader=gpt4o"], "--model-role grader 'gpt4o' names no provider"),
        (["--alpha", "2"], "--alpha must lie in (0, 0.5], got 2"),
        (["--alpha", "0"], "--alpha must lie in (0, 0.5]"),
        (["--message-limit", "0"], "--message-limit must be a positive integer"),
        (["--retry-on-error", "-1"], "--retry-on-error must be zero or more"),
        (["--jobs", "0"], "--jobs must be a positive integer"),
        (["--epochs", "2000000000000"], "--epochs must be at most 10,000,000"),
        (["--temperature", "nan"], "--temperature must lie in [0, 2]"),
        (["--price", "abc"], "--price takes IN,OUT"),
        (["--batch", "0"], "--batch takes an optional positive batch size"),
        (["--cache", "soon"], "--cache takes an expiry"),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, message):
    result = bep("run", "sandbagging_b6", *args, "--dry-run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("bep run: ")
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
