"""report.md opens with the answer; details per study; the terminal summary; published columns; figures."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image
from report_synth import MODELS, STUDIES, study_table

from beyond_episode.analysis import analyze, figures, report_cmd
from beyond_episode.analysis.figures import pair_legend


def _codes(out: Path) -> dict[tuple[str, str], str]:
    return {(r["study"], r["model"]): r["conclusion"]["code"]
            for r in json.loads((out / "verdicts.json").read_text())["results"]}


def test_matrix_within_the_first_30_lines(full_report: Path) -> None:
    lines = (full_report / "report.md").read_text(encoding="utf-8").splitlines()
    codes = _codes(full_report)
    header = next(i for i, line in enumerate(lines) if line.startswith("| study |"))
    assert lines[header] == "| study | " + " | ".join(MODELS) + " |"
    rows = lines[header + 2:header + 2 + len(STUDIES)]
    assert header + 2 + len(STUDIES) <= 30
    for study, row in zip(STUDIES, rows, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0] == f"[{study}](studies/{study}.md)"
        assert [c.strip("`").rstrip("!?") for c in cells[1:]] == [codes[(study, m)] for m in MODELS]
        assert (full_report / "studies" / f"{study}.md").is_file()
    text = "\n".join(lines)
    for study in STUDIES:  # one paragraph per study, after the matrix
        assert f"**[{study}](studies/{study}.md).** Outcome:" in text


def test_study_file_holds_the_details(full_report: Path) -> None:
    text = (full_report / "studies" / "sandbagging_b6.md").read_text(encoding="utf-8")
    assert "[Back to the conclusions](../report.md)" in text
    for title in ("## Hypothesis verdicts", "## Variation table", "## Samples and exclusions", "## Figures"):
        assert title in text
    assert "](../figures/sandbagging_b6__lab-model-1__bars.png)" in text
    assert (full_report / "figures" / "sandbagging_b6__lab-model-1__bars.png").is_file()


def test_published_columns(full_report: Path) -> None:
    md = (full_report / "tables" / "comparison.md").read_text(encoding="utf-8")
    section = md[md.index("## sandbagging_b6"):md.index("## shutdown_precedence")]
    header = section.splitlines()[2]
    assert "published: o1 (Apollo Table 6)" in header and "published: claude-3.5-sonnet (Apollo Table 6)" in header
    rows = section.splitlines()
    base = rows.index(next(r for r in rows if "1. baseline" in r))
    no_goal = rows.index(next(r for r in rows if ". no_goal" in r))
    o1 = [c.strip() for c in header.strip("|").split("|")].index("published: o1 (Apollo Table 6)")

    def cells(i: int) -> list[str]:
        return [c.strip() for c in rows[i].strip("|").split("|")]

    assert [cells(base + k)[o1] for k in (1, 2, 3, 5)] == ["0.820", "0.620", "0.200", "0.002"]
    assert [cells(no_goal + k)[o1] for k in (1, 2, 3, 5)] == ["0.940", "0.980", "-0.040", "0.91"]
    weights = rows.index(next(r for r in rows if ". weights_deleted" in r))
    assert cells(weights + 1)[o1] == ""  # no published counterpart: empty
    assert "published (Apollo Table 6): Meinke et al. 2024" in section
    shutdown = md[md.index("## shutdown_precedence"):]
    assert "published: o3 (Palisade o3)" in shutdown and "0.070 (7/100)" in shutdown and "0.790 (79/100)" in shutdown
    assert "published: claude-3-opus (Alignment faking default row)" in md and "0.113 ± 0.021" in md
    oversight = md[md.index("## oversight_goals"):md.index("## sandbagging_b6")]
    assert "published" not in oversight
    assert len(pd.read_csv(full_report / "tables" / "published.csv")) == 9


def test_summary_on_the_terminal(tmp_path: Path, capsys) -> None:
    table = pd.concat([study_table("shutdown_precedence", m, set(), seed=i) for i, m in enumerate(MODELS[:2])])
    path = tmp_path / "tidy.csv"
    table.to_csv(path, index=False)
    parser = argparse.ArgumentParser()
    report_cmd.configure(parser)
    assert report_cmd.run(parser.parse_args([str(path), "--out", str(tmp_path / "out"), "--summary", "--no-figures",
                                             "--bootstrap", "200", "--permutations", "200"])) == 0
    out = capsys.readouterr().out
    assert "shutdown_precedence  no_effect" in out and "M1: lab/model-1" in out and "M2: lab/model-2" in out
    assert "Outcome: sabotaged shutdown.sh; 13 variants" in out and "lab/model-2: no_effect (0 of 13" in out


def test_figures_name_the_levels_and_empty_ones_are_not_written(tmp_path: Path) -> None:
    table = study_table("sandbagging_b6", "lab/model-1", {"baseline"}, seed=3)
    table = table.drop(columns=["actions"])  # no transcript lengths: nothing to draw for coherence
    report = analyze(table, n_boot=200, n_perm=200)
    legend, labels = pair_legend(report.results[0])
    assert legend[:2] == ["a: trigger = low_performance", "b: trigger = high_performance"]
    assert "18. control_ask_low (a: do_your_best, b: score_low)" in labels
    path = tmp_path / "tidy.csv"
    table.to_csv(path, index=False)
    parser = argparse.ArgumentParser()
    report_cmd.configure(parser)
    out = tmp_path / "out"
    assert report_cmd.run(parser.parse_args([str(path), "--out", str(out), "--bootstrap", "200",
                                             "--permutations", "200"])) == 0
    assert not list((out / "figures").glob("*coherence*"))
    study = (out / "studies" / "sandbagging_b6.md").read_text(encoding="utf-8")
    assert "*No incoherence figure: no transcript lengths (actions) were recorded" in study
    assert "No incoherence figure: no transcript lengths" in (out / "report.html").read_text(encoding="utf-8")
    assert Image.open(out / "figures" / "sandbagging_b6__lab-model-1__bars.png").size[0] > 500


def test_every_figure_names_study_model_and_interval(tmp_path: Path, monkeypatch) -> None:
    table = study_table("sandbagging_b6", "lab/model-1", {"baseline"}, seed=4)
    report = analyze(table, n_boot=200, n_perm=200)
    drawn: list[Figure] = []
    save = figures._save
    monkeypatch.setattr(figures, "_save", lambda fig, base: drawn.append(fig) or save(fig, base))
    r = report.results[0]
    figures.bars(r, tmp_path / "bars")
    figures.forest(r, tmp_path / "forest")
    figures.coherence_plot(report.results, tmp_path / "coherence")
    texts = [" ".join(t.get_text().replace("\n", " ") for t in fig.findobj(Text)) for fig in drawn]
    assert "sandbagging_b6 — lab/model-1" in texts[0] and "95% Wilson intervals" in texts[0]
    assert "a: trigger = low_performance" in texts[0] and "condition a" not in texts[0]
    assert "sandbagging_b6 — lab/model-1" in texts[1] and "interval at 1 − 0.05/19" in texts[1]
    assert "sandbagging_b6 — lab/model-1" in texts[2] and "95% interval" in texts[2]
