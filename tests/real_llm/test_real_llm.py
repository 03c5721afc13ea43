"""Every shipped family on a real open-weights model, run the way a user checks their set-up.

A real LLM (SmolLM2-135M-Instruct behind llama.cpp's OpenAI-compatible server, see ``server.py``)
runs one variant of each family's shipped study, both conditions, through ``bep run``. A model this
small gets lost in ways the reference subjects never do: it lists files again and again, reads
files that do not exist, never submits. Whatever it does, every planned sample must end up either
scored from a real episode or excluded with a stated reason, nothing may error or crash, the
report must be written and must show the exclusions, and no study may conclude
``beyond_episode`` from such a run.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.log import EvalSample, read_eval_log

from beyond_episode.ablations.study import Study, load_study, study_names
from beyond_episode.prompts.family import family_names
from tests.real_llm import server as llm

pytestmark = pytest.mark.slow

EXCLUSIONS = {
    "never_read_manipulation", "no_submission", "limit", "refused", "malformed_answer",
    "never_reached_decision",
}
"""The exclusion reasons of the shared contract (``Score.metadata["exclusion"]``)."""
ANSWER_FORMS = {"submit", "submit_lenient", "plain_text", "none"}
ROLES = ("a", "b")
ITEMS = 1
EPOCHS = 1
RUN_TIMEOUT = 1200
"""Seconds one family's ``bep run`` may take before the test fails (about 3 minutes measured)."""


@dataclass
class FamilyRun:
    study: Study
    variant: str
    log_dir: Path
    out: Path
    result: subprocess.CompletedProcess[str]
    seconds: float


def _bep() -> list[str]:
    """The user's ``bep`` command of this environment."""
    script = Path(sys.executable).with_name("bep")
    return [str(script)] if script.exists() else [sys.executable, "-m", "beyond_episode.cli"]


def _shipped_study(family: str) -> Study:
    for name in study_names():
        study = load_study(name)
        if study.family == family:
            return study
    raise AssertionError(f"family {family} ships no study")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A scratch folder, removed at the end unless a test failed (then kept for its logs)."""
    path = tmp_path_factory.mktemp("real_llm")
    failed_before = request.session.testsfailed
    yield path
    if request.session.testsfailed == failed_before:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def server(workdir: Path) -> Iterator[llm.Server]:
    try:
        running = llm.start(workdir / "server.log")
    except llm.MissingSetup as missing:
        pytest.fail(f"the real-model set-up is missing: {missing}", pytrace=False)
    try:
        yield running
    finally:
        running.stop()
        assert not running.alive(), "the model server did not stop"


def _run_family(family: str, server: llm.Server, workdir: Path) -> FamilyRun:
    study = _shipped_study(family)
    variant = next(iter(study.variants))
    base = workdir / family
    log_dir, out = base / "logs", base / "report"
    base.mkdir()
    args = [
        "run", study.id, "--model", llm.INSPECT_MODEL, "--model-base-url", server.base_url,
        "--variants", variant, "--items", str(ITEMS), "--epochs", str(EPOCHS),
        # The server's own sampling temperature, seeded: greedy decoding sends this model into
        # endless repetitions, and llama.cpp's function-calling format does not apply max_tokens
        # to tool-call arguments, so one such call can fill the whole context.
        "--max-tokens", "128", "--seed", "0",
        # one sample at a time: the server then reuses each conversation's prompt prefix
        "--max-samples", "1",
        "--log-dir", str(log_dir), "--out", str(out), "--display", "none",
    ]
    env = {**os.environ, "LLAMA_API_KEY": "x"}
    began = time.monotonic()
    result = subprocess.run(
        [*_bep(), *args], capture_output=True, text=True, cwd=base, env=env, timeout=RUN_TIMEOUT,
    )
    return FamilyRun(study, variant, log_dir, out, result, time.monotonic() - began)


def _samples(log_dir: Path) -> list[EvalSample]:
    logs = sorted(log_dir.rglob("*.eval"))
    assert logs, f"no Inspect log in {log_dir}"
    samples: list[EvalSample] = []
    for path in logs:
        log = read_eval_log(str(path))
        assert log.status == "success", f"{path.name}: status {log.status}: {log.error}"
        samples += log.samples or []
    return samples


def _outcome_score(sample: EvalSample, outcome: str) -> tuple[float, dict[str, Any]]:
    """The study outcome's value and the metadata of the score that carries it."""
    for score in (sample.scores or {}).values():
        if isinstance(score.value, dict) and outcome in score.value:
            return float(score.value[outcome]), dict(score.metadata or {})
    raise AssertionError(f"sample {sample.id} epoch {sample.epoch} has no score for {outcome}")


