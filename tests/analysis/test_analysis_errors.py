"""Bad input gives a one-line BepError."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest
from analysis_synth import profile_table

from beyond_episode.analysis import analyze, read_tidy, report_cmd
from beyond_episode.errors import BepError


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    report_cmd.configure(parser)
    return report_cmd.run(parser.parse_args(argv))


def _one_line(err: pytest.ExceptionInfo[BepError]) -> str:
    message = str(err.value)
    assert "\n" not in message and message
    return message


def test_missing_column(tmp_path: Path):
    path = tmp_path / "t.csv"
    profile_table("honest").drop(columns=["item"]).to_csv(path, index=False)
    with pytest.raises(BepError) as err:
        _run([str(path), "--out", str(tmp_path / "out")])
    assert "missing required column(s) item" in _one_line(err)


def test_unknown_study(tmp_path: Path):
    table = profile_table("honest")
    table["study"] = "no_such_study"
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    with pytest.raises(BepError) as err:
        _run([str(path), "--out", str(tmp_path / "out")])
    assert "no_such_study" in _one_line(err)


def test_empty_dir(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BepError) as err:
        _run([str(tmp_path / "empty"), "--out", str(tmp_path / "out")])
    assert "no Inspect logs" in _one_line(err)


def test_missing_path(tmp_path: Path):
    with pytest.raises(BepError) as err:
        _run([str(tmp_path / "nothing.eval"), "--out", str(tmp_path / "out")])
    assert "does not exist" in _one_line(err)


def test_not_a_log(tmp_path: Path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(BepError) as err:
        _run([str(path), "--out", str(tmp_path / "out")])
    _one_line(err)


def test_corrupt_log(tmp_path: Path):
    path = tmp_path / "2025-01-01T00-00-00_bad.eval"
    path.write_bytes(b"not a zip")
    with pytest.raises(BepError) as err:
        _run([str(path), "--out", str(tmp_path / "out")])
    assert "cannot read Inspect log" in _one_line(err)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("role", "c", "role 'c'"),
        ("epoch", "first", "epoch 'first'"),
        ("outcome", "lots", "outcome 'lots'"),
        ("status", "maybe", "status 'maybe'"),
    ],
)
def test_bad_values(tmp_path: Path, column: str, value: str, expected: str):
    table = profile_table("honest").astype({column: object}) if column in ("epoch", "outcome") else profile_table("honest")
    if column not in table.columns:
        table[column] = "ok"
    table.loc[3, column] = value
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    with pytest.raises(BepError) as err:
        read_tidy(path)
    message = _one_line(err)
    assert expected in message and "row 4" in message


def test_outcome_out_of_range():
    table = profile_table("honest")
    table.loc[0, "outcome"] = 1.5
    with pytest.raises(BepError) as err:
        analyze(table)
    assert "outside [0, 1]" in _one_line(err)


def test_bad_options(tmp_path: Path):
    path = tmp_path / "t.csv"
    profile_table("honest").to_csv(path, index=False)
    with pytest.raises(BepError) as err:
        _run([str(path), "--out", str(tmp_path / "o"), "--format", "md,docx"])
    assert "docx" in _one_line(err)
    with pytest.raises(BepError) as err:
        _run([str(path), "--out", str(tmp_path / "o"), "--alpha", "2"])
    _one_line(err)
    with pytest.raises(BepError) as err:
        _run([str(path), "--out", str(tmp_path / "o"), "--study", str(tmp_path / "missing.yaml")])
    _one_line(err)


def test_empty_table(tmp_path: Path):
    path = tmp_path / "t.csv"
    pd.DataFrame(columns=["study", "variant", "role", "model", "item", "epoch", "outcome"]).to_csv(path, index=False)
    with pytest.raises(BepError) as err:
        read_tidy(path)
    assert "no rows" in _one_line(err)
