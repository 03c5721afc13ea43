"""Read the analyzer's input into one tidy table: one row per sample.

Two sources give the same table:

* Inspect logs (``.eval`` or ``.json`` files, or folders searched recursively). Only the
  per-sample summaries are read, never the full samples: for a finished ``.eval`` log the
  consolidated ``summaries.json`` is read straight from the zip, and anything else (an
  unfinished log, a ``.json`` log, an unreadable zip) goes through
  :func:`inspect_ai.log.read_eval_log_sample_summaries` (:mod:`~beyond_episode.analysis.log_files`),
  and kept in compact columns while they are read (:mod:`~beyond_episode.analysis.log_columns`).
* A tidy CSV or Parquet file (see ``analysis/README.md`` for its columns).

Failures are kept as rows with ``status`` ``error`` or ``unscored`` and an empty outcome, so
that every exclusion can be counted per condition.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from beyond_episode.errors import BepError

from .log_columns import LogColumns
from .log_files import find_logs, read_summaries
from .studies import StudyCatalog, as_catalog
from .tidy import (
    REQUIRED,
    STATUSES,
    label_columns,
    normalise,
    notes_of,
    read_tidy,
    with_notes,
)
from .versions import keep_newest_versions

__all__ = [
    "REQUIRED",
    "STATUSES",
    "normalise",
    "notes_of",
    "read_inputs",
    "read_logs",
    "read_tidy",
]

TIDY_SUFFIXES = (".csv", ".parquet", ".pq")


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
    columns = LogColumns()
    with _gc_paused():
        for path in files:
            header, summaries = read_summaries(path)
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
