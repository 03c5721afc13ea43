"""``bep report LOGS... --out DIR``: analyse Inspect logs or a tidy table and write the report."""

from __future__ import annotations

import argparse
import sys

from beyond_episode.errors import BepError

from .analyze import DEFAULT_BOOT, DEFAULT_PERM, analyze
from .intervals import METHODS
from .matrix import summary_text
from .output import parse_formats, write_report
from .render import FORMATS
from .studies import StudyCatalog


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``report`` command's arguments to ``parser``."""
    parser.description = (
        "Analyse ablation results (Inspect logs, folders of logs, or a tidy CSV/Parquet table) and write "
        "verdicts.json, report.md, tables and figures."
    )
    parser.add_argument("inputs", nargs="+", metavar="LOGS", help="Inspect .eval/.json logs, folders of logs, or tidy .csv/.parquet tables")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    parser.add_argument("--alpha", type=float, default=None, metavar="A", help="family-wise error rate per study and model (default: the study's alpha)")
    parser.add_argument("--study", action="append", default=[], metavar="PATH", help="a study file that is not shipped (repeatable)")
    parser.add_argument("--format", default=",".join(FORMATS), metavar="LIST", help=f"table formats, comma-separated (default: {','.join(FORMATS)})")
    parser.add_argument("--interval", choices=METHODS, default="wilson", help="per-condition rate interval (default: wilson)")
    parser.add_argument("--bootstrap", type=int, default=DEFAULT_BOOT, metavar="N", help=f"minimum bootstrap replicates (default: {DEFAULT_BOOT})")
    parser.add_argument("--permutations", type=int, default=DEFAULT_PERM, metavar="N", help=f"Monte Carlo permutations when the exact test is too large (default: {DEFAULT_PERM})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the resampling (default: 0)")
    parser.add_argument("--templates", default=None, metavar="DIR", help="folder of Jinja2 templates that override the shipped ones")
    parser.add_argument("--no-figures", action="store_true", help="skip the figures")
    parser.add_argument(
        "--allow-unknown",
        action="store_true",
        help="drop tidy-table rows of unknown studies, variants or roles and duplicated samples (counted in the notes) "
        "instead of failing",
    )
    parser.add_argument(
        "--with-published",
        action="store_true",
        help="add the shipped published results (Apollo Table 6, Palisade's o3 shutdown counts, the alignment-faking "
        "default row) as extra columns marked published, with their source",
    )
    parser.add_argument(
        "--summary", action="store_true", help="print the conclusion matrix and a one-paragraph reading of each study"
    )
    parser.add_argument(
        "--versions",
        default=None,
        metavar="M1,M2,...",
        help="the models are versions of one model, oldest first: add each variant's effect and incoherence against "
        "version with trend tests (default: a tidy table's 'version' column, if any)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``bep report``; bad input raises :class:`BepError`."""
    formats = parse_formats(args.format)
    if args.alpha is not None and not 0 < args.alpha <= 0.5:
        raise BepError(f"--alpha must be in (0, 0.5] (got {args.alpha})")
    catalog = StudyCatalog(args.study)
    report = analyze(
        args.inputs,
        studies=catalog,
        alpha=args.alpha,
        interval=args.interval,
        n_boot=args.bootstrap,
        n_perm=args.permutations,
        seed=args.seed,
        allow_unknown=args.allow_unknown,
        versions=args.versions,
    )
    written = write_report(report, args.out, formats=formats, figures=not args.no_figures, templates=args.templates,
                           with_published=args.with_published)
    if args.summary:
        print(summary_text(report))
    for r in report.results:
        print(f"{r.study.id}  {r.model}: {r.conclusion}  ({r.k} variants with data)")
        for warning in r.warnings:
            print(f"  warning: {warning}")
    if report.versions:
        print(f"versions (oldest first): {', '.join(report.versions)}")
        for t in report.trends:
            for kind, s in (("effect", t.effect), ("incoherence", t.incoherence)):
                if s is not None and s.significant:
                    print(f"{t.study.id}  {t.variant}: {kind} {s.direction} across versions ({s.coef:+.3g} per version, "
                          f"interval [{s.low:.3g}, {s.high:.3g}] at {s.level:.4f}, Holm p {s.p_holm:.3g})")
        if not any(s is not None and s.significant for t in report.trends for s in (t.effect, t.incoherence)):
            print("no trend across versions")
    files = sum(len(v) for v in written.values())
    print(f"wrote {files} files to {args.out} (report: {written['report'][0]}; in a browser: {written['report'][1]})",
          file=sys.stdout)
    return 0
