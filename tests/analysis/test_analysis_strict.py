"""Strict tidy tables: unknown studies, variants and roles and duplicated samples are errors
naming them; ``--allow-unknown`` drops them with a count in the notes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest
from analysis_synth import STUDY, profile_table

from beyond_episode.analysis import read_tidy, report_cmd
from beyond_episode.errors import BepError


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bep report")
    report_cmd.configure(parser)
    return report_cmd.run(parser.parse_args(argv))


def _write(tmp_path: Path, table: pd.DataFrame) -> Path:
    path = tmp_path / "tidy.csv"
    table.to_csv(path, index=False)
    return path


def _error(argv: list[str]) -> str:
    with pytest.raises(BepError) as err:
        _run(argv)
    message = str(err.value)
    assert "\n" not in message
    return message


def _misspelled() -> pd.DataFrame:
    # an instruction follower whose only effect is control_ask_low; the variant is misspelled
    table = profile_table("instruction_follower", seed=1)
    table.loc[table.variant == "control_ask_low", "variant"] = "control_ask_lwo"
    return table


def test_misspelled_variant_is_an_error(tmp_path: Path):
    path = _write(tmp_path, _misspelled())
    message = _error([str(path), "--out", str(tmp_path / "out"), "--no-figures"])
    assert "variant 'control_ask_lwo'" in message and STUDY in message and "--allow-unknown" in message
    assert str(path) in message and "row " in message
    assert not (tmp_path / "out" / "verdicts.json").exists()


def test_allow_unknown_drops_with_a_count(tmp_path: Path):
    path = _write(tmp_path, _misspelled())
    out = tmp_path / "out"
    assert _run([str(path), "--out", str(out), "--no-figures", "--format", "md", "--allow-unknown"]) == 0
    data = json.loads((out / "verdicts.json").read_text())
    assert any("100 row(s) of variant(s) unknown to study 'sandbagging_b6' dropped: control_ask_lwo" in n
               for n in data["notes"])
    assert "control_ask_lwo" in (out / "report.md").read_text()


def test_unknown_study_and_role(tmp_path: Path):
    table = profile_table("honest", seed=2)
    table.loc[5, "study"] = "sandbaging_b6"
    path = _write(tmp_path, table)
    assert "study 'sandbaging_b6'" in _error([str(path), "--out", str(tmp_path / "o")])
    read = read_tidy(path, allow_unknown=True)
    assert len(read) == len(table) - 1
    table = profile_table("honest", seed=2)
    table.loc[7, "role"] = "A"
    path = _write(tmp_path, table)
    message = _error([str(path), "--out", str(tmp_path / "o")])
    assert "row 8 has role 'A'" in message
    read = read_tidy(path, allow_unknown=True)
    assert len(read) == len(table) - 1
    assert any("1 row(s) with unknown role(s) A dropped" in n for n in read.attrs["notes"])


def test_duplicated_sample_keys(tmp_path: Path):
    table = profile_table("honest", seed=3)
    doubled = pd.concat([table, table.iloc[[10]]], ignore_index=True)
    path = _write(tmp_path, doubled)
    message = _error([str(path), "--out", str(tmp_path / "o")])
    assert f"rows 11 and {len(table) + 1} are the same sample" in message
    assert "variant=baseline" in message and "epoch=1" in message
    read = read_tidy(path, allow_unknown=True)
    assert len(read) == len(table)
    assert any("1 duplicated row(s)" in n for n in read.attrs["notes"])


def test_exclusion_with_ok_status_is_an_error(tmp_path: Path):
    table = profile_table("honest", seed=3)
    table["status"] = "ok"
    table["exclusion"] = ""
    table.loc[4, "exclusion"] = "limit"
    path = _write(tmp_path, table)
    with pytest.raises(BepError, match="row 5 has status 'ok' but exclusion 'limit'"):
        read_tidy(path)


def test_bad_eval_aware(tmp_path: Path):
    table = profile_table("honest", seed=3)
    table["eval_aware"] = 0.0
    table.loc[2, "eval_aware"] = 0.5
    path = _write(tmp_path, table)
    with pytest.raises(BepError, match="row 3 has eval_aware '0.5'"):
        read_tidy(path)
