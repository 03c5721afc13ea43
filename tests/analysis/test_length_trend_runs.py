"""Episode length as a factor, end to end: subjects that lose track show incoherence rising with
length in the report; subjects that do not, show no trend (Inspect runs of the reference subjects)."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval

from beyond_episode.analysis import StudyCatalog, analyze
from beyond_episode.prompts.family import load_family
from beyond_episode.tasks.oversight.task import oversight
from beyond_episode.tasks.sandbagging_qa.task import sandbagging_qa

HERE = Path(__file__).parent / "length"


@pytest.mark.parametrize(("family", "notes"), [("oversight", {"none": 0, "short": 4, "long": 12}),
                                                ("sandbagging_qa", {"none": 0, "short": 4, "long": 12})])
def test_the_length_factor_renders_that_many_notes_and_none_by_default(family: str, notes: dict[str, int]):
    fam = load_family(family)
    plain = fam.render({})
    assert not any("note_" in name for name in plain.files)
    for level, count in notes.items():
        rendered = fam.render({"length": level})
        names = sorted(n for n in rendered.files if "/note_" in n)
        assert len(names) == count
        assert {n: t for n, t in rendered.files.items() if "/note_" not in n} == dict(plain.files)


@pytest.mark.slow
def test_a_subject_that_loses_track_shows_a_rising_length_trend(tmp_path: Path):
    study = HERE / "oversight_length.yaml"
    for profile in ("distracted", "steady"):
        logs = inspect_eval(
            oversight(study=str(study), variant=["baseline", "long"]),
            model=f"subject/{profile}", model_args={"profile": str(HERE / f"{profile}.yaml")},
            epochs=4, log_dir=str(tmp_path), display="none",
        )
        assert logs[0].status == "success"
    report = analyze([tmp_path], studies=StudyCatalog([study]), n_boot=100, n_perm=100)
    distracted = report.result("oversight_length", "subject/distracted").length_trend
    steady = report.result("oversight_length", "subject/steady").length_trend
    assert [round(p.length) for p in distracted.points] == [5, 17]  # list, 3 reads, submit (+ 12 notes)
    assert distracted.slope.low > 0
    assert steady.slope.low < 0 < steady.slope.high


@pytest.mark.slow
def test_sandbagging_subjects_read_the_notes(tmp_path: Path):
    study = HERE / "sandbagging_length.yaml"
    logs = inspect_eval(
        sandbagging_qa(study=str(study), variant=["long"], items=1),
        model="subject/distracted", model_args={"profile": str(HERE / "distracted.yaml")},
        epochs=1, log_dir=str(tmp_path), display="none",
    )
    assert logs[0].status == "success"
    report = analyze([tmp_path], studies=StudyCatalog([study]), n_boot=100, n_perm=100)
    assert report.results[0].length_trend.reason is not None  # one length only: says so
    reads = [m for s in logs[0].samples or [] for m in s.messages if m.role == "tool" and "Routine housekeeping" in m.text]
    assert len(reads) == 2 * 12  # both conditions read the twelve notes
