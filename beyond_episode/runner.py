"""Run studies across models as one Inspect eval-set, then write the report (``bep run``).

Under the hood this is Inspect's own ``eval_set``: logs, retries, resumption, ``inspect view``
and the progress display work as Inspect users expect. Running the same command again with
the same log directory completes what is missing, retries samples that errored, runs again
what an edited prompt changed, and re-does nothing that is complete.

The library entry is :func:`run_study` with a :class:`RunOptions`; ``bep run`` only parses.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beyond_episode.ablations.study import Study, load_study, study_names
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import load_family
from beyond_episode.run_options import SUBJECT_PREFIX, RunOptions
from beyond_episode.run_record import (
    Tally,
    TaskKey,
    describe_attempt,
    record_attempt,
    resolve_parts,
    supersede_stale_logs,
    tally,
)
from beyond_episode.run_summary import epochs_note, sequential_summary

DEFAULT_RUNS_DIR = Path("bep-runs")

__all__ = [
    "DEFAULT_RUNS_DIR", "SUBJECT_PREFIX", "Plan", "PlannedStudy", "RunOptions", "RunResult",
    "build_tasks", "make_plan", "run_plan", "run_study", "task_function", "units_of",
    "write_study_report",
]


@dataclass(frozen=True)
class PlannedStudy:
    study: Study
    variants: list[str] | None
    conditions: int
    items: int
    epochs: int
    calls_per_sample: int
    looks: tuple[int, ...] = ()
    """Epochs of the looks of a sequential run (the last is ``epochs``); empty for a fixed run."""
    alpha: float | None = None
    """The study-wide error rate the stopping rule keeps (None: the study's)."""
    models: tuple[str, ...] = ()
    """The models this study runs on."""

    @property
    def samples_per_model(self) -> int:
        return self.conditions * self.items * self.epochs

    def samples_run(self, limit: int | None) -> int:
        """Samples per model with ``limit`` (per epoch) applied."""
        per_epoch = self.conditions * self.items
        return (min(per_epoch, limit) if limit else per_epoch) * self.epochs


@dataclass(frozen=True)
class Plan:
    studies: list[PlannedStudy]
    models: list[str]
    limit: int | None

    @property
    def samples(self) -> int:
        return sum(p.samples_run(self.limit) * len(p.models) for p in self.studies)

    @property
    def model_calls(self) -> int:
        return sum(p.samples_run(self.limit) * p.calls_per_sample * len(p.models) for p in self.studies)

    def describe(self) -> str:
        lines = ["Plan:"]
        for p in self.studies:
            declared = f" (declared for publication: {p.study.epochs})" if p.epochs != p.study.epochs else ""
            lines.append(
                f"  {p.study.id} [{p.study.family}]: {p.conditions} conditions x {p.items} items x "
                f"{p.epochs} epochs{declared} = {p.samples_per_model} samples per model"
                + (f", on the {len(p.models)} subjects it names" if len(p.models) < len(self.models) else "")
            )
            if p.looks:
                lines.append(
                    f"    sequential: looks at {', '.join(map(str, p.looks))} epochs; a variant stops once its "
                    f"verdicts are settled; at most {p.samples_per_model} samples per model"
                )
            elif p.study.design == "fixed":
                lines.append("    fixed: every epoch runs (the study's design: its question is more than its verdicts)")
        lines.append(f"  models ({len(self.models)}): {', '.join(self.models)}")
        limit = f" (limit {self.limit} samples per study and epoch)" if self.limit else ""
        lines.append(f"  total: {self.samples} samples{limit}, about {self.model_calls} model calls")
        return "\n".join(lines)


@dataclass
class RunResult:
    """What a run did: whether every task completed, and the samples of this attempt."""

    complete: bool
    log_dir: Path
    tally: Tally
    before: Tally
    attempt: int
    report_dir: Path | None = None
    verdicts: str | None = None
    notes: list[str] = field(default_factory=list)


def _as_options(options: RunOptions | argparse.Namespace) -> RunOptions:
    if isinstance(options, RunOptions):
        return options
    from beyond_episode.run_cmd import options_from_args

    return options_from_args(options)


def _studies(names: tuple[str, ...]) -> list[Study]:
    chosen = study_names() if list(names) == ["all"] else list(names)
    if "all" in chosen:
        raise BepError("'all' cannot be combined with study names")
    studies = [load_study(n) for n in chosen]
    ids = [s.id for s in studies]
    if len(set(ids)) != len(ids):
        raise BepError(f"a study is named twice: {', '.join(ids)}")
    return studies


def make_plan(options: RunOptions | argparse.Namespace) -> Plan:
    """The studies, conditions, epochs and models a run will run."""
    options = _as_options(options)
    options.check()
    studies = _studies(options.studies)
    variants = list(options.variants) or None
    if variants and len(studies) != 1:
        raise BepError("--variants selects variants of a single study")
    planned = []
    given = list(options.models)
    profiles = options.model_names if not given else []
    for study in studies:
        epochs = options.epochs or (study.epochs if options.full else study.quick_epochs)
        looks: tuple[int, ...] = ()
        if options.is_sequential and (options.sequential or study.design == "sequential"):
            from beyond_episode.analysis.stopping import look_schedule

            epochs = options.looks[-1] if options.looks else epochs
            looks = tuple(options.looks) or tuple(look_schedule(epochs, 1))
        planned.append(
            PlannedStudy(
                study=study,
                variants=variants,
                conditions=len(study.conditions(variants)),
                items=options.items or study.items,
                epochs=epochs,
                calls_per_sample=_family_of(study).calls_per_sample,
                looks=looks,
                alpha=options.alpha,
                models=tuple(given or _subjects_of(study, profiles)),
            )
        )
    models = list(dict.fromkeys(m for p in planned for m in p.models))
    return Plan(planned, models, options.limit)


def _subjects_of(study: Study, profiles: list[str]) -> list[str]:
    """The reference subjects a study runs on without ``--model``: the profiles it names, else all."""
    if not study.subjects:
        return profiles
    named = [f"{SUBJECT_PREFIX}{s}" for s in study.subjects]
    unknown = [s for s, m in zip(study.subjects, named, strict=True) if m not in profiles]
    if unknown:
        shipped = ", ".join(m.removeprefix(SUBJECT_PREFIX) for m in profiles)
        raise BepError(f"{study.path}: subjects: unknown profile '{unknown[0]}' (shipped: {shipped})")
    return named


def _family_of(study: Study) -> Any:
    return load_family(study.family_path)


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
    return [(p, model) for p in plan.studies for model in p.models]


def task_args(p: PlannedStudy) -> dict[str, Any]:
    """The task arguments of a planned study (plain values, as eval-set requires)."""
    args: dict[str, Any] = {"study": str(p.study.path) if _is_file(p.study) else p.study.id}
    if p.variants:
        args["variant"] = ",".join(p.variants)
    if p.items != p.study.items:
        args["items"] = p.items
    return args


def build_tasks(units: list[Unit], models: dict[str, Any] | None = None) -> list[Any]:
    """One fresh Inspect task per (study, model), bound to its model and epochs."""
    from inspect_ai import task_with

    tasks = []
    for p, model in units:
        task = task_function(p.study.family)(**task_args(p))
        extra: dict[str, Any] = {}
        if p.looks:
            from beyond_episode.sequential import VariantStopping

            alpha = p.alpha if p.alpha is not None else p.study.alpha
            extra["early_stopping"] = VariantStopping(p.study, p.looks, alpha, p.variants)
        tasks.append(task_with(task, model=(models or {}).get(model, model), epochs=p.epochs, **extra))
    return tasks


def _is_file(study: Study) -> bool:
    from beyond_episode.paths import ablations_dir

    return study.path.resolve().parent != ablations_dir().resolve()


def default_dirs(options: RunOptions | argparse.Namespace, plan: Plan) -> tuple[Path, Path]:
    options = _as_options(options)
    name = "all" if list(options.studies) == ["all"] else "+".join(p.study.id for p in plan.studies)
    log_dir = options.log_dir or DEFAULT_RUNS_DIR / name / "logs"
    out = options.out or log_dir.parent / "report"
    return log_dir, out


def run_units(
    units: list[Unit],
    log_dir: Path,
    options: dict[str, Any],
    model_args: dict[str, Any],
    limit: int | None,
    archive: Path | None = None,
) -> bool:
    """Run (or resume) one eval-set over these units; True when every task completed."""
    from inspect_ai import eval_set
    from inspect_ai.model import get_model

    import beyond_episode._registry  # noqa: F401  (registers the subject provider)

    models = {m: get_model(m, **model_args) for m in dict.fromkeys(m for _, m in units)}
    tasks = build_tasks(units, models)
    keys = [
        TaskKey(task.name, str(models[m]), task_args(p), str(task.version))
        for (p, m), task in zip(units, tasks, strict=True)
    ]
    moved = supersede_stale_logs(log_dir, keys, archive)
    if moved:
        print(
            f"{len(moved)} log(s) in {log_dir} were made from an earlier version of the prompts; "
            f"moved to {moved[0].parent} so that old and new samples are never pooled."
        )
        sys.stdout.flush()
    options = {**options}
    if all(m.startswith(SUBJECT_PREFIX) for m in models):
        # Offline subjects are CPU-bound: skip the live-view event buffer and flush less often.
        options.setdefault("log_realtime", False)
        options.setdefault("log_buffer", 100)
    options.setdefault("log_buffer", 10)
    success, _ = eval_set(tasks=tasks, log_dir=str(log_dir), limit=limit, **options)
    return bool(success)


def run_plan(plan: Plan, log_dir: Path, options: RunOptions | argparse.Namespace) -> bool:
    """Run (or resume) the plan, in ``jobs`` processes; True when every task completed."""
    options = _as_options(options)
    eval_options, model_args = options.eval_options(), options.model_kwargs()
    parts = resolve_parts(log_dir, units_of(plan), options.jobs, _unit_key, _unit_load)
    archive = log_dir.parent / f"{log_dir.name}-superseded"
    if len(parts) == 1:
        return run_units(parts[0], log_dir, eval_options, model_args, plan.limit, archive)
    from functools import partial

    from beyond_episode.pool import imap

    eval_options.setdefault("display", "plain")
    # each part is an eval-set of its own folder: a part whose worker died is rerun and resumes there
    part = partial(_run_part, log_dir=log_dir, archive=archive, options=eval_options, model_args=model_args,
                   limit=plan.limit)
    done = imap(part, list(enumerate(parts, start=1)), jobs=len(parts), what="parts of the run")
    return all([complete for _, complete in done])


def _run_part(
    numbered: tuple[int, list[Unit]], log_dir: Path, archive: Path, options: dict[str, Any],
    model_args: dict[str, Any], limit: int | None,
) -> bool:
    k, units = numbered
    return run_units(units, log_dir / f"part-{k}", options, model_args, limit, archive / f"part-{k}")


def _unit_key(unit: Unit) -> list[str]:
    return [unit[0].study.id, unit[1]]


def _unit_load(unit: Unit) -> int:
    return unit[0].samples_per_model * unit[0].calls_per_sample


def run_study(options: RunOptions, plan: Plan | None = None) -> RunResult:
    """Run (or resume) a plan into its log directory and write the report.

    Errored samples fail their log once every sample has run, so Inspect's eval-set retries
    them (``retry_attempts`` times now, and again on every later run into the same directory);
    each run appends its tally of samples to the directory's run record.
    """
    plan = plan or make_plan(options)
    log_dir, out = default_dirs(options, plan)
    before = tally(log_dir)
    complete = run_plan(plan, log_dir, options)
    after = tally(log_dir)
    attempt = record_attempt(log_dir, after, before, options)
    print(describe_attempt(attempt, after, before, tolerated=options.fail_on_error is not None))
    sys.stdout.flush()
    result = RunResult(complete=complete, log_dir=log_dir, tally=after, before=before, attempt=attempt)
    if not options.no_report:
        study_files = [p.study.path for p in plan.studies]
        looks = {p.study.id: list(p.looks) for p in plan.studies if p.looks} or None
        result.verdicts = write_study_report(
            log_dir, out, alpha=options.alpha, note=epochs_note(plan), study_files=study_files, looks=looks
        )
        result.report_dir = out
    return result


def write_study_report(
    log_dir: Path,
    out: Path,
    alpha: float | None = None,
    note: str | None = None,
    study_files: list[Path] | None = None,
    looks: dict[str, list[int]] | None = None,
) -> str:
    """Analyze every log under ``log_dir``, write the report to ``out``; returns the conclusion matrix, the readings and the warnings.

    With ``looks`` (study id -> epochs of its looks) the logs are those of a sequential run and
    are analysed as its design prescribes (:func:`beyond_episode.analysis.sequential.analyze_run`);
    the returned text then starts with what each study used against the fixed design.
    """
    from beyond_episode.analysis import StudyCatalog, analyze, write_report

    head = ""
    if looks:
        from beyond_episode.analysis.sequential import analyze_run

        report, stops = analyze_run([log_dir], looks, studies=StudyCatalog(study_files), alpha=alpha)
        head = sequential_summary(report, stops)
    else:
        report = analyze([log_dir], alpha=alpha, studies=StudyCatalog(study_files))
    if note:
        report.notes.append(note)
    write_report(report, out)
    from beyond_episode.analysis.matrix import summary_text

    warnings = [f"warning: {r.study.id} {r.model}: {text}" for r in report.results for text in r.warnings]
    return head + summary_text(report) + "".join(line + "\n" for line in warnings)
