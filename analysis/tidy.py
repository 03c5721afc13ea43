"""The tidy table: read it from CSV or Parquet, check it, and bring it to the canonical types.

One row per sample. Required columns: ``study, variant, role, model, item, epoch, outcome``.
Optional: ``actions``, ``eval_aware``, ``status``, ``exclusion``, ``sample_id``, ``log``,
``detail``, ``factor_*`` and the classifier labels ``label_rule_<name>`` and
``label_judge_<name>`` (see ``analysis/README.md``).

A table read from a file is strict: a study, variant or role that is unknown, and two rows with
the same sample key, are errors that name them, unless ``allow_unknown`` drops them with a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from beyond_episode.errors import BepError

from .studies import StudyCatalog, as_catalog

REQUIRED = ("study", "variant", "role", "model", "item", "epoch", "outcome")
OPTIONAL = ("actions", "eval_aware", "status", "exclusion", "sample_id", "log", "detail")
STATUSES = ("ok", "error", "unscored")
SAMPLE_KEY = ("study", "variant", "role", "model", "item", "epoch")
LABEL_PREFIXES = ("label_rule_", "label_judge_")

EXCLUSION_REASONS = (
    "never_read_manipulation",
    "no_submission",
    "limit",
    "refused",
    "malformed_answer",
    "never_reached_decision",
)
"""The reasons a family gives for an episode whose outcome does not count."""
ERROR_REASON = "error"
"""The exclusion reason of a sample that errored."""
NO_SCORE_REASON = "no_score"
"""The exclusion reason of a sample without a usable outcome and without a stated reason."""

_NOTES = "notes"
_ALLOW_HINT = "pass --allow-unknown to drop such rows"


def notes_of(frame: pd.DataFrame) -> list[str]:
    """Notes the readers attached to a tidy frame (samples ignored, duplicates dropped, ...)."""
    return list(frame.attrs.get(_NOTES, []))


def with_notes(frame: pd.DataFrame, notes: Iterable[str]) -> pd.DataFrame:
    frame.attrs[_NOTES] = list(notes)
    return frame


def label_columns(frame: pd.DataFrame) -> list[str]:
    """The classifier-label columns of a frame (``label_rule_*``, ``label_judge_*``)."""
    return [str(c) for c in frame.columns if str(c).startswith(LABEL_PREFIXES)]


def read_tidy(
    path: str | Path,
    studies: StudyCatalog | Iterable[str | Path] | None = None,
    *,
    allow_unknown: bool = False,
) -> pd.DataFrame:
    """Read a tidy CSV or Parquet table and check it (one-line :class:`BepError` on bad input).

    Unknown studies (neither shipped nor in ``studies``), unknown variants and roles, and
    duplicated sample keys are errors; with ``allow_unknown`` those rows are dropped with a note.
    """
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
    frame = normalise(raw, source=str(path), allow_unknown=allow_unknown)
    return check_known(frame, as_catalog(studies), source=str(path), allow_unknown=allow_unknown)


def _blank(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip()
    return text.isna() | (text == "") | text.str.lower().isin(["nan", "na", "none", "null"])


def _first_row(mask: pd.Series | np.ndarray) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    values = frame[col].reset_index(drop=True)
    return values.astype("string").str.strip().mask(_blank(values), pd.NA)


def normalise(frame: pd.DataFrame, source: str = "data", *, allow_unknown: bool = False) -> pd.DataFrame:
    """Check a tidy frame and bring it to the canonical column types.

    Required columns: ``study, variant, role, model, item, epoch, outcome``. Optional:
    ``actions``, ``eval_aware`` (0/1), ``status`` (ok|error|unscored; by default ``ok`` when the
    outcome is a number, ``unscored`` when it is empty or an ``exclusion`` reason is given),
    ``exclusion``, ``sample_id``, ``log``, ``detail``, ``factor_*`` and ``label_rule_*`` /
    ``label_judge_*``. The result always has an ``exclusion`` column: ``error`` for errored
    samples, the stated reason (or ``no_score``) for unscored ones, empty for scored ones.
    A role other than ``a``/``b`` is an error, or with ``allow_unknown`` dropped with a note.
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
            raise BepError(f"{source}: row {_first_row(blank) + 1} has an empty '{col}'")
        out[col] = values.astype(str).str.strip()

    epoch = pd.to_numeric(frame["epoch"].reset_index(drop=True), errors="coerce")
    if epoch.isna().any() or (epoch % 1 != 0).any():
        row = _first_row(epoch.isna() | (epoch % 1 != 0))
        raise BepError(f"{source}: row {row + 1} has epoch '{frame['epoch'].iloc[row]}' (must be an integer)")
    out["epoch"] = epoch.astype("int64")

    out["outcome"] = _numeric(frame["outcome"], "outcome", source)
    for col in ("actions", "eval_aware"):
        out[col] = _numeric(frame[col], col, source) if col in frame.columns else np.nan
    aware = out["eval_aware"]
    bad_aware = aware.notna() & ~aware.isin([0.0, 1.0])
    if bad_aware.any():
        row = _first_row(bad_aware)
        raise BepError(f"{source}: row {row + 1} has eval_aware '{aware.iloc[row]:g}' (must be 0, 1 or empty)")

    if "status" in frame.columns:
        status = frame["status"].reset_index(drop=True).astype("string").str.strip().str.lower()
        status = status.mask(_blank(status), pd.NA)
        bad = status.notna() & ~status.isin(STATUSES)
        if bad.any():
            row = _first_row(bad)
            raise BepError(
                f"{source}: row {row + 1} has status '{status.iloc[row]}' (must be one of {', '.join(STATUSES)})"
            )
    else:
        status = pd.Series(pd.NA, index=out.index, dtype="string")
    reason = _text(frame, "exclusion") if "exclusion" in frame.columns else pd.Series(pd.NA, index=out.index, dtype="string")
    ok_with_reason = (status == "ok").fillna(False) & reason.notna()
    if ok_with_reason.any():
        row = _first_row(ok_with_reason)
        raise BepError(
            f"{source}: row {row + 1} has status 'ok' but exclusion '{reason.iloc[row]}' (an excluded sample is unscored)"
        )
    status = status.mask(status.isna() & (reason == ERROR_REASON).fillna(False), "error")
    status = status.mask(status.isna() & reason.notna(), "unscored")
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
    out["detail"] = out["detail"].fillna(reason.where(status == "unscored"))
    exclusion = reason.where(status == "unscored")
    exclusion = exclusion.mask((status == "unscored") & exclusion.isna(), NO_SCORE_REASON)
    exclusion = exclusion.mask(status == "error", ERROR_REASON)
    out["exclusion"] = exclusion.astype("category")
    stated = set(exclusion.dropna().unique()) - {ERROR_REASON, NO_SCORE_REASON}
    if stated - set(EXCLUSION_REASONS):
        notes.append(
            f"{source}: exclusion reason(s) outside the shared vocabulary: {', '.join(sorted(stated - set(EXCLUSION_REASONS)))}"
        )
    for col in frame.columns:
        if str(col).startswith(("factor_", *LABEL_PREFIXES)):
            values = frame[col].reset_index(drop=True)
            out[str(col)] = values.astype("string").mask(_blank(values), pd.NA)
            if str(col).startswith(LABEL_PREFIXES):
                out[str(col)] = out[str(col)].str.strip().astype("category")

    bad_role = ~out["role"].isin(["a", "b"])
    if bad_role.any():
        row = _first_row(bad_role)
        if not allow_unknown:
            raise BepError(
                f"{source}: row {row + 1} has role '{out['role'].iloc[row]}' (must be 'a' or 'b'; {_ALLOW_HINT})"
            )
        roles = sorted(set(out.loc[bad_role, "role"]))
        notes.append(f"{source}: {int(bad_role.sum())} row(s) with unknown role(s) {', '.join(roles)} dropped")
        out = out[~bad_role.to_numpy()].reset_index(drop=True)
        if out.empty:
            raise BepError(f"{source}: no rows left after dropping unknown roles")
    for col in ("study", "variant", "role", "model", "item"):
        out[col] = out[col].astype("category")
    return with_notes(out, notes)


