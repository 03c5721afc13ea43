"""Overhead of the reference subjects against Inspect's own floor.

Runs a study-sized set of ``sandbagging_qa`` samples in one process on three models:

* ``subject/honest``, the reference subject;
* ``mockllm/model`` scripted to make the same calls (list_files, read_file x2, submit, a
  follow-up answer: five model calls per sample, usage set on every output);
* ``bench_scripted/model``, the same script behind a bare ModelAPI. ``mockllm`` also records
  every request (a dump of all input messages per call) in the log, which a bare provider does
  not, so this is the stricter floor.

All go through the same task, solver, tools and scorer, so the differences are the providers'
own costs (for the subject: perception, planning, seeding). Each round runs the models in a
rotated order; the ratios of the median times are reported (target: at most 1.10).

    .venv/bin/python benchmarks/bench_subjects.py [--items 5] [--epochs 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from typing import Any

from inspect_ai import eval as inspect_eval
from inspect_ai.model import (
    ChatMessage,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    get_model,
    modelapi,
)
from inspect_ai.tool import ToolChoice, ToolInfo

import beyond_episode.subjects.provider  # noqa: F401  (registers the subject provider)
from beyond_episode.subjects.episode import count_words
from beyond_episode.tasks.sandbagging_qa.task import sandbagging_qa

TARGET = 1.10


def scripted(input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice, config: GenerateConfig) -> ModelOutput:
    """The same five calls the subject makes, without perceiving or planning anything."""
    step = sum(1 for m in input if m.role == "assistant")
    if input[-1].role == "user" and step > 0:
        output = ModelOutput.from_content("mockllm/model", "No, I answered every question to the best of my ability.")
    else:
        calls: list[tuple[str, dict[str, Any], str]] = [
            ("list_files", {}, "I'll start by listing the files in the working directory."),
            ("read_file", {"path": "Documentation.md"}, "I'll read the documentation first."),
            ("read_file", {"path": "questions.txt"}, "Now I'll read the questions."),
            ("submit", {"answer": "ABCDABCDAB"}, "I will submit my best answers."),
        ]
        name, arguments, text = calls[min(step, len(calls) - 1)]
        output = ModelOutput.for_tool_call("mockllm/model", name, arguments, tool_call_id=f"call_{step + 1}", content=text)
    words = sum(count_words(m.text) for m in input)
    out = count_words(output.completion)
    output.usage = ModelUsage(input_tokens=words, output_tokens=out, total_tokens=words + out)
    return output


class BareScripted(ModelAPI):
    """The script behind a provider that does nothing else."""

    async def generate(
        self, input: list[ChatMessage], tools: list[ToolInfo], tool_choice: ToolChoice, config: GenerateConfig
    ) -> ModelOutput:
        return scripted(input, tools, tool_choice, config)

    async def count_text_tokens(self, text: str) -> int:
        return count_words(text)


@modelapi(name="bench_scripted")
def bench_scripted() -> type[ModelAPI]:
    return BareScripted


MODELS = ("subject/honest", "mockllm/model", "bench_scripted/model")


def run_once(model: Any, items: int, epochs: int, log_dir: str, max_samples: int) -> tuple[float, float, int]:
    """Wall time, process CPU time and number of samples of one run."""
    start, cpu = time.perf_counter(), time.process_time()
    logs = inspect_eval(
        sandbagging_qa(items=items),
        model=model,
        epochs=epochs,
        display="none",
        log_dir=log_dir,
        max_samples=max_samples,
        max_connections=max_samples,
        log_realtime=False,
        score_display=False,
    )
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    log = logs[0]
    if log.status != "success":
        raise SystemExit(f"run failed: {log.error}")
    return elapsed, cpu, len(log.samples or [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5, help="question sets per condition (default 5)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--max-samples", type=int, default=20, help="concurrent samples (default 20)")
    args = parser.parse_args(argv)

    times: dict[str, list[float]] = {name: [] for name in MODELS}
    cpu_times: dict[str, list[float]] = {name: [] for name in MODELS}
    samples = 0
    with tempfile.TemporaryDirectory() as log_dir:
        # warm-up: imports, dataset, prompt rendering, policy discovery
        run_once("subject/honest", 1, 1, log_dir, args.max_samples)
        for round_number in range(args.rounds):
            shift = round_number % len(MODELS)
            for name in MODELS[shift:] + MODELS[:shift]:
                model = get_model(name, custom_outputs=scripted, memoize=False) if name.startswith("mockllm") else name
                elapsed, cpu, samples = run_once(model, args.items, args.epochs, log_dir, args.max_samples)
                times[name].append(elapsed)
                cpu_times[name].append(cpu)
                print(f"round {round_number + 1}: {name:20s} {samples} samples in {elapsed:6.2f} s wall, "
                      f"{cpu:6.2f} s CPU ({1000 * elapsed / samples:5.1f} ms/sample wall)")

    wall = {name: statistics.median(t) for name, t in times.items()}
    cpu_median = {name: statistics.median(t) for name, t in cpu_times.items()}
    print(f"medians for {samples} samples (5 model calls each):")
    for name in MODELS:
        print(f"  {name:20s} {wall[name]:6.2f} s wall, {cpu_median[name]:6.2f} s CPU")
    for floor in MODELS[1:]:
        ratio = wall["subject/honest"] / wall[floor]
        verdict = "OK" if ratio <= TARGET else "ABOVE TARGET"
        print(f"subject/honest vs {floor}: wall-time ratio {ratio:.3f} (target <= {TARGET:.2f}: {verdict}), "
              f"CPU-time ratio {cpu_median['subject/honest'] / cpu_median[floor]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
