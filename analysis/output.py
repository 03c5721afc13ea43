"""Write a report folder: ``verdicts.json``, ``report.md``, ``tables/`` and ``figures/``."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from beyond_episode.errors import BepError

from .audit_tables import AUDIT_FRAMES, audit_tables
from .figures import skipped_figures, slug, write_figures
from .links import anchor, sample_sources
from .matrix import CODES, matrix, study_reading
from .published import COLUMNS, read_published
from .render import FORMATS, Renderer
from .results import Report
from .table_doc import cond_cell, ival, num, pval
from .table_frames import FRAMES
from .tables import all_tables


def parse_formats(value: str | Iterable[str]) -> tuple[str, ...]:
    items = [p.strip().lower() for p in (value.split(",") if isinstance(value, str) else value) if p.strip()]
    unknown = [p for p in items if p not in FORMATS]
    if unknown or not items:
        raise BepError(f"unknown table format '{unknown[0] if unknown else value}' (choose from {', '.join(FORMATS)})")
    return tuple(dict.fromkeys(items))


def write_report(
    report: Report,
    out_dir: str | Path,
    *,
    formats: str | Iterable[str] = FORMATS,
    figures: bool = True,
    templates: str | Path | None = None,
    with_published: bool = False,
) -> dict[str, list[Path]]:
    """Write every output of ``report`` under ``out_dir``; returns the files written by kind.

    ``report.md`` opens with the conclusion matrix and links one file per study
    (``studies/<study>.md``); ``report.html`` is one self-contained page (figures embedded).
    ``with_published`` adds the shipped published results as extra columns of the comparison.
    """
    fmts = parse_formats(formats)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "tables").mkdir(exist_ok=True)
        (out / "studies").mkdir(exist_ok=True)
    except OSError as err:
        raise BepError(f"cannot create output folder '{out}': {err.strerror}") from None
    renderer = Renderer(templates)
    written: dict[str, list[Path]] = {"verdicts": [], "tables": [], "figures": [], "report": []}
    published = read_published() if with_published else None

    verdicts = out / "verdicts.json"
    verdicts.write_text(json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    written["verdicts"].append(verdicts)

    docs = all_tables(report, published) + audit_tables(report)
    frames = {**FRAMES, **AUDIT_FRAMES}
    for doc in docs:
        for fmt in fmts:
            path = out / "tables" / f"{doc.key}.{fmt}"
            if fmt == "csv":
                frames[doc.key](report).to_csv(path, index=False)
            else:
                path.write_text(renderer.table(doc, fmt), encoding="utf-8")
            written["tables"].append(path)
    if published is not None and "csv" in fmts:
        path = out / "tables" / "published.csv"
        studies = {s.id for s in report.studies}
        pd.DataFrame([asdict(p) for p in published if p.study in studies], columns=list(COLUMNS)).to_csv(path, index=False)
        written["tables"].append(path)

    figure_files: dict[str, list[Path]] = {}
    skipped = skipped_figures(report) if figures else {}
    if figures:
        figure_files = write_figures(report, out / "figures")
        written["figures"] = [p for paths in figure_files.values() for p in paths]
    pngs = {key: next((p for p in paths if p.suffix == ".png"), None) for key, paths in figure_files.items()}

    context = {
        "report": report,
        "docs": {doc.key: doc for doc in docs},
        "slug": slug,
        "formats": fmts,
        "matrix": matrix(report),
        "codes": CODES,
        "reading": lambda study: study_reading(report, study),
        "skipped": skipped,
        "figures_on": figures,
        "num": num,
        "ival": ival,
        "pval": pval,
        "cond_cell": cond_cell,
        "anchor": anchor,
    }
    for study in report.studies:
        links = {key: "../" + p.relative_to(out).as_posix() for key, p in pngs.items() if p is not None}
        text = renderer.render("study.md.j2", study=study, figures=links, **context)
        path = out / "studies" / f"{slug(study.id)}.md"
        path.write_text(text, encoding="utf-8")
        written["report"].append(path)
    path = out / "report.md"
    path.write_text(renderer.render("report.md.j2", **context), encoding="utf-8")
    written["report"].insert(0, path)

    uris = {key: _data_uri(p) for key, p in pngs.items() if p is not None}
    html = renderer.render("report.html.j2", figures=uris, sources=sample_sources(report), **context)
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    written["report"].insert(1, path)
    return written


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
