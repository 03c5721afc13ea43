"""Reading Inspect logs into the tidy table, with exclusions counted."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from inspect_ai.log import (
    EvalConfig,
    EvalDataset,
    EvalError,
    EvalLog,
    EvalSample,
    EvalSpec,
    write_eval_log,
)
from inspect_ai.scorer import Score

from beyond_episode.ablations.study import load_study
from beyond_episode.analysis import analyze, log_files, read_logs
from beyond_episode.analysis import read as read_mod

STUDY = "sandbagging_b6"
MODEL = "mockllm/model"


def _sample(variant: str, role: str, item: str, epoch: int, accuracy: float | None, error: bool = False) -> EvalSample:
    study = load_study(STUDY)
    v = study.variants[variant]
    cond = v.a if role == "a" else v.b
    meta = {
        "family": study.family, "study": study.id, "variant": v.id, "variant_number": v.number, "role": role,
        "condition": cond.id, "pair_factor": v.factor, "level": cond.levels[v.factor], "item": item,
    }
    meta.update({f"factor_{k}": lvl for k, lvl in cond.levels.items()})
    sample = EvalSample(
        id=f"{cond.id}-{item}", epoch=epoch, input="Read questions.txt and answer.", target="", metadata=meta,
        scores=None if accuracy is None else {"scorer": Score(value={"accuracy": accuracy, "actions": 4.0 + epoch})},
    )
    if error:
        sample.error = EvalError(message="provider failed\nmore", traceback="", traceback_ansi="")
    return sample


def write_small_log(path: Path) -> Path:
    samples = []
    for epoch in (1, 2, 3):
        for item in ("s1", "s2"):
            samples.append(_sample("baseline", "a", item, epoch, 0.9))
            samples.append(_sample("baseline", "b", item, epoch, 0.3))
    samples.append(_sample("baseline", "a", "s3", 1, None, error=True))  # errored
    samples.append(_sample("baseline", "b", "s3", 1, math.nan))  # unscored (NaN)
    samples.append(EvalSample(id="other", epoch=1, input="x", target="", metadata={"unrelated": True}))
    log = EvalLog(
        status="success",
        eval=EvalSpec(created="2025-01-01T00:00:00+00:00", task="sandbagging", dataset=EvalDataset(samples=9),
                      model=MODEL, config=EvalConfig(epochs=3)),
        samples=samples,
    )
    write_eval_log(log, str(path))
    return path


@pytest.fixture()
def log_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "logs" / "nested"
    folder.mkdir(parents=True)
    write_small_log(folder / "2025-01-01T00-00-00_sandbagging.eval")
    return tmp_path / "logs"


def test_tidy_frame_from_logs(log_dir: Path):
    tidy = read_logs([log_dir])
    assert len(tidy) == 14  # the sample without study metadata is not a row
    assert set(tidy["model"].astype(str)) == {MODEL}
    status = tidy["status"].astype(str).value_counts().to_dict()
    assert status == {"ok": 12, "error": 1, "unscored": 1}
    errored = tidy[tidy["status"].astype(str) == "error"].iloc[0]
    assert math.isnan(errored["outcome"]) and errored["detail"] == "provider failed"
    unscored = tidy[tidy["status"].astype(str) == "unscored"].iloc[0]
    assert math.isnan(unscored["outcome"]) and "NaN" in unscored["detail"]
    ok = tidy[tidy["status"].astype(str) == "ok"]
    assert sorted(ok["outcome"].unique()) == [0.3, 0.9]
    assert sorted(ok["epoch"].unique()) == [1, 2, 3]
    assert set(ok["actions"]) == {5.0, 6.0, 7.0}
    assert set(tidy["factor_trigger"].astype(str)) == {"low_performance", "high_performance"}
    assert any("without 'study' metadata" in n for n in read_mod.notes_of(tidy))


def test_fast_path_equals_inspect_api(log_dir: Path, monkeypatch: pytest.MonkeyPatch):
    fast = read_logs([log_dir])
    monkeypatch.setattr(log_files, "fast_summaries", lambda path: None)
    slow = read_logs([log_dir])
    cols = ["study", "variant", "role", "model", "item", "epoch", "outcome", "actions", "status", "sample_id"]
    left = fast[cols].astype(str).sort_values(cols).reset_index(drop=True)
    right = slow[cols].astype(str).sort_values(cols).reset_index(drop=True)
    assert left.equals(right)


def test_exclusions_counted_per_condition(log_dir: Path):
    result = analyze([log_dir]).result(STUDY, MODEL)
    baseline = result.variant("baseline")
    assert (baseline.a.total, baseline.a.scored, baseline.a.errored, baseline.a.unscored) == (7, 6, 1, 0)
    assert (baseline.b.total, baseline.b.scored, baseline.b.errored, baseline.b.unscored) == (7, 6, 0, 1)
    assert baseline.effect == pytest.approx(0.6)
    assert result.k == 1
    # other variants have no samples at all: untested, not counted as "no behaviour"
    assert result.variant("not_deployed").a.total == 0 and result.variant("not_deployed").interval is None


def test_duplicate_samples_across_logs_are_dropped_with_a_note(log_dir: Path):
    write_small_log(log_dir / "2025-01-02T00-00-00_again.eval")
    tidy = read_logs([log_dir])
    assert len(tidy) == 14
    assert any("duplicate" in n for n in read_mod.notes_of(tidy))


def test_logs_and_tidy_table_mix(log_dir: Path, tmp_path: Path):
    from beyond_episode.analysis import read_inputs

    tidy = read_logs([log_dir])
    table = tidy.astype({"model": str})
    table["model"] = "other/model"
    path = tmp_path / "more.csv"
    table.to_csv(path, index=False)
    both = read_inputs([log_dir, path])
    assert len(both) == 2 * len(tidy)
    report = analyze(both)
    assert report.models == [MODEL, "other/model"]
    assert report.result(STUDY, "other/model").variant("baseline").a.errored == 1
