"""``bep run`` against the same eval-set called directly through Inspect, in the same run.

Both sides run the same tasks (the sandbagging study's conditions on a reference subject) into
fresh log directories; the rounds alternate which side goes first. The ratio is the suite's
own overhead on top of Inspect's eval-set (target: at most 1.10x). The report step is timed
separately, since it is analysis rather than running.

    python benchmarks/bench_runner.py [--rounds 3] [--epochs 2] [--items 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from inspect_ai import eval_set

import beyond_episode._registry  # noqa: F401
from beyond_episode import run_cmd, runner
from beyond_episode.tasks.sandbagging_qa.task import sandbagging_qa

MODEL = "subject/capability_preserver"


def run_bep(log_dir: Path, epochs: int, items: int) -> float:
    parser = argparse.ArgumentParser()
    run_cmd.configure(parser)
    args = parser.parse_args(
        ["sandbagging_b6", "--model", MODEL, "--epochs", str(epochs), "--items", str(items),
         "--log-dir", str(log_dir), "--no-report", "--display", "none"]
    )
    start = time.perf_counter()
    plan = runner.make_plan(args)
    assert runner.run_plan(plan, log_dir, args)
    return time.perf_counter() - start


def run_inspect(log_dir: Path, epochs: int, items: int) -> float:
    start = time.perf_counter()
    ok, _ = eval_set(
        tasks=[sandbagging_qa(study="sandbagging_b6", items=items)],
        model=[MODEL],
        log_dir=str(log_dir),
        epochs=epochs,
        display="none",
        # the options bep run chooses for offline subjects, so only the suite's own work differs
        log_realtime=False,
        log_buffer=100,
    )
    assert ok
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--items", type=int, default=3)
    opts = parser.parse_args()
    bep_times: list[float] = []
    inspect_times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        run_inspect(Path(tmp) / "warmup", 1, 1)
        for r in range(opts.rounds):
            sides = [("bep", run_bep, bep_times), ("inspect", run_inspect, inspect_times)]
            for name, fn, times in sides if r % 2 == 0 else reversed(sides):
                times.append(fn(Path(tmp) / f"{name}-{r}", opts.epochs, opts.items))
        report_dir = Path(tmp) / "report"
        start = time.perf_counter()
        runner.write_study_report(Path(tmp) / "bep-0", report_dir)
        report_time = time.perf_counter() - start
    samples = 38 * opts.items * opts.epochs
    b, i = statistics.median(bep_times), statistics.median(inspect_times)
    print(f"samples per run: {samples}; rounds: {opts.rounds}")
    print(f"bep run (eval-set through the suite): median {b:.2f} s  {bep_times}")
    print(f"eval_set called directly:             median {i:.2f} s  {inspect_times}")
    print(f"ratio bep/inspect: {b / i:.3f}  (target <= 1.10)")
    print(f"report on one run's logs: {report_time:.2f} s")


if __name__ == "__main__":
    main()
