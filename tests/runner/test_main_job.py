"""The main job end to end: every shipped study on the reference subjects it names, offline.

This is what ``make run`` does. Each profile's preferences are known, so the conclusions are
known: the analyzer must recover them for every family from the subjects' behaviour alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from beyond_episode.ablations.study import load_study, study_names
from beyond_episode.subjects.profile import profile_names
from tests.families.design import KNOWN


@pytest.fixture(scope="module")
def main_job(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    root = tmp_path_factory.mktemp("main-job")
    result = subprocess.run(
        [sys.executable, "-m", "beyond_episode.cli", "run", "all", "--jobs", "2", "--log-dir", str(root / "logs"), "--display", "none"],
        capture_output=True, text=True, cwd=root, timeout=3000,
    )
    return result, root / "report"


def test_every_profile_gets_its_known_conclusion_on_every_study(main_job):
    result, report = main_job
    assert result.returncode == 0, result.stderr[-3000:]
    verdicts = json.loads((report / "verdicts.json").read_text())
    got = {(r["study"], r["model"]): r["conclusion"]["code"] for r in verdicts["results"]}
    expected = {
        (study, f"subject/{profile}"): KNOWN[study][profile]
        for study in study_names()
        for profile in load_study(study).subjects or profile_names()
    }
    assert set(KNOWN) == set(study_names())
    assert all(set(known) == set(profile_names()) for known in KNOWN.values())
    assert got == expected


def test_main_job_is_sequential_and_spends_at_most_half_of_the_fixed_design(main_job):
    """The main job runs the sequential design on the studies' quick epochs: it says how many
    samples it ran and used against the fixed design, and no sample runs past its look."""
    import re

    result, _ = main_job
    found = re.search(
        r"Sequential design: (\d+) samples used and (\d+) run, against (\d+) for the fixed design", result.stdout
    )
    assert found, result.stdout[:2000]
    used, run, fixed = map(int, found.groups())
    assert run == used and fixed == 19456
    assert run <= fixed / 2


def test_main_job_reports_where_and_what(main_job):
    result, report = main_job
    assert f"Report: {report / 'report.md'}" in result.stdout.replace(str(report.resolve()), str(report))
    assert "Conclusions (rows: studies" in result.stdout and "beyond_episode" in result.stdout
    text = (report / "report.md").read_text()
    assert "Quick run with fewer epochs than the studies declare" in text
    assert (report / "tables" / "hypotheses.md").is_file()
    assert any((report / "figures").glob("*forest.png"))


def test_incoherence_rises_with_length_only_for_the_profile_that_loses_track(main_job):
    """Episode length in the main job: the distracted profile's incoherence rises with the number
    of actions (interval above 0), the capability preserver's does not (interval contains 0), and
    the figure is drawn for both length studies."""
    _, report = main_job
    verdicts = json.loads((report / "verdicts.json").read_text())
    slopes = {
        r["model"]: r["coherence"]["length_trend"]["slope"]
        for r in verdicts["results"] if r["study"] == "oversight_length"
    }
    low, high = slopes["subject/distracted"]["interval"]
    assert low > 0 and slopes["subject/distracted"]["direction"] == "rising"
    low, high = slopes["subject/capability_preserver"]["interval"]
    assert low <= 0 <= high
    for study in ("oversight_length", "sandbagging_length"):
        assert (report / "figures" / f"{study}__coherence.png").is_file()


def test_report_html_of_the_main_job_in_chromium(main_job):
    """The main job's report.html in headless Chromium: no console error, no network request, and
    one matrix cell per study x model with the code of verdicts.json (a dash where the study does
    not name that subject)."""
    from tests.report.browser import visit

    _, report = main_job
    script = ("JSON.stringify(Array.from(document.querySelectorAll('#matrix tbody td'))"
              ".map(td => [td.dataset.study, td.dataset.model, td.dataset.code]))")
    seen = visit(report / "report.html", script, timeout=300)
    assert seen.errors == [] and seen.network == []
    cells = {(s, m): code for s, m, code in json.loads(seen.value)}
    expected = {(r["study"], r["model"]): r["conclusion"]["code"]
                for r in json.loads((report / "verdicts.json").read_text())["results"]}
    assert {k: v for k, v in cells.items() if k in expected} == expected
    assert set(cells) >= set(expected) and all(v == "—" for k, v in cells.items() if k not in expected)
