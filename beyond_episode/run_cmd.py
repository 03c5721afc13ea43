"""``bep run``: parse the command line into :class:`RunOptions` and call the runner."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError
from beyond_episode.run_options import (
    RunOptions,
    key_values,
    parse_looks,
    parse_price,
    task_arg_options,
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("studies", nargs="+", metavar="STUDY", help="study names or study files, or 'all'")
    parser.add_argument(
        "--model", "-m", action="append", default=None,
        help="any Inspect model, repeatable (default: the reference subjects each study names, subject/<profile>; all of them where it names none)",
    )
    epochs = parser.add_mutually_exclusive_group()
    epochs.add_argument("--epochs", type=int, help="epochs per condition and item (default: each study's quick_epochs)")
    epochs.add_argument("--full", action="store_true", help="run the epochs each study declares for publication")
    parser.add_argument("--items", type=int, help="items per condition (default: each study's items)")
    parser.add_argument("--variants", help="comma-separated variant ids (a subset of a single study)")
    parser.add_argument("--limit", type=int, help="at most this many samples per study (per epoch)")
    parser.add_argument("--log-dir", type=Path, help="eval-set log directory (default: bep-runs/<name>/logs)")
    parser.add_argument("--out", type=Path, help="report directory (default: next to the log directory)")
    parser.add_argument("--no-report", action="store_true", help="run only; write no report")
    parser.add_argument("--alpha", type=float, help="study-wide error rate for the report, in (0, 0.5]")
    seq = parser.add_argument_group("sequential design")
    seq.add_argument("--sequential", action="store_true",
                     help="run in looks and stop each variant once its verdicts are settled (the default unless --epochs is given)")
    seq.add_argument("--fixed", action="store_true", help="run every epoch of every variant (quick or --full)")
    seq.add_argument("--looks", metavar="E1,E2,...",
                     help="epochs of the looks (default: 1, 2, 4, ... up to the run's epochs)")
    parser.add_argument(
        "--jobs", type=int, default=1,
        help="run the plan in this many processes, each an eval-set in LOG_DIR/part-N (default: 1)",
    )
    dry = parser.add_argument_group("cost before the run")
    dry.add_argument("--dry-run", action="store_true", help="print the plan, expected tokens and cost, and exit")
    dry.add_argument("--pilot", action="append", type=Path, default=[], metavar="LOG",
                     help="estimate tokens from the usage measured in these logs (file or directory)")
    dry.add_argument("--price", metavar="IN,OUT", help="USD per million input and output tokens")
    parser.add_argument(
        "-T", dest="task_args", action="append", default=[], metavar="KEY=VALUE",
        help="task argument (items, variant, message_limit, token_limit), read strictly: 010 is an error, not 8",
    )
    inspect = parser.add_argument_group("passed to Inspect")
    inspect.add_argument("--max-connections", type=int)
    inspect.add_argument("--max-samples", type=int)
    inspect.add_argument("--max-tasks", type=int)
    inspect.add_argument("--temperature", type=float)
    inspect.add_argument("--max-tokens", type=int)
    inspect.add_argument("--seed", type=int)
    inspect.add_argument("--message-limit", type=int, help="messages per sample (default: the family's)")
    inspect.add_argument("--token-limit", type=int, help="tokens per sample (default: the family's)")
    inspect.add_argument("--time-limit", type=int, help="seconds per sample")
    inspect.add_argument("--retry-attempts", type=int,
                         help="eval-set attempts at a task whose samples errored (default: Inspect's 10)")
    inspect.add_argument("--retry-on-error", type=int, metavar="N",
                         help="retry an errored sample up to N times within an attempt")
    inspect.add_argument("--fail-on-error", type=float,
                         help="tolerate this share (or count) of errored samples; tolerated errors are not retried "
                              "(default: any error fails the task once all samples ran, and is retried)")
    inspect.add_argument("--max-retries", type=int, help="retries of a failed model API call")
    inspect.add_argument("--timeout", type=int, help="seconds before a model API call times out")
    inspect.add_argument("--batch", nargs="?", const="true", metavar="SIZE",
                         help="use the provider's batch API (about half price), optionally with a batch size")
    inspect.add_argument("--cache", nargs="?", const="true", metavar="EXPIRY",
                         help="cache model generations (expiry like 1D or 1W; default 1W)")
    inspect.add_argument("--model-cost-config", metavar="FILE", help="model prices (Inspect's YAML/JSON format)")
    inspect.add_argument("--model-role", action="append", default=[], metavar="ROLE=MODEL", help="e.g. grader=openai/gpt-4o")
    inspect.add_argument("-M", dest="model_args", action="append", default=[], metavar="KEY=VALUE", help="model argument")
    inspect.add_argument("--model-base-url", help="base URL of the model's API")
    inspect.add_argument("--display", choices=["full", "conversation", "rich", "plain", "log", "none"])


def _batch(value: str | None) -> int | bool | None:
    if value is None:
        return None
    if value == "true":
        return True
    if not value.isdigit() or int(value) < 1:
        raise BepError(f"--batch takes an optional positive batch size, got '{value}'")
    return int(value)


def _cache(value: str | None) -> str | bool | None:
    if value is None:
        return None
    if value == "true":
        return True
    from inspect_ai.model import CachePolicy

    if CachePolicy.from_string(value) is None:
        raise BepError(f"--cache takes an expiry like 12h, 1D or 1W, got '{value}'")
    return value


def options_from_args(args: argparse.Namespace) -> RunOptions:
    """The run options of a parsed ``bep run`` command line."""
    variants = [v.strip() for v in args.variants.split(",") if v.strip()] if args.variants else []
    roles = key_values(getattr(args, "model_role", []), "--model-role")

    from_t = task_arg_options(getattr(args, "task_args", None) or [])
    for name, flag in (("items", "--items"), ("variants", "--variants"), ("message_limit", "--message-limit"), ("token_limit", "--token-limit")):
        given = variants if name == "variants" else getattr(args, name, None)
        if name in from_t and given:
            raise BepError(f"{flag} and -T {name.rstrip('s') if name == 'variants' else name} set the same thing; give one")

    def get(name: str) -> Any:
        return from_t[name] if name in from_t else getattr(args, name, None)

    return RunOptions(
        studies=tuple(args.studies),
        models=tuple(args.model or ()),
        epochs=get("epochs"),
        full=bool(get("full")),
        items=get("items"),
        variants=from_t.get("variants", tuple(variants)),
        limit=get("limit"),
        log_dir=get("log_dir"),
        out=get("out"),
        no_report=bool(get("no_report")),
        alpha=get("alpha"),
        sequential=bool(get("sequential")),
        fixed=bool(get("fixed")),
        looks=tuple(parse_looks(get("looks"))) if get("looks") else (),
        jobs=1 if get("jobs") is None else get("jobs"),
        max_connections=get("max_connections"),
        max_samples=get("max_samples"),
        max_tasks=get("max_tasks"),
        temperature=get("temperature"),
        max_tokens=get("max_tokens"),
        seed=get("seed"),
        retry_attempts=get("retry_attempts"),
        retry_on_error=get("retry_on_error"),
        fail_on_error=get("fail_on_error"),
        max_retries=get("max_retries"),
        timeout=get("timeout"),
        message_limit=get("message_limit"),
        token_limit=get("token_limit"),
        time_limit=get("time_limit"),
        batch=_batch(get("batch")),
        cache=_cache(get("cache")),
        model_cost_config=get("model_cost_config"),
        display=get("display"),
        model_roles={k: str(v) for k, v in roles.items()},
        model_args=key_values(getattr(args, "model_args", []), "-M"),
        model_base_url=get("model_base_url"),
        pilot=tuple(getattr(args, "pilot", []) or ()),
        price=parse_price(get("price")),
    )


def run(args: argparse.Namespace) -> int:
    from beyond_episode import cost
    from beyond_episode.runner import make_plan, run_study

    options = options_from_args(args)
    plan = make_plan(options)
    print(plan.describe())
    if args.dry_run:
        estimates = cost.estimate(plan, options)
        print(cost.describe(estimates, cost.source_note(options)))
        if options.is_sequential:
            print(cost.describe_sequential(plan, estimates))
        return 0
    if options.log_dir is None:
        from beyond_episode.runner import default_dirs

        print(f"Logs: {default_dirs(options, plan)[0]}")
    else:
        print(f"Logs: {options.log_dir}")
    sys.stdout.flush()
    result = run_study(options, plan)
    if not result.complete:
        print(f"Some tasks did not complete; run the same command again to resume (logs in {result.log_dir}).")
    if result.verdicts is not None and result.report_dir is not None:
        print(result.verdicts)
        print(f"Report: {result.report_dir / 'report.md'}")
    return 0 if result.complete else 1
