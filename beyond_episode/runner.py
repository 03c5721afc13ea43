"""``bep run``: run studies across models as one Inspect eval-set, then write the report.

Under the hood this is Inspect's own ``eval_set``: logs, retries, resumption, ``inspect view``
and the progress display work as Inspect users expect. Running the same command again with
the same log directory completes what is missing and re-does nothing that is complete.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beyond_episode.ablations.study import Study, load_study, study_names
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import load_family
from beyond_episode.subjects.profile import profile_names

DEFAULT_RUNS_DIR = Path("bep-runs")
SUBJECT_PREFIX = "subject/"


@dataclass(frozen=True)
class PlannedStudy:
    study: Study
    variants: list[str] | None
    conditions: int
    items: int
    epochs: int
    calls_per_sample: int

    @property
    def samples_per_model(self) -> int:
        return self.conditions * self.items * self.epochs


@dataclass(frozen=True)
class Plan:
    studies: list[PlannedStudy]
    models: list[str]
    limit: int | None

    @property
    def samples(self) -> int:
        per_model = sum(
            min(p.conditions * p.items, self.limit) * p.epochs if self.limit else p.samples_per_model
            for p in self.studies
        )
        return per_model * len(self.models)

    @property
    def model_calls(self) -> int:
        per_model = sum(
            (min(p.conditions * p.items, self.limit) if self.limit else p.conditions * p.items)
            * p.epochs
            * p.calls_per_sample
            for p in self.studies
        )
        return per_model * len(self.models)

    def describe(self) -> str:
        lines = ["Plan:"]
        for p in self.studies:
            declared = f" (declared for publication: {p.study.epochs})" if p.epochs != p.study.epochs else ""
            lines.append(
                f"  {p.study.id} [{p.study.family}]: {p.conditions} conditions x {p.items} items x "
                f"{p.epochs} epochs{declared} = {p.samples_per_model} samples per model"
            )
        lines.append(f"  models ({len(self.models)}): {', '.join(self.models)}")
        limit = f" (limit {self.limit} samples per study and epoch)" if self.limit else ""
        lines.append(f"  total: {self.samples} samples{limit}, about {self.model_calls} model calls")
        return "\n".join(lines)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("studies", nargs="+", metavar="STUDY", help="study names or study files, or 'all'")
    parser.add_argument(
        "--model", "-m", action="append", default=None,
        help="any Inspect model, repeatable (default: every shipped reference subject, subject/<profile>)",
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
    parser.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    parser.add_argument("--alpha", type=float, help="study-wide error rate for the report")
    inspect = parser.add_argument_group("passed to Inspect")
    inspect.add_argument("--max-connections", type=int)
    inspect.add_argument("--max-samples", type=int)
    inspect.add_argument("--max-tasks", type=int)
    inspect.add_argument("--temperature", type=float)
    inspect.add_argument("--max-tokens", type=int)
    inspect.add_argument("--seed", type=int)
    inspect.add_argument("--retry-attempts", type=int, help="eval-set retries of failed tasks")
    inspect.add_argument("--fail-on-error", type=float, help="fail a task when this share of samples errors")
    inspect.add_argument("--model-role", action="append", default=[], metavar="ROLE=MODEL", help="e.g. grader=openai/gpt-4o")
    inspect.add_argument("-M", dest="model_args", action="append", default=[], metavar="KEY=VALUE", help="model argument")
    inspect.add_argument("--model-base-url", help="base URL of the model's API")
    inspect.add_argument("--display", choices=["full", "conversation", "rich", "plain", "log", "none"])
    parser.add_argument(
        "--jobs", type=int, default=1,
        help="run the plan in this many processes, each an eval-set in LOG_DIR/part-N (default: 1)",
    )


def _studies(names: list[str]) -> list[Study]:
    chosen = study_names() if names == ["all"] else names
    if "all" in chosen:
        raise BepError("'all' cannot be combined with study names")
    studies = [load_study(n) for n in chosen]
    ids = [s.id for s in studies]
    if len(set(ids)) != len(ids):
        raise BepError(f"a study is named twice: {', '.join(ids)}")
    return studies


def _positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise BepError(f"--{name} must be a positive integer, got {value}")


def make_plan(args: argparse.Namespace) -> Plan:
    """The studies, conditions, epochs and models a ``bep run`` invocation will run."""
    for name in ("epochs", "items", "limit", "jobs"):
        _positive(name, getattr(args, name))
    studies = _studies(list(args.studies))
    variants = [v.strip() for v in args.variants.split(",") if v.strip()] if args.variants else None
    if variants and len(studies) != 1:
        raise BepError("--variants selects variants of a single study")
    planned = []
    for study in studies:
        conditions = len(study.conditions(variants))
        epochs = args.epochs or (study.epochs if args.full else study.quick_epochs)
        planned.append(
            PlannedStudy(
                study=study,
                variants=variants,
                conditions=conditions,
                items=args.items or study.items,
                epochs=epochs,
                calls_per_sample=load_family(study.family).calls_per_sample,
            )
        )
    models = args.model or [f"{SUBJECT_PREFIX}{p}" for p in profile_names()]
    return Plan(planned, models, args.limit)


def _key_values(pairs: list[str], flag: str) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise BepError(f"{flag} takes KEY=VALUE, got '{pair}'")
        key, value = pair.split("=", 1)
        out[key.strip()] = yaml.safe_load(value)
    return out


def task_function(family: str) -> Any:
    """A family's task function, found by convention: ``beyond_episode.tasks.<family>.task:<family>``."""
    import importlib

    try:
        module = importlib.import_module(f"beyond_episode.tasks.{family}.task")
    except ModuleNotFoundError:
        raise BepError(f"family '{family}' has no task module beyond_episode.tasks.{family}.task") from None
    function = getattr(module, family, None)
    if function is None:
        raise BepError(f"task module of family '{family}' defines no task named '{family}'")
    return function


