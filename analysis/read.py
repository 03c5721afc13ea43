"""Read the analyzer's input into one tidy table: one row per sample.

Two sources give the same table:

* Inspect logs (``.eval`` or ``.json`` files, or folders searched recursively). Only the
  per-sample summaries are read, never the full samples: for a finished ``.eval`` log the
  consolidated ``summaries.json`` is read straight from the zip, and anything else (an
  unfinished log, a ``.json`` log, an unreadable zip) goes through
  :func:`inspect_ai.log.read_eval_log_sample_summaries`.
* A tidy CSV or Parquet file (see ``analysis/README.md`` for its columns).

Failures are kept as rows with ``status`` ``error`` or ``unscored`` and an empty outcome, so
that every exclusion can be counted per condition.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import math
import sys
import zipfile
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beyond_episode.errors import BepError

from .studies import StudyCatalog, as_catalog
from .tidy import (
    LABEL_PREFIXES,
    REQUIRED,
    STATUSES,
    label_columns,
    normalise,
    notes_of,
    read_tidy,
    with_notes,
)
from .versions import LogSpan, keep_newest_versions

__all__ = [
    "REQUIRED",
    "STATUSES",
    "find_logs",
    "normalise",
    "notes_of",
    "read_inputs",
    "read_logs",
    "read_tidy",
]

TIDY_SUFFIXES = (".csv", ".parquet", ".pq")
LOG_SUFFIXES = (".eval", ".json")

if sys.version_info < (3, 14):
    # Inspect writes .eval logs with zstd compression; on Python < 3.14 its dependency
    # zipfile_zstd teaches the standard zipfile module to read them (Inspect imports it too)
    try:
        importlib.import_module("zipfile_zstd")
    except ImportError:  # then every log goes through Inspect's own reader
        pass


# --------------------------------------------------------------------------- inspect logs


def find_logs(paths: Iterable[str | Path]) -> list[Path]:
    """Log files named directly or found recursively under folders (sorted, unique)."""
    from inspect_ai.log import list_eval_logs

    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            infos = list_eval_logs(str(path.resolve()), recursive=True, descending=False)
            logs = [Path(_local(info.name)) for info in infos]
            if not logs:
                raise BepError(f"no Inspect logs (.eval or .json) found under '{path}'")
            found.extend(sorted(logs))
        elif path.is_file():
            if path.suffix.lower() not in LOG_SUFFIXES:
                raise BepError(f"'{path}' is neither an Inspect log (.eval, .json) nor a tidy table (.csv, .parquet)")
            found.append(path.resolve())
        else:
            raise BepError(f"'{path}' does not exist")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique


def _local(name: str) -> str:
    if name.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return unquote(urlparse(name).path)
    return name


def _fast_summaries(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """Header and summaries of a finished ``.eval`` log, straight from its zip (else None)."""
    if path.suffix.lower() != ".eval":
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "summaries.json" not in names or "header.json" not in names:
                return None
            header = json.loads(archive.read("header.json"))
            summaries = json.loads(archive.read("summaries.json"))
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, KeyError):
        return None
    if not isinstance(header, dict) or not isinstance(summaries, list):
        return None
    # the same last-entry-wins rule Inspect applies to a requeued sample's rows
    by_key: dict[tuple[str, int], dict[str, Any]] = {}
    for summary in summaries:
        by_key[(str(summary.get("id")), int(summary.get("epoch", 0)))] = summary
    return header, list(by_key.values())


def _api_summaries(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from inspect_ai.log import read_eval_log, read_eval_log_sample_summaries

    try:
        head = read_eval_log(str(path), header_only=True)
        summaries = read_eval_log_sample_summaries(str(path))
    except Exception as err:  # noqa: BLE001 - report any unreadable log as bad input
        raise BepError(f"cannot read Inspect log '{path}': {type(err).__name__}: {err}") from None
    header = {
        "status": head.status,
        "eval": {
            "model": head.eval.model,
            "task": head.eval.task,
            "task_version": head.eval.task_version,
            "created": head.eval.created,
        },
    }
    rows = []
    for s in summaries:
        scores = {
            name: {"value": score.value, "metadata": score.metadata} for name, score in (s.scores or {}).items()
        }
        rows.append(
            {"id": s.id, "epoch": s.epoch, "metadata": s.metadata, "scores": scores, "error": s.error}
        )
    return header, rows


def _to_float(value: Any) -> float:
    if type(value) is float:
        return value
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else math.nan
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return math.nan
        return number if math.isfinite(number) else math.nan
    return math.nan


_Scored = tuple[float, float, float, "str | None", "Mapping[str, Any] | None"]


def _score(scores: Mapping[str, Any] | None, outcome: str) -> _Scored:
    """(outcome, actions, eval_aware, why-unscored, the score's metadata) from a summary's scores."""
    nan = math.nan
    if not scores:
        return nan, nan, nan, "no score", None
    fallback: Any = None
    for entry in scores.values():
        value = entry.get("value") if isinstance(entry, Mapping) else None
        if isinstance(value, Mapping):
            if outcome in value:
                out = _to_float(value[outcome])
                if math.isinf(out):
                    out = nan
                actions = _to_float(value.get("actions"))
                aware = _to_float(value.get("eval_aware"))
                meta = entry.get("metadata")
                return out, actions, aware, None if out == out else f"{outcome} is NaN", meta or None
        elif fallback is None:
            fallback = value
    if fallback is not None and len(scores) == 1:
        out = _to_float(fallback)
        entry = next(iter(scores.values()))
        meta = entry.get("metadata") if isinstance(entry, Mapping) else None
        return out, nan, nan, None if out == out else "score is not a number", meta or None
    return nan, nan, nan, f"no '{outcome}' in the score", None


class _Columns:
    """The tidy columns of every log read so far, kept compact: strings as integer codes into
    shared tables, numbers in typed arrays, classifier labels as sparse (row, code) pairs.
    Each log's summaries are dropped once appended."""

    STRINGS = ("study", "variant", "role", "model", "item", "status", "log", "sample_id", "detail", "exclusion")

    def __init__(self) -> None:
        self.tables: dict[str, dict[str | None, int]] = {name: {} for name in self.STRINGS}
        self.codes: dict[str, array] = {name: array("i") for name in self.STRINGS}
        self.epoch = array("q")
        self.outcome = array("d")
        self.actions = array("d")
        self.eval_aware = array("d")
        self.levels: dict[tuple[str, str, str], dict[str, str]] = {}
        self.labels: dict[str, tuple[array, list[str]]] = {}
        """Label column -> (rows that carry it, their labels); only columns that occur."""
        self.spans: list[LogSpan] = []

    def __len__(self) -> int:
        return len(self.epoch)

    def add_log(self, summaries: Sequence[Mapping[str, Any]], header: Mapping[str, Any], path: Path,
                catalog: StudyCatalog) -> int:
        """Append one log's samples (a plain loop: it runs per sample); returns the foreign ones."""
        tables, codes = self.tables, self.codes
        spec = header.get("eval") or {}
        model = str(spec.get("model", "unknown"))

        def coder(name: str) -> Any:
            table, out = tables[name], codes[name]

            def add(value: str | None) -> None:
                code = table.get(value)
                if code is None:
                    code = table[value] = len(table)
                out.append(code)

            return add

        add = {name: coder(name) for name in self.STRINGS}
        add_study, add_variant, add_role, add_item = add["study"], add["variant"], add["role"], add["item"]
        add_status, add_id, add_detail, add_exclusion = add["status"], add["sample_id"], add["detail"], add["exclusion"]
        labels = self.labels
        outcome_names: dict[str, str] = {}
        foreign = 0
        nan = math.nan
        start = len(self)
        for s in summaries:
            meta = s.get("metadata") or {}
            study = meta.get("study")
            if study is None:
                foreign += 1
                continue
            study = str(study)
            variant, role, item = meta.get("variant"), meta.get("role"), meta.get("item")
            if variant is None or role is None or item is None:
                missing = next(k for k, v in (("variant", variant), ("role", role), ("item", item)) if v is None)
                raise BepError(f"log {path}: sample {s.get('id')} of study '{study}' lacks metadata '{missing}'")
            name = outcome_names.get(study)
            if name is None:
                name = outcome_names[study] = catalog.get(study).outcome.name
            error = s.get("error")
            detail: str | None
            exclusion: str | None = None
            if error:
                outcome, actions, aware, status, detail = nan, nan, nan, "error", str(error).splitlines()[0][:200]
            else:
                outcome, actions, aware, why, score_meta = _score(s.get("scores"), name)
                if score_meta:
                    reason = score_meta.get("exclusion")
                    if reason is not None and str(reason).strip():
                        exclusion = why = str(reason).strip()
                        outcome = nan
                    row = len(self)
                    for key, label in score_meta.items():
                        if key[:6] == "label_" and key.startswith(LABEL_PREFIXES) and label is not None:
                            found = labels.get(key)
                            if found is None:
                                found = labels[key] = (array("q"), [])
                            found[0].append(row)
                            found[1].append(str(label))
                status, detail = ("ok", None) if why is None else ("unscored", why)
            variant, role = str(variant), str(role)
            add_study(study)
            add_variant(variant)
            add_role(role)
            add_item(str(item))
            add_status(status)
            add_id(str(s.get("id")))
            add_detail(detail)
            add_exclusion(exclusion)
            self.epoch.append(int(s.get("epoch", 1)))
            self.outcome.append(outcome)
            self.actions.append(actions)
            self.eval_aware.append(aware)
            condition = (study, variant, role)
            if condition not in self.levels:
                # a condition's factor levels are fixed, so they are read once per condition
                self.levels[condition] = {k: str(v) for k, v in meta.items() if k[:7] == "factor_" and v is not None}
        added = len(self) - start
        for name, value in (("model", model), ("log", str(path))):
            code = tables[name].setdefault(value, len(tables[name]))
            codes[name].extend(array("i", [code]) * added)
        version = spec.get("task_version")
        self.spans.append(LogSpan(path.name, added, "" if version is None else str(version), str(spec.get("created") or "")))
        return foreign

    def frame(self) -> pd.DataFrame:
        columns: dict[str, Any] = {}
        for name in self.STRINGS:
            table = self.tables[name]
            categories = list(table)
            codes = np.frombuffer(self.codes[name], dtype=np.int32)
            if None in table:
                # missing values become code -1
                none = table[None]
                codes = np.where(codes == none, -1, codes - (codes > none))
                categories.remove(None)
            columns[name] = pd.Categorical.from_codes(codes, categories=categories)
        columns["epoch"] = np.frombuffer(self.epoch, dtype=np.int64)
        columns["outcome"] = np.frombuffer(self.outcome, dtype=np.float64)
        columns["actions"] = np.frombuffer(self.actions, dtype=np.float64)
        columns["eval_aware"] = np.frombuffer(self.eval_aware, dtype=np.float64)
        for key in sorted(self.labels):
            rows, values = self.labels[key]
            cats = sorted(set(values))
            lookup = {v: i for i, v in enumerate(cats)}
            label_codes = np.full(len(self), -1, dtype=np.int32)
            label_codes[np.frombuffer(rows, dtype=np.int64)] = [lookup[v] for v in values]
            columns[key] = pd.Categorical.from_codes(label_codes, categories=cats)
        frame = pd.DataFrame(columns)
        keys = sorted({k for found in self.levels.values() for k in found})
        if keys:
            conditions = pd.DataFrame(
                [{"study": c[0], "variant": c[1], "role": c[2], **found} for c, found in self.levels.items()]
            )
            merged = frame[["study", "variant", "role"]].astype(str).merge(
                conditions, how="left", on=["study", "variant", "role"]
            )
            for key in keys:
                frame[key] = pd.Categorical(merged[key].to_numpy())
        return frame


def read_logs(
    paths: Iterable[str | Path] | str | Path,
    studies: StudyCatalog | Iterable[str | Path] | Mapping[str, str | Path] | None = None,
) -> pd.DataFrame:
    """Read Inspect logs into the tidy table, one row per sample (summaries only).

    The outcome of a sample is the key named by its study's ``outcome.name`` in the value of
    its score; ``actions`` and ``eval_aware`` are keys of that value too. Samples with ``error``
    set are kept with status ``error``; a missing or NaN outcome, or an ``exclusion`` in the
    score's metadata, gives status ``unscored`` (the reason in ``detail`` and ``exclusion``).
    The score metadata ``label_rule_<name>`` / ``label_judge_<name>`` become columns of those
    names when present. Samples of one condition and model rendered from several task versions
    are not pooled: only the newest version's samples are kept, with a note
    (:func:`~beyond_episode.analysis.versions.keep_newest_versions`).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    catalog = as_catalog(studies)
    files = find_logs(paths)
    if not files:
        raise BepError("no Inspect logs given")
    notes: list[str] = []
    columns = _Columns()
    with _gc_paused():
        for path in files:
            got = _fast_summaries(path)
            header, summaries = got if got is not None else _api_summaries(path)
            status = header.get("status")
            if status not in (None, "success"):
                notes.append(
                    f"log {path.name} has status '{status}'; only its {len(summaries)} recorded sample(s) are counted"
                )
            foreign = columns.add_log(summaries, header, path, catalog)
            del summaries
            if foreign:
                notes.append(f"log {path.name}: {foreign} sample(s) without 'study' metadata ignored")
    if not len(columns):
        raise BepError(
            f"none of the {len(files)} log(s) holds samples with the suite's metadata ('study', 'variant', 'role', 'item')"
        )
    tidy, stale = keep_newest_versions(columns.frame(), columns.spans)
    notes.extend(stale)
    tidy, dropped = _dedupe(tidy)
    if dropped:
        notes.append(
            f"{dropped} duplicate sample(s) (same study, model, condition, sample id and epoch in several logs) "
            "dropped, keeping a scored copy from the latest log"
        )
    result = normalise(tidy, source="logs")
    return with_notes(result, notes + notes_of(result))


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while parsing many small JSON objects (they are
    acyclic and freed by reference counting; the collector would only rescan them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_RANK = {"ok": 0, "unscored": 1, "error": 2}


def _dedupe(tidy: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Keep one row per (study, model, condition, sample id, epoch) when logs overlap."""
    condition = ["study", "model", "variant", "role"]
    spread = tidy[[*condition, "log"]].astype(str).drop_duplicates().groupby(condition).size()
    if not (spread > 1).any():
        return tidy, 0  # no condition appears in two logs: nothing can be duplicated
    keys = [*condition, "sample_id", "epoch"]
    flat = tidy[keys].astype(str)
    dup = flat.duplicated(keep=False).to_numpy()
    if not dup.any():
        return tidy, 0
    rank = tidy["status"].astype(str).map(_RANK).to_numpy()
    order = np.lexsort((-np.arange(len(tidy)), rank))  # scored first, then the latest log
    keep = np.zeros(len(tidy), dtype=bool)
    keep[order[~flat.iloc[order].duplicated(keep="first").to_numpy()]] = True
    return tidy[keep].reset_index(drop=True), int((~keep).sum())


# --------------------------------------------------------------------------- dispatch


def read_inputs(
    paths: Iterable[str | Path] | str | Path,
    studies: StudyCatalog | Iterable[str | Path] | Mapping[str, str | Path] | None = None,
    *,
    allow_unknown: bool = False,
) -> pd.DataFrame:
    """Read any mix of tidy tables and Inspect logs (files or folders) into one tidy frame.

    Tidy tables are strict (unknown studies, variants and roles, duplicated sample keys are
    errors); ``allow_unknown`` drops those rows with a count in the notes instead.
    """
    given = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not given:
        raise BepError("no input given (pass Inspect logs, log folders or a tidy table)")
    catalog = as_catalog(studies)
    tables = [p for p in given if p.suffix.lower() in TIDY_SUFFIXES]
    logs = [p for p in given if p.suffix.lower() not in TIDY_SUFFIXES]
    frames = [read_tidy(p, catalog, allow_unknown=allow_unknown) for p in tables]
    if logs:
        frames.append(read_logs(logs, catalog))
    if len(frames) == 1:
        return frames[0]
    notes = [n for f in frames for n in notes_of(f)]
    joined = pd.concat([f.astype({c: "string" for c in f.columns if isinstance(f[c].dtype, pd.CategoricalDtype)})
                        for f in frames], ignore_index=True)
    joined["status"] = pd.Categorical(joined["status"].astype(str), categories=list(STATUSES))
    for col in ("study", "variant", "role", "model", "item", "exclusion", *label_columns(joined)):
        joined[col] = joined[col].astype("category")
    return with_notes(joined, notes)
