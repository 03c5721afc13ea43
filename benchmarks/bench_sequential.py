"""The fixed and the sequential design side by side, through real Inspect runs.

Both designs run the same study, variants, items and epochs on the same reference subjects into
fresh log directories (``bep run`` without and with ``--sequential``, reports included). It
prints, per subject and in total, the model calls each design made (model events in the logs)
and its wall time, the ratios, and whether the conclusions agree.

    python benchmarks/bench_sequential.py [--study sandbagging_b6] [--epochs 16] [--items 5]
        [--variants baseline,dont_sandbag,no_goal,control_ask_low] [--models subject/honest,...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from inspect_ai.log import read_eval_log

from beyond_episode import run_cmd, runner

MODELS = "subject/honest,subject/instruction_follower,subject/capability_preserver"


def run(study: str, model: str, epochs: int, items: int, variants: str, out: Path, sequential: bool) -> tuple[float, int, str]:
    """Wall time, model calls and conclusion of one ``bep run``."""
    parser = argparse.ArgumentParser()
    run_cmd.configure(parser)
    argv = [study, "--model", model, "--epochs", str(epochs), "--items", str(items), "--variants", variants,
            "--log-dir", str(out / "logs"), "--out", str(out / "report"), "--display", "none"]
    options = run_cmd.options_from_args(parser.parse_args(argv + (["--sequential"] if sequential else [])))
    start = time.perf_counter()
    result = runner.run_study(options)
    elapsed = time.perf_counter() - start
    assert result.complete
    calls = 0
    for path in (out / "logs").glob("*.eval"):
        log = read_eval_log(str(path))
        for sample in log.samples or []:
            calls += sum(1 for event in sample.events if event.event == "model")
    verdicts = json.loads((out / "report" / "verdicts.json").read_text())
    return elapsed, calls, verdicts["results"][0]["conclusion"]["code"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--study", default="sandbagging_b6")
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--variants", default="baseline,dont_sandbag,no_goal,control_ask_low")
    parser.add_argument("--models", default=MODELS)
    args = parser.parse_args()
    totals = {False: [0.0, 0], True: [0.0, 0]}
    print(f"{args.study}, variants {args.variants}, {args.items} items, {args.epochs} epochs")
    print(f"{'model':34} {'design':10} {'calls':>7} {'seconds':>8}  conclusion")
    agree = True
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            found = {}
            for sequential in (False, True):
                name = "sequential" if sequential else "fixed"
                out = Path(tmp) / model.replace("/", "_") / name
                seconds, calls, conclusion = run(args.study, model, args.epochs, args.items, args.variants, out, sequential)
                totals[sequential][0] += seconds
                totals[sequential][1] += calls
                found[sequential] = conclusion
                print(f"{model:34} {name:10} {calls:7d} {seconds:8.1f}  {conclusion}", flush=True)
            agree &= found[False] == found[True]
    (fixed_s, fixed_c), (seq_s, seq_c) = totals[False], totals[True]
    print(f"model calls: sequential/fixed = {seq_c}/{fixed_c} = {seq_c / fixed_c:.2f}")
    print(f"wall time:   sequential/fixed = {seq_s:.1f}/{fixed_s:.1f} s = {seq_s / fixed_s:.2f}")
    print("conclusions: " + ("the same for every model" if agree else "DIFFER"))


if __name__ == "__main__":
    main()
