"""The full calibration of a study's verdicts (default: sandbagging_b6, 200 replications).

Runs :func:`beyond_episode.methodology.calibration.calibrate` with the command's defaults: the
five shipped profiles and the two stress scenarios at the study's ``quick_epochs`` and
``epochs``, and the power grid (``capability_preserver`` rescaled to 0.75, 1 and 1.5 x
``min_effect``; ``quick_epochs``, 10, 30 and ``epochs``), 200 replications per scenario and
epochs (100 per grid cell, 200 at ``min_effect`` and the declared epochs). Writes
``calibration.md``, ``calibration.csv`` and ``replications.csv``, prints the checks and the
time, and exits 1 if a check fails. Finished replications are kept in
``replications.partial.jsonl`` in the output folder, so an interrupted run resumes when started
again with the same ``--out``.

    python benchmarks/bench_calibration.py                        # into a temporary folder
    python benchmarks/bench_calibration.py --out /tmp/calibration --replications 200 --jobs 2

The same as ``bep calibrate sandbagging_b6 --replications 200 --out DIR``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from beyond_episode.methodology.calibration import CHECKPOINT, calibrate
from beyond_episode.methodology.calibration_report import write_calibration


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="sandbagging_b6")
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="output folder (default: a new temporary folder)")
    args = parser.parse_args()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bep-calibration-"))
    start = time.perf_counter()
    cal = calibrate(
        args.study, replications=args.replications, jobs=args.jobs, seed=args.seed, progress=True,
        checkpoint=out / CHECKPOINT,
    )
    paths = write_calibration(cal, out)
    (out / CHECKPOINT).unlink(missing_ok=True)
    wall = time.perf_counter() - start
    for check in cal.checks:
        print(f"{check.status:>24}  {check.name}: {check.detail}")
    cpu = float(cal.records["seconds"].sum())
    print(
        f"{len(cal.records)} analyses in {wall:.0f} s wall with {cal.settings['jobs']} process(es) "
        f"({cpu:.0f} s of analysis, {cpu / len(cal.records):.2f} s each); report: {paths['report']}"
    )
    return 1 if any(c.status == "fail" for c in cal.checks) else 0


if __name__ == "__main__":
    sys.exit(main())
