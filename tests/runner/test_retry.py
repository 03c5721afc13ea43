"""Errored samples are retried: a flaky OpenAI-compatible endpoint, then a rerun against a healthy one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from beyond_episode.run_options import RunOptions
from beyond_episode.runner import run_study
from beyond_episode.subjects.server import SubjectServer, make_server, serve_in_thread

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SAMPLES = 2 * 3 * 4  # baseline's two conditions x 3 items x 4 epochs


def _serve(fail_every: int | None) -> Iterator[SubjectServer]:
    srv = make_server("127.0.0.1", 0, fail_every=fail_every)
    serve_in_thread(srv)
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def flaky() -> Iterator[SubjectServer]:
    yield from _serve(fail_every=15)


@pytest.fixture
def healthy() -> Iterator[SubjectServer]:
    yield from _serve(fail_every=None)


def _options(tmp_path: Path, server: SubjectServer, **extra: object) -> RunOptions:
    return RunOptions(
        studies=("sandbagging_b6",),
        models=("openai-api/subjects/honest",),
        variants=("baseline",),
        items=3,
        epochs=4,
        log_dir=tmp_path / "logs",
        out=tmp_path / "report",
        model_base_url=server.url,
        # no retries by the HTTP client or Inspect's model layer: a 500 errors the sample
        model_args={"max_retries": 0},
        max_retries=0,
        display="none",
        **extra,  # type: ignore[arg-type]
    )


def _report_line(tmp_path: Path) -> str:
    report = (tmp_path / "report" / "studies" / "sandbagging_b6.md").read_text()
    return next(line for line in report.splitlines() if "| all |" in line)


def test_a_rerun_retries_the_errored_samples(tmp_path, flaky, healthy, monkeypatch):
    monkeypatch.setenv("SUBJECTS_API_KEY", "none")
    first = run_study(_options(tmp_path, flaky, retry_attempts=1))
    assert flaky.failures > 0
    assert not first.complete
    assert first.tally.samples == SAMPLES and first.tally.errored > 0
    assert f"{SAMPLES - first.tally.errored} of {SAMPLES} ({first.tally.errored} err" in _report_line(tmp_path)

    second = run_study(_options(tmp_path, healthy, retry_attempts=1))
    assert second.complete and second.attempt == 2
    assert (second.tally.samples, second.tally.errored) == (SAMPLES, 0)
    assert f"{SAMPLES} of {SAMPLES} (0 err" in _report_line(tmp_path)
    # Only the errored samples ran again: far fewer calls than the whole plan's 5 per sample.
    assert 0 < healthy.completions <= first.tally.errored * 10 < SAMPLES * 5
    record = json.loads((tmp_path / "logs" / "bep-run.json").read_text())
    assert [(a["attempt"], a["errored"], a["scored"]) for a in record["attempts"]] == [
        (1, first.tally.errored, SAMPLES - first.tally.errored),
        (2, 0, SAMPLES),
    ]
    assert record["attempts"][1]["errored_before"] == first.tally.errored


def test_retry_on_error_retries_within_the_run(tmp_path, flaky, monkeypatch):
    monkeypatch.setenv("SUBJECTS_API_KEY", "none")
    result = run_study(_options(tmp_path, flaky, retry_attempts=1, retry_on_error=3, no_report=True))
    assert flaky.failures > 0
    assert result.complete and result.tally.errored == 0 and result.tally.samples == SAMPLES
    assert result.tally.retries >= 1
