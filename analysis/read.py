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

REQUIRED = ("study", "variant", "role", "model", "item", "epoch", "outcome")
OPTIONAL = ("actions", "status", "sample_id", "log", "detail")
STATUSES = ("ok", "error", "unscored")
TIDY_SUFFIXES = (".csv", ".parquet", ".pq")
LOG_SUFFIXES = (".eval", ".json")
_NOTES = "notes"

if sys.version_info < (3, 14):
    # Inspect writes .eval logs with zstd compression; on Python < 3.14 its dependency
    # zipfile_zstd teaches the standard zipfile module to read them (Inspect imports it too)
    try:
        importlib.import_module("zipfile_zstd")
    except ImportError:  # then every log goes through Inspect's own reader
        pass


def notes_of(frame: pd.DataFrame) -> list[str]:
    """Notes the readers attached to a tidy frame (samples ignored, duplicates dropped, ...)."""
    return list(frame.attrs.get(_NOTES, []))


def _with_notes(frame: pd.DataFrame, notes: Iterable[str]) -> pd.DataFrame:
    frame.attrs[_NOTES] = list(notes)
    return frame


# --------------------------------------------------------------------------- tidy tables


def read_tidy(path: str | Path) -> pd.DataFrame:
    """Read a tidy CSV or Parquet table and check it (one-line :class:`BepError` on bad input)."""
    path = Path(path)
    if not path.is_file():
        raise BepError(f"tidy table '{path}' not found")
    try:
        if path.suffix.lower() == ".csv":
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        elif path.suffix.lower() in (".parquet", ".pq"):
            raw = pd.read_parquet(path)
        else:
            raise BepError(f"'{path}': a tidy table must be .csv or .parquet")
    except BepError:
        raise
    except Exception as err:  # noqa: BLE001 - any parser failure is bad input
        raise BepError(f"cannot read tidy table '{path}': {type(err).__name__}: {err}") from None
    return normalise(raw, source=str(path))


