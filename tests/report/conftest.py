"""A report of every shipped study x five models, written once for the report tests."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from report_synth import full_table

from beyond_episode.analysis import report_cmd


def run_report(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bep report")
    report_cmd.configure(parser)
    return report_cmd.run(parser.parse_args(argv))


@pytest.fixture(scope="session")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("full")
    path = root / "tidy.csv"
    full_table().to_csv(path, index=False)
    out = root / "out"
    assert run_report([str(path), "--out", str(out), "--with-published", "--bootstrap", "200",
                       "--permutations", "200"]) == 0
    return out
