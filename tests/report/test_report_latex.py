"""Every generated .tex compiles with a real LaTeX engine, with no error and no float warning."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ENGINE = "pdflatex"


def _packages(tex: str) -> list[str]:
    found = re.search(r"^% Packages: (.+)$", tex, re.MULTILINE)
    assert found, "a generated .tex states the packages it needs"
    return [p.strip() for p in found.group(1).split(",")]


def _compile(table: Path, workdir: Path) -> str:
    engine = shutil.which(ENGINE)
    if engine is None:
        raise AssertionError(f"{ENGINE} is missing: apt-get install -y --no-install-recommends "
                             "texlive-latex-base texlive-latex-recommended")
    tex = table.read_text(encoding="utf-8")
    doc = workdir / f"{table.stem}_doc.tex"
    doc.write_text(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[utf8]{inputenc}\n"
        + "".join(f"\\usepackage{{{p}}}\n" for p in _packages(tex))
        + f"\\begin{{document}}\n\\input{{{table.resolve().as_posix()}}}\n\\end{{document}}\n",
        encoding="utf-8",
    )
    proc = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", doc.name], cwd=workdir,
                          capture_output=True, text=True, timeout=120)
    log = (workdir / f"{doc.stem}.log").read_text(encoding="latin-1")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert proc.returncode == 0 and not errors, f"{table.name}: {errors or proc.stdout[-2000:]}"
    assert "Float too large" not in log, f"{table.name}: a float is too large for the page"
    assert (workdir / f"{doc.stem}.pdf").stat().st_size > 1000
    return log


def test_every_table_compiles(full_report: Path, tmp_path: Path) -> None:
    tables = sorted((full_report / "tables").glob("*.tex"))
    assert {t.stem for t in tables} >= {"samples", "comparison", "variants", "hypotheses", "regression",
                                         "coherence", "exclusions", "awareness", "agreement"}
    for table in tables:
        _compile(table, tmp_path)


def test_long_tables_break_across_pages(full_report: Path) -> None:
    variants = (full_report / "tables" / "variants.tex").read_text(encoding="utf-8")
    assert "\\begin{table}" not in variants
    captions = re.findall(r"\\caption\{(.+?)\}\\label\{(.+?)\}", variants)
    assert len(captions) == 20 and len({label for _, label in captions}) == 20
    assert "sandbagging\\_b6 --- lab/model-3: variants" in [c for c, _ in captions]


def test_table6_layout(full_report: Path) -> None:
    """Apollo's layout: a block per variant, rows a (do well) / b (do poorly) / difference / p, models as columns."""
    tex = (full_report / "tables" / "comparison.tex").read_text(encoding="utf-8")
    section = tex[tex.index("sandbagging\\_b6: accuracy"):]
    header = section[section.index("\\toprule") + 8:section.index("\\midrule")]
    assert [h.strip() for h in header.replace("\\\\", "").split("&")][1:6] == [f"lab/model-{i}" for i in range(1, 6)]
    block = section[section.index("1. baseline"):section.index("2. not\\_deployed")]
    rows = [line.split("&")[0].strip() for line in block.splitlines()[1:] if "&" in line]
    assert rows[:3] == ["accuracy, a: trigger = low\\_performance", "accuracy, b: trigger = high\\_performance",
                        "difference a $-$ b [adjusted interval]"]
    assert rows[4].startswith("p (permutation")