def _blank(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.isna() | (text == "") | text.str.lower().isin(["nan", "na", "none", "null"])


def normalise(frame: pd.DataFrame, source: str = "data") -> pd.DataFrame:
    """Check a tidy frame and bring it to the canonical column types.

    Required columns: ``study, variant, role, model, item, epoch, outcome``. Optional:
    ``actions``, ``status`` (ok|error|unscored; by default ``ok`` when the outcome is a number
    and ``unscored`` when it is empty), ``sample_id``, ``log``, ``detail`` and ``factor_*``.
    """
    notes = notes_of(frame)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise BepError(f"{source}: missing required column(s) {', '.join(missing)} (required: {', '.join(REQUIRED)})")
    if len(frame) == 0:
        raise BepError(f"{source}: the table has no rows")
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col in ("study", "variant", "role", "model", "item"):
        values = frame[col].reset_index(drop=True)
        blank = _blank(values)
        if blank.any():
            row = int(np.flatnonzero(blank.to_numpy())[0])
            raise BepError(f"{source}: row {row + 1} has an empty '{col}'")
        out[col] = values.astype(str).str.strip()
    bad_role = ~out["role"].isin(["a", "b"])
    if bad_role.any():
        row = int(np.flatnonzero(bad_role.to_numpy())[0])
        raise BepError(f"{source}: row {row + 1} has role '{out['role'].iloc[row]}' (must be 'a' or 'b')")

    epoch = pd.to_numeric(frame["epoch"].reset_index(drop=True), errors="coerce")
    if epoch.isna().any() or (epoch % 1 != 0).any():
        row = int(np.flatnonzero((epoch.isna() | (epoch % 1 != 0)).to_numpy())[0])
        raise BepError(f"{source}: row {row + 1} has epoch '{frame['epoch'].iloc[row]}' (must be an integer)")
    out["epoch"] = epoch.astype("int64")

    out["outcome"] = _numeric(frame["outcome"], "outcome", source)
    out["actions"] = (
        _numeric(frame["actions"], "actions", source) if "actions" in frame.columns else np.nan
    )

    if "status" in frame.columns:
        status = frame["status"].reset_index(drop=True).astype("string").str.strip().str.lower()
        status = status.mask(_blank(status), pd.NA)
        bad = status.notna() & ~status.isin(STATUSES)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise BepError(
                f"{source}: row {row + 1} has status '{status.iloc[row]}' (must be one of {', '.join(STATUSES)})"
            )
    else:
        status = pd.Series(pd.NA, index=out.index, dtype="string")
    has_outcome = out["outcome"].notna()
    status = status.fillna(pd.Series(np.where(has_outcome, "ok", "unscored"), index=out.index))
    ok_without = (status == "ok") & ~has_outcome
    if ok_without.any():
        notes.append(
            f"{source}: {int(ok_without.sum())} row(s) with status 'ok' but no outcome counted as unscored"
        )
        status = status.mask(ok_without, "unscored")
    failed_with = (status != "ok") & has_outcome
    out.loc[failed_with.to_numpy(), "outcome"] = np.nan
    out["status"] = pd.Categorical(status.astype(str), categories=list(STATUSES))

    for col in ("sample_id", "log", "detail"):
        if col in frame.columns:
            values = frame[col].reset_index(drop=True)
            out[col] = values.astype("string").mask(_blank(values), pd.NA)
        else:
            out[col] = pd.Series(pd.NA, index=out.index, dtype="string")
    for col in frame.columns:
        if str(col).startswith("factor_"):
            values = frame[col].reset_index(drop=True)
            out[str(col)] = values.astype("string").mask(_blank(values), pd.NA)
    for col in ("study", "variant", "role", "model", "item"):
        out[col] = out[col].astype("category")
    return _with_notes(out, notes)


def _numeric(series: pd.Series, name: str, source: str) -> pd.Series:
    series = series.reset_index(drop=True)
    blank = _blank(series) if series.dtype == object or str(series.dtype).startswith("str") else series.isna()
    values = pd.to_numeric(series.where(~blank, None), errors="coerce").astype("float64")
    bad = values.isna() & ~blank
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise BepError(f"{source}: row {row + 1} has {name} '{series.iloc[row]}' (must be a number or empty)")
    return values.where(np.isfinite(values))


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
        "eval": {"model": head.eval.model, "task": head.eval.task},
    }
    rows = []
    for s in summaries:
        scores = {
            name: {"value": score.value} for name, score in (s.scores or {}).items()
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


def _score(scores: Mapping[str, Any] | None, outcome: str) -> tuple[float, float, str | None]:
    """(outcome, actions, why-unscored) from a summary's scores."""
    if not scores:
        return math.nan, math.nan, "no score"
    fallback: Any = None
    for entry in scores.values():
        value = entry.get("value") if isinstance(entry, Mapping) else None
        if isinstance(value, Mapping):
            if outcome in value:
                out = _to_float(value[outcome])
                if math.isinf(out):
                    out = math.nan
                actions = _to_float(value.get("actions"))
                return out, actions, None if out == out else f"{outcome} is NaN"
        elif fallback is None:
            fallback = value
    if fallback is not None and len(scores) == 1:
        out = _to_float(fallback)
        return out, math.nan, None if out == out else "score is not a number"
    return math.nan, math.nan, f"no '{outcome}' in the score"


class _Columns:
    """The tidy columns of every log read so far, kept compact: strings as integer codes into
    shared tables, numbers in typed arrays. Each log's summaries are dropped once appended."""

    STRINGS = ("study", "variant", "role", "model", "item", "status", "log", "sample_id", "detail")

    def __init__(self) -> None:
        self.tables: dict[str, dict[str | None, int]] = {name: {} for name in self.STRINGS}
        self.codes: dict[str, array] = {name: array("i") for name in self.STRINGS}
        self.epoch = array("q")
        self.outcome = array("d")
        self.actions = array("d")
        self.levels: dict[tuple[str, str, str], dict[str, str]] = {}

    def __len__(self) -> int:
        return len(self.epoch)

    def add_log(self, summaries: Sequence[Mapping[str, Any]], model: str, path: Path, catalog: StudyCatalog) -> int:
        """Append one log's samples (a plain loop: it runs per sample); returns the foreign ones."""
        tables, codes = self.tables, self.codes

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
        add_status, add_id, add_detail = add["status"], add["sample_id"], add["detail"]
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
            if error:
                outcome, actions, status, detail = nan, nan, "error", str(error).splitlines()[0][:200]
            else:
                outcome, actions, why = _score(s.get("scores"), name)
                status, detail = ("ok", None) if why is None else ("unscored", why)
            variant, role = str(variant), str(role)
            add_study(study)
            add_variant(variant)
            add_role(role)
            add_item(str(item))
            add_status(status)
            add_id(str(s.get("id")))
            add_detail(detail)
            self.epoch.append(int(s.get("epoch", 1)))
            self.outcome.append(outcome)
            self.actions.append(actions)
            condition = (study, variant, role)
            if condition not in self.levels:
                # a condition's factor levels are fixed, so they are read once per condition
                self.levels[condition] = {k: str(v) for k, v in meta.items() if k[:7] == "factor_" and v is not None}
        added = len(self) - start
        for name, value in (("model", model), ("log", path.name)):
            code = tables[name].setdefault(value, len(tables[name]))
            codes[name].extend(array("i", [code]) * added)
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
    its score; ``actions`` is the ``actions`` key. Samples with ``error`` set are kept with
    status ``error``; a missing or NaN outcome gives status ``unscored``.
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
            model = str((header.get("eval") or {}).get("model", "unknown"))
            status = header.get("status")
            if status not in (None, "success"):
                notes.append(
                    f"log {path.name} has status '{status}'; only its {len(summaries)} recorded sample(s) are counted"
                )
            foreign = columns.add_log(summaries, model, path, catalog)
            del summaries
            if foreign:
                notes.append(f"log {path.name}: {foreign} sample(s) without 'study' metadata ignored")
    if not len(columns):
        raise BepError(
            f"none of the {len(files)} log(s) holds samples with the suite's metadata ('study', 'variant', 'role', 'item')"
        )
    tidy, dropped = _dedupe(columns.frame())
    if dropped:
        notes.append(
            f"{dropped} duplicate sample(s) (same study, model, condition, sample id and epoch in several logs) "
            "dropped, keeping a scored copy from the latest log"
        )
    result = normalise(tidy, source="logs")
    return _with_notes(result, notes + notes_of(result))


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
) -> pd.DataFrame:
    """Read any mix of tidy tables and Inspect logs (files or folders) into one tidy frame."""
    given = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not given:
        raise BepError("no input given (pass Inspect logs, log folders or a tidy table)")
    tables = [p for p in given if p.suffix.lower() in TIDY_SUFFIXES]
    logs = [p for p in given if p.suffix.lower() not in TIDY_SUFFIXES]
    frames = [read_tidy(p) for p in tables]
    if logs:
        frames.append(read_logs(logs, studies))
    if len(frames) == 1:
        return frames[0]
    notes = [n for f in frames for n in notes_of(f)]
    joined = pd.concat([f.astype({c: str for c in ("study", "variant", "role", "model", "item")}) for f in frames],
                       ignore_index=True)
    joined["status"] = pd.Categorical(joined["status"].astype(str), categories=list(STATUSES))
    for col in ("study", "variant", "role", "model", "item"):
        joined[col] = joined[col].astype("category")
    return _with_notes(joined, notes)
