"""What a run will cost, before it runs (``bep run --dry-run``): tokens per model and dollars.

Tokens come from one of two sources:

* **the rendered prompts.** Every planned sample's texts are rendered offline (the same dataset
  the task runs) and counted at ``CHARS_PER_TOKEN`` characters per token, a heuristic that needs no
  tokenizer download. An episode of ``calls_per_sample`` model calls re-sends its growing
  conversation on every call: call ``k`` sends the system and user prompts, the ``k`` earlier
  answers (``OUTPUT_TOKENS_PER_CALL`` each, an assumption) and the share of the environment's
  files read so far; the last call adds the follow-up question.
* **a pilot log** (``--pilot LOG``): the input and output tokens per sample that Inspect measured
  in an earlier run, per family.

Prices come from ``--price IN,OUT`` (USD per million tokens), else from Inspect's model data
(``get_model_info(model).cost``, which ``--model-cost-config`` and :data:`LIST_PRICES` fill in).
Inspect ships no prices of its own, so :data:`LIST_PRICES` holds published list prices; check
them against the provider's page before relying on the estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError

CHARS_PER_TOKEN = 4.0
"""Characters per token for English prose and code (OpenAI's and Anthropic's rule of thumb)."""
OUTPUT_TOKENS_PER_CALL = 150
"""Assumed output tokens of one model call without a pilot; reasoning models use many more."""
BATCH_DISCOUNT = 0.5
"""Share of the list price that batch APIs bill (OpenAI, Anthropic, Google: 50%)."""
BATCH_PROVIDERS = frozenset({"openai", "anthropic", "google", "grok", "together"})
"""Providers for which Inspect's ``--batch`` uses a batch API."""
OFFLINE_PROVIDERS = frozenset({"subject", "mockllm"})
PRICES_AS_OF = "2025-07"
LIST_PRICES: Mapping[str, tuple[float, float, float, float]] = {
    # model: (input, output, cache write, cache read), USD per million tokens, as published.
    "openai/gpt-4o": (2.50, 10.00, 2.50, 1.25),
    "openai/gpt-4o-mini": (0.15, 0.60, 0.15, 0.075),
    "openai/gpt-4.1": (2.00, 8.00, 2.00, 0.50),
    "openai/gpt-4.1-mini": (0.40, 1.60, 0.40, 0.10),
    "openai/o3": (2.00, 8.00, 2.00, 0.50),
    "openai/o4-mini": (1.10, 4.40, 1.10, 0.275),
    "anthropic/claude-sonnet-4-0": (3.00, 15.00, 3.75, 0.30),
    "anthropic/claude-opus-4-0": (15.00, 75.00, 18.75, 1.50),
    "anthropic/claude-3-5-haiku-latest": (0.80, 4.00, 1.00, 0.08),
    "google/gemini-2.5-pro": (1.25, 10.00, 1.25, 0.31),
    "google/gemini-2.5-flash": (0.30, 2.50, 0.30, 0.075),
}


@dataclass(frozen=True)
class Usage:
    """Expected tokens of some samples."""

    input: float
    output: float

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.input + other.input, self.output + other.output)

    def scaled(self, factor: float) -> Usage:
        return Usage(self.input * factor, self.output * factor)


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    source: str

    def cost(self, usage: Usage) -> float:
        return (usage.input * self.input + usage.output * self.output) / 1e6


@dataclass(frozen=True)
class ModelEstimate:
    model: str
    usage: Usage
    price: Price | None
    batch: bool

    @property
    def cost(self) -> float | None:
        return self.price.cost(self.usage) if self.price else None


def tokens(text: str) -> float:
    """Tokens of a text by the characters-per-token heuristic."""
    return len(text) / CHARS_PER_TOKEN


def episode_usage(metadata: Mapping[str, Any], calls: int, output_per_call: int = OUTPUT_TOKENS_PER_CALL) -> Usage:
    """Expected tokens of one episode of ``calls`` model calls from its rendered texts."""
    base = tokens(str(metadata.get("prompt_system", ""))) + tokens(str(metadata.get("prompt_user", "")))
    files = sum(tokens(str(v)) for k, v in metadata.items() if k.startswith("file_"))
    followup = tokens(str(metadata.get("prompt_followup", "")))
    n = max(1, calls)
    if n == 1:
        return Usage(base + files, output_per_call)
    # call k (0-based) sends base + k answers + k/(n-1) of the files; the last adds the follow-up
    total_input = n * base + output_per_call * n * (n - 1) / 2 + files * n / 2 + followup
    return Usage(total_input, n * output_per_call)


