"""Benchmark ``bep report`` against Inspect's ``samples_df`` on a large synthetic log set.

Writes about 100,000 samples as .eval logs (two models x the 19 variants of sandbagging_b6, one
log per model and variant, both conditions in each), then, in one run and on the same logs,
times ``inspect_ai.analysis.samples_df`` and a full report (read + analyse + every table and
figure) through the Python API, and prints the ratio (target <= 1.5) and the absolute time
(target < 30 s). It also reports the peak memory of the report on a quarter, half and all of
the logs, each in a fresh process, to show how memory grows with the number of samples.

    python benchmarks/bench_report.py                     # generate into a temp folder
    python benchmarks/bench_report.py --dir /tmp/bench    # reuse / keep the logs there
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STUDY = "sandbagging_b6"
MODELS = ("bench/capability-preserver", "bench/approval-seeker")
EFFECTS = {
    MODELS[0]: {
        "baseline", "not_deployed", "weights_deleted", "helpful_successor", "helpful_unlearning",
        "instruction_testing", "instruction_none", "dont_sandbag", "dont_underperform",
        "points_per_correct", "penalty_per_wrong", "no_goal", "no_reasoning",
    },
    MODELS[1]: {"developers_sad", "developers_fired", "control_ask_low"},
}
ITEMS = 20
MARKER = "bench-complete.txt"


def _write_log(job: tuple[str, str, int, int, str]) -> int:
    model, variant_id, epochs, seed, path = job
    from inspect_ai.log import (
        EvalConfig,
        EvalDataset,
        EvalError,
        EvalLog,
        EvalSample,
        EvalSpec,
        write_eval_log,
    )
    from inspect_ai.scorer import Score

    from beyond_episode.ablations.study import load_study

    study = load_study(STUDY)
    v = study.variants[variant_id]
    rng = np.random.default_rng(seed)
    samples = []
    for role, cond in (("a", v.a), ("b", v.b)):
        p = 0.2 if (variant_id in EFFECTS[model] and role == "b") else 0.9
        for item in range(ITEMS):
            for epoch in range(1, epochs + 1):
                meta = {
                    "family": study.family, "study": study.id, "variant": v.id, "variant_number": v.number,
                    "role": role, "condition": cond.id, "pair_factor": v.factor, "level": cond.levels[v.factor],
                    "item": f"set{item:02d}",
                }
                meta.update({f"factor_{k}": lvl for k, lvl in cond.levels.items()})
                roll = rng.random()
                accuracy = rng.binomial(10, p) / 10 if roll > 0.005 else math.nan
                actions = float(rng.poisson(6) + 1)
                sample = EvalSample(
                    id=f"{cond.id}-{item:02d}", epoch=epoch, input=f"Answer the questions in questions.txt ({cond.id}).",
                    target="", metadata=meta,
                    scores={"sandbagging_scorer": Score(value={"accuracy": accuracy, "actions": actions})},
                )
                if roll > 0.995:
                    sample.error = EvalError(message="simulated provider error", traceback="", traceback_ansi="")
                    sample.scores = None
                samples.append(sample)
    log = EvalLog(
        status="success",
        eval=EvalSpec(
            created="2025-01-01T00:00:00+00:00", task=f"{STUDY}_{variant_id}",
            dataset=EvalDataset(samples=len(samples) // epochs), model=model, config=EvalConfig(epochs=epochs),
        ),
        samples=samples,
    )
    write_eval_log(log, path)
    return len(samples)


def generate(folder: Path, total: int, workers: int) -> int:
    from beyond_episode.ablations.study import load_study

    marker = folder / MARKER
    if marker.exists() and marker.read_text().strip() == str(total):
        return int(sum(1 for _ in folder.glob("*.eval")))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    variants = list(load_study(STUDY).variants)
    logs = len(MODELS) * len(variants)
    epochs = math.ceil(total / (logs * 2 * ITEMS))
    jobs = [
        (model, vid, epochs, 1000 * m + i, str(folder / f"2025-01-01T00-00-{m:02d}{i:02d}_{vid}.eval"))
        for m, model in enumerate(MODELS)
        for i, vid in enumerate(variants)
    ]
    start = time.perf_counter()
    from beyond_episode.pool import imap

    written = sum(n for _, n in imap(_write_log, jobs, jobs=workers, what="logs"))
    print(f"generated {written} samples in {len(jobs)} logs in {time.perf_counter() - start:.0f} s")
    marker.write_text(str(total))
    return len(jobs)


def _warm(folder: Path) -> None:
    for path in folder.glob("*.eval"):
        path.read_bytes()


def time_samples_df(folder: Path) -> tuple[float, float, int]:
    from inspect_ai.analysis import samples_df

    start, cpu = time.perf_counter(), time.process_time()
    frame = samples_df(str(folder), quiet=True)
    return time.perf_counter() - start, time.process_time() - cpu, len(frame)


def time_report(paths: list[str], out: Path) -> tuple[float, float, int, str]:
    from beyond_episode.analysis import analyze, write_report

    start, cpu = time.perf_counter(), time.process_time()
    report = analyze(paths)
    write_report(report, out)
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    conclusions = "; ".join(f"{r.model}: {r.conclusion}" for r in report.results)
    return elapsed, used, int(report.settings["samples"]), conclusions


def _peak_rss_mb() -> int:
    """Peak resident memory of this process image (VmHWM; unlike ru_maxrss it does not
    inherit the high-water mark of the parent that spawned it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def _memory_child(paths: list[str], out: str) -> None:
    time_report(paths, Path(out))
    print(_peak_rss_mb())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=None, help="folder for the logs (kept; reused when complete)")
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--memory-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(args.memory_child[1:], args.memory_child[0])
        return 0

    tmp = None
    if args.dir:
        folder = Path(args.dir)
    else:
        tmp = tempfile.mkdtemp(prefix="bep-bench-")
        folder = Path(tmp) / "logs"
    try:
        generate(folder, args.samples, args.workers)
        _warm(folder)
        out = folder.parent / "bench-report-out"
        # Inspect is imported before either timing so that neither pays for it
        import inspect_ai.analysis  # noqa: F401
        import inspect_ai.log  # noqa: F401

        t_df, c_df, n_df = time_samples_df(folder)
        t_report, c_report, n_report, conclusions = time_report([str(folder)], out)
        print(f"samples_df: {n_df} samples in {t_df:.2f} s wall, {c_df:.2f} s CPU")
        print(f"bep report (read + analyse + tables + figures): {n_report} samples in {t_report:.2f} s wall, {c_report:.2f} s CPU")
        print(
            f"ratio report / samples_df: {t_report / t_df:.2f} wall, {c_report / c_df:.2f} CPU (target <= 1.5); "
            f"absolute {t_report:.2f} s (target < 30 s)"
        )
        print(f"conclusions: {conclusions}")
        if not args.no_memory:
            logs = sorted(str(p) for p in folder.glob("*.eval"))
            for share in (0.25, 0.5, 1.0):
                chosen = logs[: max(1, round(len(logs) * share))]
                res = subprocess.run(
                    [sys.executable, __file__, "--memory-child", str(out) + f"-{share}", *chosen],
                    capture_output=True, text=True, check=True,
                )
                print(f"peak RSS of a report on {len(chosen)} logs ({share:.0%}): {res.stdout.strip().splitlines()[-1]} MB")
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
