"""Load and validate an ablation study file (YAML).

A study names its family, default factor levels, an outcome measure, its variants and its
hypotheses. Each variant is a counterfactual pair of conditions ``a`` and ``b`` that differ in
exactly one factor; the variant's effect is ``outcome(a) - outcome(b)``, and study authors order
``a`` and ``b`` so that a positive effect is the behaviour under study. Each hypothesis predicts,
for every variant, the sign of its effect: ``+`` (effect > margin), ``0`` (|effect| <= margin),
``-`` (effect < -margin) or ``?`` (no prediction). The predictions are derived from what the
variant's levels change, and a study lists only those it overrides
(:mod:`beyond_episode.ablations.hypotheses`). Every problem is a one-line :class:`BepError`
naming the file, the line and the field.

The outcome must be one the family declares in its ``family.yaml`` (its type and trials are
taken from there, and a study that states them must agree). Numbers must make sense for it:
``margin`` in [0, 1) for a proportion or binary outcome and positive for a mean, ``min_effect``
above ``margin`` (and at most 1 for a proportion or binary outcome), ``alpha`` in (0, 0.5], and
``epochs``, ``quick_epochs`` and ``items`` integers in [1, 100000] with ``quick_epochs <= epochs``.

``family:`` is a shipped family's name or a path to a family folder; a relative path resolves
against the folder of the study file. ``Study.family_path`` is the folder it was checked against.

This module holds the study's types and finds and caches study files; the parsing is
:mod:`~beyond_episode.ablations.study_parse`, the fields and numbers
:mod:`~beyond_episode.ablations.study_fields`.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from beyond_episode.ablations.hypotheses import (
    KINDS,
    SIGNS,
    Hypothesis,
    Kind,
    Prediction,
    Sign,
)
from beyond_episode.errors import BepError
from beyond_episode.paths import ablations_dir
from beyond_episode.prompts.family import OutcomeType, folder_digest, is_path_ref
from beyond_episode.yamlio import LineMap, load_yaml

__all__ = [
    "KINDS", "SIGNS", "Condition", "Hypothesis", "Kind", "Outcome", "Prediction", "Sign", "Study",
    "Variant", "load_study", "study_names", "study_path",
]
ROLES: tuple[str, str] = ("a", "b")
MAX_COUNT = 100_000
"""The largest ``epochs``, ``quick_epochs``, ``items`` or ``trials`` a study may ask for."""
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Outcome:
    """The measure the effects use: a key of the task's score value."""

    name: str
    type: OutcomeType
    label: str
    trials: int = 1
    """For ``proportion`` outcomes, the number of 0/1 trials per sample (e.g. 10 questions)."""
    direction: int | None = None
    """+1 if the family's behaviour raises the outcome, -1 if it lowers it (``None``: not stated)."""
    direction_from: str = ""
    """The outcome whose direction predictions are read with, when this one states none (else empty)."""


@dataclass(frozen=True)
class Condition:
    """One side of a pair: a fully resolved set of factor levels."""

    variant: str
    role: str
    levels: Mapping[str, str]

    @property
    def id(self) -> str:
        return f"{self.variant}.{self.role}"


@dataclass(frozen=True)
class Variant:
    """A counterfactual pair of conditions differing in exactly one factor."""

    id: str
    number: int
    description: str
    factor: str
    a: Condition
    b: Condition

    @property
    def conditions(self) -> tuple[Condition, Condition]:
        return (self.a, self.b)


@dataclass(frozen=True)
class Study:
    """A validated ablation study."""

    id: str
    description: str
    family: str
    """The family's name (the ``name`` in its ``family.yaml``)."""
    path: Path
    outcome: Outcome
    margin: float
    alpha: float
    epochs: int
    quick_epochs: int
    items: int
    min_effect: float
    variants: Mapping[str, Variant]
    hypotheses: Mapping[str, Hypothesis]
    family_path: Path
    """The folder of the family this study was validated against (absolute). Load the family
    with ``load_family(study.family_path)`` to use exactly that folder, never a shipped one of
    the same name."""
    subjects: tuple[str, ...] = ()
    """The reference-subject profiles a run without ``--model`` uses (empty: every shipped
    profile): the profiles the study is designed to tell apart."""
    design: str = "sequential"
    """``sequential`` (a run on the study's own epochs stops each variant once its verdicts are
    settled) or ``fixed`` (every epoch runs: the study asks more than its verdicts, e.g. a trend
    of incoherence against episode length, which the stopping rule does not know)."""

    def conditions(self, variants: list[str] | None = None) -> list[Condition]:
        """Every condition of the chosen variants (all by default), ``a`` before ``b``."""
        chosen = self.select(variants)
        return [c for v in chosen for c in v.conditions]

    def select(self, variants: list[str] | None = None) -> list[Variant]:
        """The named variants, in study order; an unknown id is an error."""
        if not variants:
            return list(self.variants.values())
        for vid in variants:
            if vid not in self.variants:
                raise BepError(
                    f"study '{self.id}' has no variant '{vid}' (variants: {', '.join(self.variants)})"
                )
        return [v for v in self.variants.values() if v.id in variants]


def study_names() -> list[str]:
    """Names of the shipped studies (the shared hypotheses live in ``shared/``, not a study)."""
    return sorted(p.stem for p in ablations_dir().glob("*.yaml"))


def study_path(name_or_path: str | Path) -> Path:
    """The file of a shipped study name, or the given path (never a shipped study of the same id).

    A :class:`~pathlib.Path`, or a string ending in ``.yaml``/``.yml`` or holding a path
    separator, is a file; any other string is the name of a shipped study.
    """
    if is_path_ref(name_or_path):
        candidate = Path(name_or_path).expanduser()
        if candidate.is_dir():
            raise BepError(f"study file '{candidate}' is a folder, not a study file")
        if not candidate.is_file():
            raise BepError(f"study file '{candidate}' not found")
        return candidate
    shipped = ablations_dir() / f"{name_or_path}.yaml"
    if ID_PATTERN.match(str(name_or_path)) and shipped.is_file():
        return shipped
    raise BepError(f"unknown study '{name_or_path}' (shipped studies: {', '.join(study_names())})")


_CACHE: OrderedDict[str, tuple[str, str, Study]] = OrderedDict()
_CACHE_SIZE = 64


def load_study(name_or_path: str | Path) -> Study:
    """Load and validate a study by shipped name or path.

    The result is cached by a digest of the study file's bytes and of its family folder's files,
    so a study or family edited in a long-lived process is read and checked again.
    """
    path = study_path(name_or_path)
    key = str(path.resolve())
    try:
        stamp = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as err:
        raise BepError(f"{path}: cannot read file ({err.strerror or err})") from None
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == stamp and folder_digest(hit[2].family_path) == hit[1]:
        _CACHE.move_to_end(key)
        return hit[2]
    study = _read_study(Path(key))
    _CACHE[key] = (stamp, folder_digest(study.family_path), study)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return study


def _read_study(path: Path) -> Study:
    spec = load_yaml(path)
    if not isinstance(spec, LineMap):
        raise BepError(f"{path}: a study file must be a mapping")
    # the parser builds this module's types, so it is imported when first needed
    from beyond_episode.ablations.study_parse import parse_study

    return parse_study(spec, path)
