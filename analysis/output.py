"""Write a report folder: ``verdicts.json``, ``report.md``, ``tables/`` and ``figures/``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from beyond_episode.errors import BepError

from . import tables as tb
from .audit_tables import AUDIT_FRAMES, audit_tables
from .figures import slug, write_figures
from .render import FORMATS, Renderer
from .results import Report


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
) -> dict[str, list[Path]]:
    """Write every output of ``report`` under ``out_dir``; returns the files written by kind."""
    fmts = parse_formats(formats)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "tables").mkdir(exist_ok=True)
    except OSError as err:
        raise BepError(f"cannot create output folder '{out}': {err.strerror}") from None
    renderer = Renderer(templates)
    written: dict[str, list[Path]] = {"verdicts": [], "tables": [], "figures": [], "report": []}

    verdicts = out / "verdicts.json"
    verdicts.write_text(json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n", encoding="utf-8")
    written["verdicts"].append(verdicts)

    docs = tb.all_tables(report) + audit_tables(report)
    frames = {**tb.FRAMES, **AUDIT_FRAMES}
    for doc in docs:
        for fmt in fmts:
            path = out / "tables" / f"{doc.key}.{fmt}"
            if fmt == "csv":
                frames[doc.key](report).to_csv(path, index=False)
            else:
                path.write_text(renderer.table(doc, fmt), encoding="utf-8")
            written["tables"].append(path)

    figure_files: dict[str, list[Path]] = {}
    if figures:
        figure_files = write_figures(report, out / "figures")
        written["figures"] = [p for paths in figure_files.values() for p in paths]

    figure_links = {
        key: next((p.relative_to(out).as_posix() for p in paths if p.suffix == ".png"), "")
        for key, paths in figure_files.items()
    }
    text = renderer.render(
        "report.md.j2",
        report=report,
        docs={doc.key: doc for doc in docs},
        figures=figure_links,
        slug=slug,
        formats=fmts,
    )
    path = out / "report.md"
    path.write_text(text, encoding="utf-8")
    written["report"].append(path)
    return written