Unit = tuple[PlannedStudy, str]


def units_of(plan: Plan) -> list[Unit]:
    """Every (study, model) pair of the plan."""
    return [(p, model) for p in plan.studies for model in plan.models]


def build_tasks(units: list[Unit], models: dict[str, Any] | None = None) -> list[Any]:
    """One fresh Inspect task per (study, model), bound to its model and epochs."""
    from inspect_ai import task_with

    tasks = []
    for p, model in units:
        task_args: dict[str, Any] = {"study": str(p.study.path) if _is_file(p.study) else p.study.id}
        if p.variants:
            task_args["variant"] = ",".join(p.variants)
        if p.items != p.study.items:
            task_args["items"] = p.items
        task = task_function(p.study.family)(**task_args)
        tasks.append(task_with(task, model=(models or {}).get(model, model), epochs=p.epochs))
    return tasks


def _is_file(study: Study) -> bool:
    from beyond_episode.paths import ablations_dir

    return study.path.resolve().parent != ablations_dir().resolve()


def default_dirs(args: argparse.Namespace, plan: Plan) -> tuple[Path, Path]:
    name = "all" if list(args.studies) == ["all"] else "+".join(p.study.id for p in plan.studies)
    log_dir = args.log_dir or DEFAULT_RUNS_DIR / name / "logs"
    out = args.out or log_dir.parent / "report"
    return log_dir, out


RUN_FILE = "bep-run.json"
_EVAL_OPTIONS = (
    "max_connections", "max_samples", "max_tasks", "temperature", "max_tokens", "seed",
    "retry_attempts", "fail_on_error", "display",
)


def eval_options(args: argparse.Namespace) -> dict[str, Any]:
    """The eval-set options a ``bep run`` invocation passes to Inspect."""
    options = {k: getattr(args, k) for k in _EVAL_OPTIONS if getattr(args, k, None) is not None}
    roles = _key_values(args.model_role, "--model-role")
    if roles:
        options["model_roles"] = {k: str(v) for k, v in roles.items()}
    return options


def model_options(args: argparse.Namespace) -> dict[str, Any]:
    """Arguments for constructing each model (``-M`` and ``--model-base-url``)."""
    options = _key_values(args.model_args, "-M")
    if args.model_base_url:
        options["base_url"] = args.model_base_url
    return options


def partition(units: list[Unit], jobs: int) -> list[list[Unit]]:
    """Split the (study, model) units into ``jobs`` parts of about equal model calls."""
    parts: list[list[Unit]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for unit in sorted(units, key=lambda u: -u[0].samples_per_model * u[0].calls_per_sample):
        i = loads.index(min(loads))
        parts[i].append(unit)
        loads[i] += unit[0].samples_per_model * unit[0].calls_per_sample
    return [part for part in parts if part]


def _unit_key(unit: Unit) -> list[str]:
    return [unit[0].study.id, unit[1]]


def resolve_parts(log_dir: Path, units: list[Unit], jobs: int) -> list[list[Unit]]:
    """The parts to run: those recorded in the log directory by an earlier run, or new ones.

    A log directory keeps the partition of its first run, so that resuming with another
    ``--jobs`` neither loses nor duplicates samples.
    """
    record = log_dir / RUN_FILE
    by_key = {tuple(_unit_key(u)): u for u in units}
    if record.is_file():
        recorded = json.loads(record.read_text())["parts"]
        keys = {tuple(k) for part in recorded for k in part}
        if keys != set(by_key):
            raise BepError(
                f"log directory {log_dir} holds a different run (other studies or models); use another --log-dir"
            )
        return [[by_key[tuple(k)] for k in part] for part in recorded]
    if jobs > 1 and any(log_dir.glob("*.eval")):
        raise BepError(f"log directory {log_dir} was filled by a run without --jobs; resume it without --jobs")
    parts = partition(units, jobs) if jobs > 1 else [units]
    if len(parts) > 1:
        log_dir.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps({"parts": [[_unit_key(u) for u in part] for part in parts]}, indent=1))
    return parts


