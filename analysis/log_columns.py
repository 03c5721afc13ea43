"""The tidy columns of Inspect logs' sample summaries, kept compact while many logs are read.

A summary's outcome is the key named by its study's ``outcome.name`` in the value of its
score; ``actions`` and ``eval_aware`` are keys of that value too. An errored sample has status
``error``; a missing or NaN outcome, or an ``exclusion`` in the score's metadata, gives status
``unscored`` (the reason in ``detail`` and ``exclusion``). The score metadata
``label_rule_<name>`` / ``label_judge_<name>`` become columns of those names when present.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beyond_episode.errors import BepError

from .studies import StudyCatalog
from .tidy import LABEL_PREFIXES
from .versions import LogSpan


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


class LogColumns:
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
