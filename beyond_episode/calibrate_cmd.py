"""``bep calibrate STUDY``: parse the command line and call
:func:`beyond_episode.methodology.calibration.calibrate` (or, with ``--sequential``,
:func:`beyond_episode.methodology.sequential_calibration.calibrate_sequential`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from beyond_episode.ablations.study import load_study
from beyond_episode.analysis.analyze import DEFAULT_BOOT, DEFAULT_PERM
from beyond_episode.errors import BepError
from beyond_episode.methodology.calibration import CHECKPOINT, calibrate
from beyond_episode.methodology.calibration_report import write_calibration
from beyond_episode.methodology.scenarios import NOISE, POWER_PROFILE, SHIPPED, STRESS
from beyond_episode.methodology.sequential_calibration import calibrate_sequential


def _ints(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``calibrate`` command's arguments to ``parser``."""
    parser.description = (
        "Simulate a study from the reference subjects' decision model, analyse every replication as "
        "`bep report` does, and measure false conclusions, right conclusions (power) and interval coverage. "
        "An interrupted run resumes from OUT/replications.partial.jsonl when rerun with the same settings."
    )
    parser.add_argument("study", metavar="STUDY", help="shipped study name or study file")
    parser.add_argument("--replications", type=int, default=200, metavar="R", help="replications per scenario and epochs (default: 200)")
    parser.add_argument("--epochs", type=_ints, default=None, metavar="N[,N...]", help="epochs per condition and item (default: the study's quick_epochs and epochs)")
    parser.add_argument("--items", type=int, default=None, metavar="N", help="items per condition (default: the study's items)")
    parser.add_argument("--profiles", nargs="+", default=list(SHIPPED), metavar="PROFILE", help="profiles (names or .yaml files; default: the five shipped)")
    parser.add_argument("--no-stress", action="store_true", help=f"skip the stress scenarios ({', '.join(STRESS)} with base rate {NOISE:g})")
    parser.add_argument("--power-profile", default=POWER_PROFILE, metavar="PROFILE", help=f"profile rescaled for the power grid (default: {POWER_PROFILE}); 'none' skips the grid")
    parser.add_argument("--power-effects", type=_floats, default=None, metavar="E[,E...]", help="largest true effects of the power grid (default: 0.75, 1, 1.5 x min_effect)")
    parser.add_argument("--power-epochs", type=_ints, default=None, metavar="N[,N...]", help="epochs of the power grid (default: quick_epochs, 10, 30, epochs)")
    parser.add_argument("--power-replications", type=int, default=None, metavar="R", help="replications per power-grid cell (default: R/2; R at min_effect and the declared epochs)")
    parser.add_argument("--alpha", type=float, default=None, help="study-wide error rate (default: the study's alpha)")
    parser.add_argument("--bootstrap", type=int, default=DEFAULT_BOOT, metavar="N", help=f"the analyzer's minimum bootstrap replicates (default: {DEFAULT_BOOT})")
    parser.add_argument("--permutations", type=int, default=DEFAULT_PERM, metavar="N", help=f"the analyzer's Monte Carlo permutations (default: {DEFAULT_PERM})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulation and the analyses (default: 0)")
    parser.add_argument("--out", default=None, metavar="DIR", help="output folder (default: calibration/<study>)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: the number of CPUs)")
    parser.add_argument("--sequential", action="store_true", help="calibrate the sequential design (analysis/sequential.py) instead")
    parser.add_argument("--looks", type=_ints, default=None, metavar="E[,E...]", help="epochs of the looks with --sequential (default: 1, 2, 4, ... up to the study's epochs)")


def run(args: argparse.Namespace) -> int:
    """Run ``bep calibrate``; bad input raises :class:`BepError`."""
    study = load_study(args.study)
    out = Path(args.out) if args.out else Path("calibration") / study.id
    if args.sequential:
        return _sequential(args, out)
    if args.jobs is not None and args.jobs < 1:
        raise BepError(f"--jobs must be a positive integer (got {args.jobs})")
    profiles = [p for item in args.profiles for p in item.split(",") if p]
    power_profile = None if str(args.power_profile).lower() == "none" else args.power_profile
    print(f"calibrating {study.id}: {args.replications} replications per scenario ...", file=sys.stderr, flush=True)
    cal = calibrate(
        study,
        replications=args.replications,
        epochs=args.epochs,
        items=args.items,
        profiles=profiles,
        stress=not args.no_stress,
        power_profile=power_profile,
        power_effects=args.power_effects,
        power_epochs=args.power_epochs,
        power_replications=args.power_replications,
        alpha=args.alpha,
        bootstrap=args.bootstrap,
        permutations=args.permutations,
        seed=args.seed,
        jobs=args.jobs,
        progress=True,
        checkpoint=out / CHECKPOINT,
    )
    paths = write_calibration(cal, out)
    (out / CHECKPOINT).unlink(missing_ok=True)
    for c in cal.checks:
        print(f"{c.status:>24}  {c.name}: {c.detail}")
    print(f"{len(cal.records)} analyses in {cal.elapsed:.0f} s; report: {paths['report']}")
    return 0


def _sequential(args: argparse.Namespace, out: Path) -> int:
    study = load_study(args.study)
    print(f"calibrating the sequential design of {study.id}: {args.replications} replications per scenario ...",
          file=sys.stderr, flush=True)
    found = calibrate_sequential(study, args.looks, args.replications, out, seed=args.seed)
    print(found.table)
    print("\n".join(f"{'ok' if ok else 'NOT MET'}: {what}" for ok, what in found.checks))
    print(f"report: {found.path}")
    return 0