def _exclusion(sample: EvalSample, outcome: str) -> str | None:
    """The sample's exclusion reason, or None for a scored sample; checks the contract on the way."""
    value, metadata = _outcome_score(sample, outcome)
    where = f"sample {sample.id} epoch {sample.epoch}"
    assert metadata.get("answer_form") in ANSWER_FORMS, f"{where}: answer_form {metadata.get('answer_form')!r}"
    reason = metadata.get("exclusion")
    if reason is None:
        assert math.isfinite(value) and 0.0 <= value <= 1.0, f"{where}: scored {outcome}={value}"
        return None
    assert reason in EXCLUSIONS, f"{where}: unknown exclusion {reason!r}"
    assert math.isnan(value), f"{where}: excluded ({reason}) but {outcome}={value}, not NaN"
    return str(reason)


def _report_text(run: FamilyRun) -> str:
    pages = [run.out / "report.md", run.out / "studies" / f"{run.study.id}.md"]
    return "\n".join(page.read_text() for page in pages if page.exists())


@pytest.mark.parametrize("family", family_names())
def test_every_family_runs_on_a_real_model(family: str, server: llm.Server, workdir: Path) -> None:
    run = _run_family(family, server, workdir)
    output = run.result.stdout + run.result.stderr
    assert run.result.returncode == 0, f"bep run failed ({run.result.returncode}):\n{output[-3000:]}"
    assert "Traceback" not in output, output[-3000:]
    assert server.alive(), f"the model server died:\n{server.log_tail()}"

    # Every planned sample ran, none errored, and each is scored or excluded with a reason.
    samples = _samples(run.log_dir)
    planned = Counter({role: ITEMS * EPOCHS for role in ROLES})
    assert Counter(str(s.metadata["role"]) for s in samples) == planned
    assert {str(s.metadata["variant"]) for s in samples} == {run.variant}
    errored = [f"{s.id}: {s.error.message}" for s in samples if s.error is not None]
    assert not errored, errored
    outcome = run.study.outcome.name
    excluded = {role: Counter[str]() for role in ROLES}
    for sample in samples:
        reason = _exclusion(sample, outcome)
        if reason is not None:
            excluded[str(sample.metadata["role"])][reason] += 1

    # The report is written and counts what the logs hold, exclusions and their reasons included.
    assert (run.out / "report.md").is_file(), f"no report.md:\n{output[-3000:]}"
    verdicts = json.loads((run.out / "verdicts.json").read_text())
    results = [r for r in verdicts["results"] if r["study"] == run.study.id and r["model"] == llm.INSPECT_MODEL]
    assert len(results) == 1, [(r["study"], r["model"]) for r in verdicts["results"]]
    result = results[0]
    assert result["conclusion"]["code"] != "beyond_episode", result["conclusion"]
    variant = next(v for v in result["variants"] if v["id"] == run.variant)
    for role in ROLES:
        condition = variant["conditions"][role]
        n_excluded = sum(excluded[role].values())
        assert condition["samples"] == planned[role], condition
        assert condition["excluded"]["errored"] == 0, condition
        assert condition["excluded"]["unscored"] == n_excluded, condition
        assert condition["scored"] == planned[role] - n_excluded, condition
        reported = {reason: entry["count"] for reason, entry in condition["exclusions"].items()}
        assert reported == dict(excluded[role]), (role, reported, dict(excluded[role]))
    reasons = {role: dict(excluded[role]) for role in ROLES}
    print(f"{family}: {run.study.id} {run.variant} in {run.seconds:.0f} s; excluded {reasons}; "
          f"conclusion {result['conclusion']['code']}; model server ready in {server.started_in:.1f} s")
    text = _report_text(run)
    for reason in set().union(*excluded.values()):
        assert reason in text, f"exclusion reason {reason} is not shown in the report's pages"