def rendered_usage(plan: Any) -> dict[str, Usage]:
    """Expected tokens per model of each planned study (by study id), from its rendered samples."""
    from beyond_episode.runner import task_args, task_function

    out: dict[str, Usage] = {}
    for p in plan.studies:
        task = task_function(p.study.family)(**task_args(p))
        samples = list(task.dataset)[: plan.limit] if plan.limit else list(task.dataset)
        if not samples:
            out[p.study.id] = Usage(0, 0)
            continue
        per_epoch = Usage(0, 0)
        for sample in samples:
            per_epoch = per_epoch + episode_usage(sample.metadata or {}, p.calls_per_sample)
        out[p.study.id] = per_epoch.scaled(p.epochs)
    return out


def pilot_usage(paths: tuple[Path, ...] | list[Path]) -> dict[str, Usage]:
    """Measured tokens per sample in pilot logs, by family (the task's name) and ``*`` overall."""
    from inspect_ai.log import list_eval_logs, read_eval_log

    files: list[str] = []
    for path in paths:
        if path.is_dir():
            files += [info.name for info in list_eval_logs(str(path), recursive=True)]
        elif path.is_file():
            files.append(str(path))
        else:
            raise BepError(f"--pilot: no log file or directory '{path}'")
    if not files:
        raise BepError(f"--pilot: no Inspect logs in {', '.join(map(str, paths))}")
    totals: dict[str, tuple[Usage, int]] = {}
    for name in files:
        try:
            header = read_eval_log(name, header_only=True)
        except Exception as err:
            raise BepError(f"--pilot: cannot read log {name}: {type(err).__name__}") from None
        samples = header.results.completed_samples if header.results else 0
        if not samples:
            continue
        used = Usage(0, 0)
        for usage in header.stats.model_usage.values():
            used = used + Usage(usage.input_tokens + (usage.input_tokens_cache_read or 0), usage.output_tokens)
        family = header.eval.task.rsplit("/", 1)[-1]
        for key in (family, "*"):
            seen, count = totals.get(key, (Usage(0, 0), 0))
            totals[key] = (seen + used, count + samples)
    if "*" not in totals:
        raise BepError("--pilot: the pilot logs hold no completed samples")
    return {key: used.scaled(1 / count) for key, (used, count) in totals.items()}


def model_price(model: str, price: tuple[float, float] | None = None, cost_config: str | None = None) -> Price | None:
    """The price of a model: ``--price``, else Inspect's model data (list prices filled in)."""
    if model.split("/", 1)[0] in OFFLINE_PROVIDERS:
        return Price(0.0, 0.0, "offline model")
    if price is not None:
        return Price(price[0], price[1], "--price")
    from inspect_ai.model import ModelCost, get_model_info
    from inspect_ai.model._model_info import set_model_cost

    listed = _register_list_prices()
    if cost_config:
        from inspect_ai._util.config import resolve_args

        try:
            for name, cost in resolve_args(cost_config).items():
                set_model_cost(name, ModelCost(**cost))
        except Exception as err:
            raise BepError(f"--model-cost-config {cost_config}: {err}") from None
    info = _info(model, get_model_info)
    if info is None or info.cost is None:
        return None
    cost = (info.cost.input, info.cost.output)
    if cost_config:
        source = f"Inspect model data with --model-cost-config {cost_config}"
    elif cost in listed:
        source = f"Inspect model data, list price as of {PRICES_AS_OF}"
    else:
        source = "Inspect model data"
    return Price(cost[0], cost[1], source)


def _register_list_prices() -> set[tuple[float, float]]:
    """Give Inspect's model data the list prices of models it has no price for."""
    from inspect_ai.model import ModelCost, get_model_info
    from inspect_ai.model._model_info import set_model_cost

    registered = set()
    for name, (cin, cout, write, read) in LIST_PRICES.items():
        info = _info(name, get_model_info)
        if info is None:
            continue
        if info.cost is None:
            set_model_cost(name, ModelCost(input=cin, output=cout, input_cache_write=write, input_cache_read=read))
        registered.add((cin, cout))
    return registered


