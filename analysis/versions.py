"""Stale results are never pooled: one condition's samples come from one task version.

A log's task version (``eval.task_version`` in its header; the suite's tasks set it to a
content hash of the family folder, the study file and the item bank) identifies the text the
samples were rendered from. When the logs hold samples of one (study, variant, role, model)
under several versions (a prompt was edited and the study run again into the same folder),
only the samples of the newest version, by the creation time of its newest log, are kept,
and a note says how many were set aside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

CONDITION = ("study", "variant", "role", "model")


@dataclass(frozen=True)
class LogSpan:
    """One log's rows in the tidy table (logs are appended in turn, so rows are contiguous)."""

    log: str
    rows: int
    version: str
    """The header's ``eval.task_version`` as text (Inspect's default is ``0``)."""
    created: str
    """The header's ``eval.created`` (ISO 8601)."""


def keep_newest_versions(frame: pd.DataFrame, spans: Sequence[LogSpan]) -> tuple[pd.DataFrame, list[str]]:
    """Drop the rows of every condition's older task versions; returns the frame and notes."""
    if len({s.version for s in spans if s.rows}) <= 1:
        return frame, []
    counts = [s.rows for s in spans]
    version = np.repeat(np.array([s.version for s in spans], dtype=object), counts)
    created = np.repeat(pd.to_datetime([s.created or None for s in spans], utc=True, format="ISO8601").to_numpy(), counts)
    rows = frame[list(CONDITION)].astype(str)
    rows["version"] = version
    rows["created"] = created
    newest = rows.groupby([*CONDITION, "version"], sort=False)["created"].max().reset_index()
    per_condition = newest.groupby(list(CONDITION), sort=False)["version"].transform("size")
    mixed = newest[per_condition > 1]
    if mixed.empty:
        return frame, _pair_notes(newest)
    # the kept version of a mixed condition: its newest log is the latest (ties: the larger version text)
    kept = (
        mixed.sort_values(["created", "version"], na_position="first")
        .groupby(list(CONDITION), sort=False)
        .tail(1)[[*CONDITION, "version", "created"]]
    )
    marked = rows.merge(kept.rename(columns={"version": "kept", "created": "kept_created"}), how="left", on=list(CONDITION))
    drop = (marked["kept"].notna() & (marked["version"] != marked["kept"])).to_numpy()
    notes = _notes(marked, drop)
    kept_versions = newest.merge(kept[list(CONDITION)].assign(mixed=True), how="left", on=list(CONDITION))
    chosen = kept_versions[kept_versions["mixed"].isna()].drop(columns="mixed")
    notes += _pair_notes(pd.concat([chosen, kept], ignore_index=True))
    return frame[~drop].reset_index(drop=True), notes


def _pair_notes(versions: pd.DataFrame) -> list[str]:
    """A note for each variant whose two conditions come from different task versions."""
    notes = []
    for (study, variant, model), group in versions.groupby(["study", "variant", "model"], sort=True):
        by_role = dict(zip(group["role"], group["version"], strict=True))
        if len(set(by_role.values())) > 1:
            shown = ", ".join(f"{role}: '{by_role[role]}'" for role in sorted(by_role))
            notes.append(
                f"study {study}, model {model}: variant {variant} compares conditions rendered from different "
                f"task versions ({shown}); rerun both to compare like with like"
            )
    return notes


def _notes(marked: pd.DataFrame, drop: np.ndarray) -> list[str]:
    notes = []
    mixed = marked[marked["kept"].notna()]
    for (study, model), group in mixed.groupby(["study", "model"], sort=True):
        dropped = group[drop[group.index]]
        kept_rows = group[~drop[group.index]]
        conditions = sorted(set(zip(group["variant"], group["role"], strict=True)))
        old = ", ".join(sorted({f"'{v}'" for v in dropped["version"]}))
        new = ", ".join(sorted({f"'{v}'" for v in kept_rows["kept"]}))
        when = max(kept_rows["kept_created"])
        notes.append(
            f"study {study}, model {model}: {len(conditions)} condition(s) have samples from several task versions "
            f"(edited prompts); {len(dropped)} sample(s) of older version(s) {old} set aside and "
            f"{len(kept_rows)} of the newest version(s) {new} (log of {pd.Timestamp(when).isoformat()}) used, never pooled"
        )
    return notes
