"""The record a run keeps in its log directory (``bep-run.json``), and what it reads from the logs.

The record holds the partition of the run into parts (``--jobs``) and one entry per attempt:
how many samples the directory's latest logs hold, how many of them errored, and how many
retries Inspect made. Logs made from an earlier version of a task (an edited prompt) are
moved out of the directory before eval-set runs, so a report never pools old and new texts.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from beyond_episode.errors import BepError

RUN_FILE = "bep-run.json"
U = TypeVar("U")


@dataclass(frozen=True)
class Tally:
    """Samples in a log directory's latest logs."""

    samples: int = 0
    errored: int = 0
    retries: int = 0
    """Retries of errored samples made within the run (Inspect's ``retry_on_error``)."""

    @property
    def scored(self) -> int:
        return self.samples - self.errored


def read_record(log_dir: Path) -> dict[str, Any]:
    path = log_dir / RUN_FILE
    if not path.is_file():
        return {}
    try:
        record = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BepError(f"{path}: not a run record (invalid JSON); move it away to start afresh") from None
    if not isinstance(record, dict):
        raise BepError(f"{path}: not a run record")
    return record


def _write_record(log_dir: Path, record: dict[str, Any]) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    (log_dir / RUN_FILE).write_text(json.dumps(record, indent=1) + "\n")


def resolve_parts(
    log_dir: Path, units: list[U], jobs: int, key: Callable[[U], list[str]], load: Callable[[U], int]
) -> list[list[U]]:
    """The parts to run: those recorded in the log directory by an earlier run, or new ones.

    A log directory keeps the partition of its first run, so that resuming with another
    ``--jobs`` neither loses nor duplicates samples.
    """
    record = read_record(log_dir)
    by_key = {tuple(key(u)): u for u in units}
    if "parts" in record:
        keys = {tuple(k) for part in record["parts"] for k in part}
        if keys != set(by_key):
            raise BepError(
                f"log directory {log_dir} holds a different run (other studies or models); use another --log-dir"
            )
        return [[by_key[tuple(k)] for k in part] for part in record["parts"]]
    if jobs > 1 and any(log_dir.glob("*.eval")):
        raise BepError(f"log directory {log_dir} was filled by a run without --jobs; resume it without --jobs")
    parts = partition(units, jobs, load) if jobs > 1 else [units]
    record["parts"] = [[key(u) for u in part] for part in parts]
    _write_record(log_dir, record)
    return parts


def partition(units: list[U], jobs: int, load: Callable[[U], int]) -> list[list[U]]:
    """Split units into ``jobs`` parts of about equal load."""
    parts: list[list[U]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for unit in sorted(units, key=lambda u: -load(u)):
        i = loads.index(min(loads))
        parts[i].append(unit)
        loads[i] += load(unit)
    return [part for part in parts if part]


def _latest_logs(log_dir: Path) -> list[Any]:
    """The newest log header of each task (by task id) under ``log_dir``."""
    from inspect_ai.log import read_eval_log

    latest: dict[str, Any] = {}
    for path in sorted(log_dir.rglob("*.eval")):
        try:
            header = read_eval_log(str(path), header_only=True)
        except Exception:  # a log still being written or cut short: eval-set recovers it
            continue
        current = latest.get(header.eval.task_id)
        if current is None or str(header.eval.created) > str(current.eval.created):
            latest[header.eval.task_id] = header
    return list(latest.values())


def tally(log_dir: Path) -> Tally:
    """Samples, errored samples and in-run retries in the latest logs under ``log_dir``."""
    from inspect_ai.log import read_eval_log_sample_summaries

    if not log_dir.is_dir():
        return Tally()
    samples = errored = retries = 0
    for header in _latest_logs(log_dir):
        try:
            summaries = read_eval_log_sample_summaries(header.location)
        except Exception:
            continue
        samples += len(summaries)
        errored += sum(1 for s in summaries if s.error is not None)
        retries += sum(s.retries or 0 for s in summaries)
    return Tally(samples, errored, retries)


def record_attempt(log_dir: Path, after: Tally, before: Tally, options: Any) -> int:
    """Append this run's tally to the record; returns the attempt's number (1 for the first)."""
    record = read_record(log_dir)
    attempts = list(record.get("attempts", []))
    entry = {
        "attempt": len(attempts) + 1,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **asdict(after),
        "scored": after.scored,
        "errored_before": before.errored,
        "retry_on_error": getattr(options, "retry_on_error", None),
        "retry_attempts": getattr(options, "retry_attempts", None),
    }
    attempts.append(entry)
    record["attempts"] = attempts
    _write_record(log_dir, record)
    return len(attempts)


def describe_attempt(attempt: int, after: Tally, before: Tally, tolerated: bool = False) -> str:
    """One line on the samples of this attempt, for the run's output.

    ``tolerated``: errors within ``--fail-on-error`` leave the log complete, so no rerun retries them.
    """
    line = f"Attempt {attempt} in this log directory: {after.samples} samples, {after.scored} without error"
    if after.errored:
        advice = (
            "tolerated by --fail-on-error, so a rerun does not retry them"
            if tolerated
            else "run the same command again to retry them"
        )
        line += f", {after.errored} errored ({advice})"
    if before.errored:
        line += f"; {before.errored} had errored before this attempt"
    if after.retries:
        line += f"; {after.retries} sample retries within the run"
    return line + "."


@dataclass(frozen=True)
class TaskKey:
    """What identifies a planned task's logs apart from its version."""

    name: str
    model: str
    args: dict[str, Any]
    version: str


def supersede_stale_logs(log_dir: Path, planned: Sequence[TaskKey], archive: Path | None = None) -> list[Path]:
    """Move logs of a planned task made from another version of it out of ``log_dir``.

    A task's version is a hash of its prompts, so such a log holds samples rendered from texts
    that are no longer the study's. Eval-set would refuse the directory (or, allowed, the report
    would pool both); instead the logs go to ``archive`` (default ``<log_dir>-superseded``),
    stamped with the time, and the task runs again.
    """
    from inspect_ai.log import read_eval_log

    if not log_dir.is_dir():
        return []
    current = {(k.name, k.model, json.dumps(k.args, sort_keys=True)): k.version for k in planned}
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = (archive or log_dir.parent / f"{log_dir.name}-superseded") / stamp
    moved = []
    for path in sorted(log_dir.glob("*.eval")):
        try:
            header = read_eval_log(str(path), header_only=True)
        except Exception:
            continue
        spec = header.eval
        key = (spec.task, spec.model, json.dumps(spec.task_args_passed, sort_keys=True))
        version = current.get(key)
        if version is not None and str(spec.task_version) != version:
            target.mkdir(parents=True, exist_ok=True)
            destination = target / path.name
            shutil.move(str(path), destination)
            moved.append(destination)
    return moved