def _numeric(series: pd.Series, name: str, source: str) -> pd.Series:
    series = series.reset_index(drop=True)
    blank = _blank(series) if series.dtype == object or str(series.dtype).startswith("str") else series.isna()
    values = pd.to_numeric(series.where(~blank, None), errors="coerce").astype("float64")
    bad = values.isna() & ~blank
    if bad.any():
        row = _first_row(bad)
        raise BepError(f"{source}: row {row + 1} has {name} '{series.iloc[row]}' (must be a number or empty)")
    return values.where(np.isfinite(values))


def check_known(
    frame: pd.DataFrame, catalog: StudyCatalog, *, source: str, allow_unknown: bool = False
) -> pd.DataFrame:
    """Unknown studies and variants, and duplicated sample keys: an error naming the first,
    or with ``allow_unknown`` the rows dropped with a count in the notes."""
    notes = notes_of(frame)
    keep = np.ones(len(frame), dtype=bool)
    study_col = frame["study"].astype(str)
    variant_col = frame["variant"].astype(str)
    for study_id in study_col.unique():
        rows = (study_col == study_id).to_numpy()
        try:
            study = catalog.get(study_id)
        except BepError:
            if not allow_unknown:
                raise BepError(
                    f"{source}: row {_first_row(rows) + 1} names study '{study_id}', which is not shipped "
                    f"and was not given with --study PATH ({_ALLOW_HINT})"
                ) from None
            notes.append(f"{source}: {int(rows.sum())} row(s) of unknown study '{study_id}' dropped")
            keep &= ~rows
            continue
        unknown = rows & ~variant_col.isin(list(study.variants)).to_numpy()
        if unknown.any():
            names = sorted(set(variant_col[unknown]))
            if not allow_unknown:
                raise BepError(
                    f"{source}: row {_first_row(unknown) + 1} names variant '{variant_col.iloc[_first_row(unknown)]}', "
                    f"which study '{study_id}' does not define ({_ALLOW_HINT})"
                )
            notes.append(
                f"{source}: {int(unknown.sum())} row(s) of variant(s) unknown to study '{study_id}' dropped: {', '.join(names)}"
            )
            keep &= ~unknown
    if not keep.all():
        frame = with_notes(frame[keep].reset_index(drop=True), notes)
        if frame.empty:
            raise BepError(f"{source}: no rows left after dropping unknown studies and variants")
    return _check_duplicates(frame, source, allow_unknown)


def _check_duplicates(frame: pd.DataFrame, source: str, allow_unknown: bool) -> pd.DataFrame:
    notes = notes_of(frame)
    keys = frame[list(SAMPLE_KEY)].astype(str)
    dup = keys.duplicated(keep="first").to_numpy()
    if not dup.any():
        return frame
    if not allow_unknown:
        second = _first_row(dup)
        same = (keys == keys.iloc[second]).all(axis=1).to_numpy()
        first = _first_row(same)
        key = ", ".join(f"{k}={keys.iloc[second][k]}" for k in SAMPLE_KEY)
        raise BepError(
            f"{source}: rows {first + 1} and {second + 1} are the same sample ({key}); "
            f"each (study, variant, role, model, item, epoch) must appear once ({_ALLOW_HINT})"
        )
    notes.append(f"{source}: {int(dup.sum())} duplicated row(s) (same study, variant, role, model, item and epoch) dropped, keeping the first")
    return with_notes(frame[~dup].reset_index(drop=True), notes)