def _info(model: str, lookup: Any) -> Any:
    try:
        return lookup(model)
    except Exception:  # a provider that needs credentials or a package to be looked up
        return None


def estimate(plan: Any, options: Any) -> list[ModelEstimate]:
    """Expected tokens and cost per model of a plan."""
    pilot = pilot_usage(options.pilot) if options.pilot else None
    rendered = None if pilot else rendered_usage(plan)
    usage = {model: Usage(0, 0) for model in plan.models}
    for p in plan.studies:
        if pilot is not None:
            study_usage = pilot.get(p.study.family, pilot["*"]).scaled(p.samples_run(plan.limit))
        else:
            assert rendered is not None
            study_usage = rendered[p.study.id]
        for model in p.models:
            usage[model] = usage[model] + study_usage
    batch = bool(options.batch)
    return [
        ModelEstimate(model, usage[model], model_price(model, options.price, options.model_cost_config), batch)
        for model in plan.models
    ]


def describe(estimates: list[ModelEstimate], source: str) -> str:
    """The dry run's cost table."""
    lines = [f"Expected tokens and cost ({source}):"]
    total = 0.0
    unpriced = []
    for e in estimates:
        line = f"  {e.model}: {e.usage.input:,.0f} input + {e.usage.output:,.0f} output tokens"
        provider = e.model.split("/", 1)[0]
        if e.price is not None and e.price.source == "offline model":
            line += "; no cost (offline model)"
        elif e.cost is None:
            unpriced.append(e.model)
            line += "; no price known (give --price IN,OUT in USD per million tokens)"
        else:
            assert e.price is not None
            cost = e.cost * (BATCH_DISCOUNT if e.batch and provider in BATCH_PROVIDERS else 1.0)
            total += cost
            line += f"; about ${cost:,.2f} at ${e.price.input:g}/${e.price.output:g} per M ({e.price.source})"
            if e.cost > 0 and provider in BATCH_PROVIDERS:
                if e.batch:
                    line += f"; batch mode saves about ${e.cost - cost:,.2f}"
                else:
                    line += f"; with --batch about ${e.cost * BATCH_DISCOUNT:,.2f} (saves about {1 - BATCH_DISCOUNT:.0%})"
            elif e.cost > 0:
                line += f"; provider '{provider}' offers no batch mode in Inspect"
        lines.append(line)
    lines.append(f"  total: about ${total:,.2f}" + (f" (without {', '.join(unpriced)})" if unpriced else ""))
    return "\n".join(lines)


def source_note(options: Any) -> str:
    if options.pilot:
        return "measured per sample in " + ", ".join(map(str, options.pilot))
    return (
        f"rendered prompts at {CHARS_PER_TOKEN:g} characters per token, "
        f"{OUTPUT_TOKENS_PER_CALL} output tokens per call, context re-sent on every call"
    )


def describe_sequential(plan: Any, estimates: list[ModelEstimate], reps: int = 4) -> str:
    """The dry run's lines for a sequential plan: maximum and expected calls, expected cost.

    The expected share of each study's fixed design is simulated with the reference subjects
    (every shipped profile, ``reps`` runs each): a model that acts like them stops there.
    """
    from beyond_episode.methodology.sequential_calibration import expected_share

    lines = ["Sequential design (expected: simulated with the reference subjects, every shipped profile):"]
    most = expected = 0.0
    for p in plan.studies:
        if not p.looks:
            continue
        share = expected_share(p.study, p.looks, p.items, p.variants, reps)
        calls = p.samples_run(plan.limit) * p.calls_per_sample * len(p.models)
        most += calls
        expected += share * calls
        lines.append(
            f"  {p.study.id}: looks at {', '.join(map(str, p.looks))} epochs; at most {calls:,} model calls, "
            f"expected about {share * calls:,.0f} ({share:.0%})"
        )
    share = expected / most if most else 1.0
    lines.append(f"  total: at most {most:,.0f} model calls, expected about {expected:,.0f} ({share:.0%})")
    priced = [e for e in estimates if e.cost is not None and e.price is not None and e.price.source != "offline model"]
    if priced:
        cost = sum(e.cost or 0.0 for e in priced)
        lines.append(f"  expected cost about ${cost * share:,.2f} (at most ${cost:,.2f})")
    return "\n".join(lines)
