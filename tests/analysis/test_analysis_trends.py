"""Incoherence against episode length, and effects and incoherence across model versions."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from beyond_episode.analysis import analyze, write_report
from beyond_episode.analysis.report_cmd import configure, run
from beyond_episode.analysis.trend_sim import length_table, versions_table
from beyond_episode.errors import BepError

STUDY = "oversight_goals"
FAST = {"n_boot": 100, "n_perm": 100}


@pytest.fixture(scope="module")
def length_report():
    frame = pd.concat([
        length_table(STUDY, [2, 6, 10, 16], lose_track=0.05, model="sim/losing"),
        length_table(STUDY, [2, 6, 10, 16], lose_track=0.0, rate=0.3, model="sim/steady"),
    ])
    return analyze(frame, **FAST)


def test_losing_track_shows_a_rising_length_trend_and_a_steady_profile_none(length_report):
    losing = length_report.result(STUDY, "sim/losing").length_trend
    steady = length_report.result(STUDY, "sim/steady").length_trend
    assert losing.slope.low > 0 and losing.slope.direction == "rising"
    assert steady.slope.low < 0 < steady.slope.high and steady.slope.direction == "no trend"
    lengths = [p.length for p in losing.points]
    assert lengths == [2, 6, 10, 16]
    values = [p.coherence.incoherence for p in losing.points]
    assert values[-1] > values[0]


def test_length_table_figure_and_json(length_report, tmp_path: Path):
    written = write_report(length_report, tmp_path, formats=("md", "csv"))
    assert any(p.name == f"{STUDY}__coherence.png" for p in written["figures"])
    study_md = (tmp_path / "studies" / f"{STUDY}.md").read_text()
    assert "sim/losing: incoherence by episode length" in study_md
    assert "incoherence rises with length" in study_md
    assert "no trend of incoherence with length (the interval contains 0)" in study_md
    coherence = pd.read_csv(tmp_path / "tables" / "coherence.csv")
    trend = coherence[(coherence["scope"] == "length_trend") & (coherence["model"] == "sim/losing")].iloc[0]
    assert trend["slope_low"] > 0
    data = json.loads((tmp_path / "verdicts.json").read_text())
    lt = next(r for r in data["results"] if r["model"] == "sim/steady")["coherence"]["length_trend"]
    assert lt["slope"]["direction"] == "no trend" and lt["reason"] is None


def test_one_length_says_too_little_spread_and_draws_no_figure(tmp_path: Path):
    report = analyze(length_table(STUDY, [5], rate=0.3), **FAST)
    trend = report.results[0].length_trend
    assert trend.slope is None and trend.reason.startswith("too little spread in episode length")
    written = write_report(report, tmp_path, formats=("md",))
    assert not any("coherence" in p.name for p in written["figures"])
    assert "No incoherence figure: too little spread in episode length" in (tmp_path / "studies" / f"{STUDY}.md").read_text()


def test_fully_coherent_errors_give_a_flat_trend():
    report = analyze(length_table(STUDY, [2, 8], rate=0.0, items=4, epochs=4), **FAST)
    slope = report.results[0].length_trend.slope
    assert (slope.coef, slope.low, slope.high) == (0.0, 0.0, 0.0)


def _cli(tmp_path: Path, table: Path, *extra: str, capsys) -> str:
    import argparse

    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args([str(table), "--out", str(tmp_path / "out"), "--format", "csv", "--no-figures",
                              "--bootstrap", "100", "--permutations", "100", *extra])
    assert run(args) == 0
    return capsys.readouterr().out


def test_rising_propensity_across_versions_is_a_significant_trend(tmp_path: Path, capsys):
    table = tmp_path / "versions.csv"
    versions_table(STUDY, [{"goal_in_user.a": r} for r in (0.2, 0.5, 0.8)]).to_csv(table, index=False)
    out = _cli(tmp_path, table, capsys=capsys)  # the table's version column gives the order
    assert "versions (oldest first): sim/v1, sim/v2, sim/v3" in out
    assert "goal_in_user: effect rising across versions" in out
    frame = pd.read_csv(tmp_path / "out" / "tables" / "versions.csv")
    found = frame[(frame["scope"] == "effect_trend") & (frame["p_holm"] < 0.05)]
    assert list(found["variant"]) == ["goal_in_user"]
    assert found["level"].iloc[0] == pytest.approx(1 - 0.05 / 11)


def test_identical_versions_show_no_trend(tmp_path: Path, capsys):
    table = tmp_path / "same.csv"
    versions_table(STUDY, [{}, {}, {}]).drop(columns="version").to_csv(table, index=False)
    out = _cli(tmp_path, table, "--versions", "sim/v1,sim/v2,sim/v3", capsys=capsys)
    assert "no trend across versions" in out


def test_reversed_versions_reverse_the_trend():
    frame = versions_table(STUDY, [{"goal_in_user.a": r} for r in (0.2, 0.5, 0.8)]).drop(columns="version")
    up = analyze(frame, versions="sim/v1,sim/v2,sim/v3", **FAST)
    down = analyze(frame, versions=["sim/v3", "sim/v2", "sim/v1"], **FAST)
    slope = {t.variant: t.effect for t in up.trends}["goal_in_user"]
    back = {t.variant: t.effect for t in down.trends}["goal_in_user"]
    assert slope.coef == pytest.approx(-back.coef)
    assert slope.direction == "rising" and back.direction == "falling"


def test_versions_figure_and_report_sections(tmp_path: Path):
    frame = versions_table(STUDY, [{"goal_in_user.a": r} for r in (0.2, 0.5, 0.8)])
    report = analyze(frame, **FAST)
    written = write_report(report, tmp_path, formats=("md",))
    assert any(p.name == f"{STUDY}__versions.png" for p in written["figures"])
    text = (tmp_path / "studies" / f"{STUDY}.md").read_text()
    assert "## Across model versions" in text and "| goal_in_user: effect |" in text
    assert "Across model versions" in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize(
    ("versions", "message"),
    [
        ("sim/v1", "--versions needs at least two models"),
        ("sim/v1,sim/v1", "--versions names model 'sim/v1' twice"),
        ("sim/v1,other", "--versions: model 'other' has no samples in the data"),
    ],
)
def test_bad_versions_are_one_line_errors(versions: str, message: str):
    frame = versions_table(STUDY, [{}, {}], items=2, epochs=2).drop(columns="version")
    with pytest.raises(BepError, match=message):
        analyze(frame, versions=versions, **FAST)


def test_a_model_with_two_versions_in_a_table_is_an_error(tmp_path: Path):
    frame = versions_table(STUDY, [{}, {}], items=2, epochs=2)
    frame.loc[3, "version"] = 7
    table = tmp_path / "t.csv"
    frame.to_csv(table, index=False)
    with pytest.raises(BepError, match=r"t\.csv: row 4 gives model 'sim/v1' version 7, an earlier row 1; a model is one version"):
        analyze(table, **FAST)