def run_units(
    units: list[Unit], log_dir: Path, options: dict[str, Any], model_args: dict[str, Any], limit: int | None
) -> bool:
    """Run (or resume) one eval-set over these units; True when every task completed."""
    from inspect_ai import eval_set
    from inspect_ai.model import get_model

    import beyond_episode._registry  # noqa: F401  (registers the subject provider)

    models = {m: get_model(m, **model_args) for m in dict.fromkeys(m for _, m in units)}
    tasks = build_tasks(units, models)
    options = {**options}
    if all(m.startswith(SUBJECT_PREFIX) for m in models):
        # Offline subjects are CPU-bound: skip the live-view event buffer and flush less often.
        options.setdefault("log_realtime", False)
        options.setdefault("log_buffer", 100)
    options.setdefault("log_buffer", 10)
    success, _ = eval_set(tasks=tasks, log_dir=str(log_dir), limit=limit, **options)
    return bool(success)


def run_plan(plan: Plan, log_dir: Path, args: argparse.Namespace) -> bool:
    """Run (or resume) the plan, in ``--jobs`` processes; True when every task completed."""
    options, model_args = eval_options(args), model_options(args)
    parts = resolve_parts(log_dir, units_of(plan), getattr(args, "jobs", 1) or 1)
    if len(parts) == 1:
        return run_units(parts[0], log_dir, options, model_args, plan.limit)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    options.setdefault("display", "plain")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(parts), mp_context=context) as pool:
        futures = [
            pool.submit(run_units, part, log_dir / f"part-{k}", options, model_args, plan.limit)
            for k, part in enumerate(parts, start=1)
        ]
        return all(f.result() for f in futures)


def run(args: argparse.Namespace) -> int:
    plan = make_plan(args)
    print(plan.describe())
    if args.dry_run:
        return 0
    log_dir, out = default_dirs(args, plan)
    print(f"Logs: {log_dir}")
    sys.stdout.flush()
    complete = run_plan(plan, log_dir, args)
    if not complete:
        print(f"Some tasks did not complete; run the same command again to resume (logs in {log_dir}).")
    if args.no_report:
        return 0 if complete else 1
    study_files = [p.study.path for p in plan.studies]
    print(write_study_report(log_dir, out, alpha=args.alpha, note=_epochs_note(plan), study_files=study_files))
    print(f"Report: {out / 'report.md'}")
    return 0 if complete else 1


def write_study_report(
    log_dir: Path,
    out: Path,
    alpha: float | None = None,
    note: str | None = None,
    study_files: list[Path] | None = None,
) -> str:
    """Analyze every log under ``log_dir``, write the report to ``out``; returns the verdict table."""
    from beyond_episode.analysis import StudyCatalog, analyze, write_report

    report = analyze([log_dir], alpha=alpha, studies=StudyCatalog(study_files))
    if note:
        report.notes.append(note)
    write_report(report, out)
    return verdict_table(report)


def verdict_table(report: Any) -> str:
    """Conclusions as a small text table: one row per study, one column per model."""
    models = report.models
    rows: dict[str, dict[str, str]] = {}
    for r in report.results:
        rows.setdefault(r.study.id, {})[r.model] = r.conclusion
    width = max([len("study"), *(len(s) for s in rows)])
    cols = [max(len(m), 22) for m in models]
    lines = ["Conclusions:", "  " + "study".ljust(width) + "  " + "  ".join(m.ljust(c) for m, c in zip(models, cols, strict=True))]
    for study, by_model in rows.items():
        cells = "  ".join(by_model.get(m, "-").ljust(c) for m, c in zip(models, cols, strict=True))
        lines.append("  " + study.ljust(width) + "  " + cells)
    return "\n".join(lines)


def _epochs_note(plan: Plan) -> str | None:
    short = [p for p in plan.studies if p.epochs < p.study.epochs]
    if not short:
        return None
    parts = [f"{p.study.id}: {p.epochs} epochs run, {p.study.epochs} declared for power 0.8" for p in short]
    return "Quick run with fewer epochs than the studies declare (" + "; ".join(parts) + "). Use --full for publication."
