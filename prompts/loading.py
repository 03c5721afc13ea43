"""Find, load and validate a family's ``family.yaml``.

``load_family`` takes a shipped family's name or a folder path. The spec declares the family's
templates, files, factors and levels (:mod:`beyond_episode.prompts.rendering`), its outcomes
(every key of the score value its scorer emits, with its type ``proportion``, ``binary`` or
``mean`` and, for a proportion, its number of 0/1 trials per sample; a study may only use a
declared outcome) and what its task needs: tools, limits and item bank
(:mod:`beyond_episode.prompts.task_spec`). Every problem is a one-line :class:`BepError`
naming the file, its line and the key.

A loaded family holds the text of its templates as read at load time. Loaded families are cached
by a digest of the folder's files, so an edited family is read again by the next ``load_family``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError
from beyond_episode.paths import prompts_dir
from beyond_episode.prompts.meaning import (
    check_family,
    parse_behaviour,
    parse_changes,
    parse_direction,
)
from beyond_episode.prompts.rendering import (
    MAX_TRIALS,
    OUTCOME_TYPES,
    TEMPLATE_ROLES,
    DeclaredOutcome,
    Factor,
    Family,
    Level,
)
from beyond_episode.prompts.task_spec import TASK_KEYS, parse_task_spec
from beyond_episode.yamlio import LineMap, load_yaml, read_text, where

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def family_names() -> list[str]:
    """Names of the shipped families."""
    return sorted(p.parent.name for p in prompts_dir().glob("*/family.yaml"))


def folder_digest(folder: Path) -> str:
    """A SHA-256 of the names and bytes of every file in a family folder (hidden files aside).

    It is the key of the cache of loaded families: any edit, even one that keeps a file's size
    and lands within the file system's timestamp resolution, gives a new key.
    """
    digest = hashlib.sha256()
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for name in sorted(n for n in names if not n.startswith(".")):
            file = Path(root, name)
            try:
                data = file.read_bytes()
            except OSError:
                continue
            digest.update(file.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def is_path_ref(value: str | Path) -> bool:
    """Whether a family or study reference is a path rather than a shipped name."""
    if isinstance(value, Path):
        return True
    return (
        "/" in value
        or os.sep in value
        or (os.altsep is not None and os.altsep in value)
        or value.startswith((".", "~"))
        or value.endswith((".yaml", ".yml"))
    )


def family_folder(name_or_path: str | Path) -> Path:
    """The folder of a family: a shipped family's name, or a folder (or its ``family.yaml``).

    A :class:`~pathlib.Path`, or a string with a path separator (or starting with ``.``), is
    always a folder, never a shipped family of the same name. A bare name is a shipped family;
    if no shipped family has that name, a folder of that name in the working directory is used.
    """
    if is_path_ref(name_or_path):
        candidate = Path(name_or_path).expanduser()
        if candidate.name == "family.yaml":
            candidate = candidate.parent
        if not candidate.exists():
            raise BepError(f"family folder '{name_or_path}' not found")
        if not (candidate / "family.yaml").is_file():
            raise BepError(f"{candidate}: not a family folder (it has no family.yaml)")
        return candidate.resolve()
    name = str(name_or_path)
    shipped = prompts_dir() / name
    if _NAME.match(name) and (shipped / "family.yaml").is_file():
        return shipped.resolve()
    local = Path(name)
    if (local / "family.yaml").is_file():
        return local.resolve()
    raise BepError(f"unknown family '{name}' (shipped families: {', '.join(family_names())})")


_CACHE: OrderedDict[str, tuple[str, Family]] = OrderedDict()
_CACHE_SIZE = 64


def load_family(name_or_path: str | Path) -> Family:
    """Load a family by shipped name, or from a folder (or its ``family.yaml``); see :func:`family_folder`.

    The result is cached by a digest of the folder's files (:func:`folder_digest`): a family
    edited in a long-lived process is read again.
    """
    folder = family_folder(name_or_path)
    key, stamp = str(folder), folder_digest(folder)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == stamp:
        _CACHE.move_to_end(key)
        return hit[1]
    family = _read_family(folder)
    _CACHE[key] = (stamp, family)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return family


def _read_family(folder: Path) -> Family:
    spec_path = folder / "family.yaml"
    spec = load_yaml(spec_path)
    if not isinstance(spec, LineMap):
        raise BepError(f"{spec_path}: a family spec must be a mapping")
    return _parse_family(spec, spec_path)


def _require(spec: Mapping[str, Any], key: str, kind: type, path: Path) -> Any:
    if key not in spec:
        raise BepError(f"{where(path, spec)}: missing field '{key}'")
    value = spec[key]
    if not isinstance(value, kind):
        raise BepError(f"{where(path, spec, key)}: field '{key}' must be a {kind.__name__}")
    return value


def _parse_family(spec: LineMap, path: Path) -> Family:
    known = {
        "name", "description", "templates", "files", "factors", "preview", "calls_per_sample",
        "outcomes", "behaviour", *TASK_KEYS,
    }
    for key in spec:
        if key not in known:
            raise BepError(f"{where(path, spec, key)}: unknown field '{key}' in family spec")
    name = _require(spec, "name", str, path)
    if name != path.parent.name:
        raise BepError(
            f"{where(path, spec, 'name')}: family name '{name}' must match its folder '{path.parent.name}'"
        )
    templates = _require(spec, "templates", dict, path)
    for role, file in templates.items():
        if role not in TEMPLATE_ROLES:
            raise BepError(
                f"{where(path, templates, role)}: unknown template role '{role}' "
                f"(roles: {', '.join(TEMPLATE_ROLES)})"
            )
        _check_template(path, templates, role, file)
    for role in ("system", "user"):
        if role not in templates:
            raise BepError(f"{where(path, templates)}: templates must include '{role}'")
    files = spec.get("files") or {}
    if not isinstance(files, dict):
        raise BepError(f"{where(path, spec, 'files')}: field 'files' must be a mapping of file name: template")
    repeated: dict[str, str] = {}
    for file_name, file in list(files.items()):
        if isinstance(file, dict):
            files[file_name], repeated[str(file_name)] = _repeated_file(path, files, file_name, file)
        _check_template(path, files, file_name, files[file_name])
    sources = {name: read_text(path.parent / name) for name in [*templates.values(), *files.values()]}
    for included in sorted(path.parent.rglob("*.j2")):  # templates they include, too
        sources.setdefault(included.relative_to(path.parent).as_posix(), read_text(included))
    factors_spec = _require(spec, "factors", dict, path)
    factors: dict[str, Factor] = {}
    defaults: dict[str, str] = {}
    for factor_name, factor_spec in factors_spec.items():
        loc = where(path, factors_spec, factor_name)
        if not _NAME.match(str(factor_name)):
            raise BepError(f"{loc}: factor name '{factor_name}' must be snake_case")
        if not isinstance(factor_spec, dict) or not isinstance(factor_spec.get("levels"), dict):
            raise BepError(f"{loc}: factor '{factor_name}' needs a mapping of 'levels'")
        levels: dict[str, Level] = {}
        for level_name, level_spec in factor_spec["levels"].items():
            lloc = where(path, factor_spec["levels"], level_name)
            level_spec = level_spec or {}
            if not isinstance(level_spec, dict):
                raise BepError(f"{lloc}: level '{level_name}' must be a mapping")
            extra = set(level_spec) - {"description", "vars", "changes"}
            if extra:
                raise BepError(f"{lloc}: unknown field '{sorted(extra)[0]}' in level '{level_name}'")
            vars_ = level_spec.get("vars") or {}
            if not isinstance(vars_, dict):
                raise BepError(f"{lloc}: 'vars' of level '{level_name}' must be a mapping")
            changes = (
                parse_changes(level_spec["changes"], path, level_spec, str(level_name))
                if "changes" in level_spec
                else None
            )
            levels[str(level_name)] = Level(
                str(level_name), str(level_spec.get("description", "")), dict(vars_), changes
            )
        if not levels:
            raise BepError(f"{loc}: factor '{factor_name}' has no levels")
        default = factor_spec.get("default", next(iter(levels)))
        if str(default) not in levels:
            raise BepError(
                f"{where(path, factor_spec, 'default')}: default '{default}' is not a level of '{factor_name}'"
            )
        defaults[str(factor_name)] = str(default)
        factors[str(factor_name)] = Factor(
            str(factor_name), str(factor_spec.get("description", "")), levels
        )
    behaviour = parse_behaviour(spec, path)
    check_family(
        {f: {n: lv.changes for n, lv in factor.levels.items()} for f, factor in factors.items()},
        behaviour, path, spec,
    )
    preview = spec.get("preview") or {}
    if not isinstance(preview, dict):
        raise BepError(f"{where(path, spec, 'preview')}: field 'preview' must be a mapping of template variables")
    outcomes = _parse_outcomes(spec, path)
    calls = spec.get("calls_per_sample", 5)
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
        raise BepError(f"{where(path, spec, 'calls_per_sample')}: 'calls_per_sample' must be a positive integer")
    return Family(
        name=name,
        description=str(spec.get("description", "")),
        path=path.parent,
        factors=factors,
        defaults=defaults,
        templates={str(k): str(v) for k, v in templates.items()},
        files={str(k): str(v) for k, v in files.items()},
        preview=dict(preview),
        calls_per_sample=calls,
        outcomes=outcomes,
        sources=sources,
        behaviour=behaviour,
        repeated=repeated,
        task=parse_task_spec(spec, path),
    )


def _repeated_file(path: Path, files: Any, file_name: Any, spec: Mapping[str, Any]) -> tuple[str, str]:
    """A repeated file's ``{template: FILE, count: VARIABLE}``: its template and count variable."""
    loc = where(path, files, file_name)
    extra = set(spec) - {"template", "count"}
    if extra:
        raise BepError(f"{loc}: unknown field '{sorted(extra)[0]}' in file '{file_name}' (fields: template, count)")
    if "{i}" not in str(file_name):
        raise BepError(f"{loc}: a repeated file's name must contain '{{i}}' (its number), e.g. notes/note_{{i}}.txt")
    count = spec.get("count")
    if not isinstance(count, str) or not _NAME.match(count):
        raise BepError(f"{loc}: 'count' of file '{file_name}' must name a template variable (snake_case)")
    return spec.get("template"), count  # type: ignore[return-value]  # checked by _check_template


def _check_template(path: Path, node: Any, key: Any, file: Any) -> None:
    """A template named in the spec: a UTF-8 file inside the family folder."""
    loc = where(path, node, key)
    if not isinstance(file, str) or not file:
        raise BepError(f"{loc}: template '{key}' must be a file name")
    target = path.parent / file
    if Path(file).is_absolute() or ".." in Path(file).parts:
        raise BepError(f"{loc}: template file '{file}' must be inside the family folder")
    if not target.is_file():
        raise BepError(f"{loc}: template file '{file}' not found")


def _parse_outcomes(spec: LineMap, path: Path) -> dict[str, DeclaredOutcome]:
    """The ``outcomes`` a family declares: ``name: {type, trials, description}``."""
    node = _require(spec, "outcomes", dict, path)
    if not node:
        raise BepError(f"{where(path, spec, 'outcomes')}: a family must declare at least one outcome")
    outcomes: dict[str, DeclaredOutcome] = {}
    for name, ospec in node.items():
        loc = where(path, node, name)
        if not _NAME.match(str(name)):
            raise BepError(f"{loc}: outcome name '{name}' must be snake_case")
        if not isinstance(ospec, dict):
            raise BepError(f"{loc}: outcome '{name}' must be a mapping with 'type'")
        extra = set(ospec) - {"type", "trials", "description", "behaviour"}
        if extra:
            raise BepError(f"{where(path, ospec, sorted(extra)[0])}: unknown field '{sorted(extra)[0]}' in outcome '{name}'")
        otype = ospec.get("type")
        if otype not in OUTCOME_TYPES:
            raise BepError(
                f"{where(path, ospec, 'type')}: outcome '{name}' needs type one of {', '.join(OUTCOME_TYPES)}"
            )
        trials = ospec.get("trials")
        if otype == "proportion":
            if isinstance(trials, bool) or not isinstance(trials, int) or not 1 <= trials <= MAX_TRIALS:
                raise BepError(
                    f"{where(path, ospec, 'trials')}: proportion outcome '{name}' needs 'trials', "
                    f"an integer in [1, {MAX_TRIALS}]"
                )
        elif trials is not None:
            raise BepError(f"{where(path, ospec, 'trials')}: 'trials' applies only to proportion outcomes")
        outcomes[str(name)] = DeclaredOutcome(
            str(name), otype, trials, " ".join(str(ospec.get("description", "")).split()),
            parse_direction(ospec, path, str(name)) if isinstance(ospec, LineMap) else None,
        )
    return outcomes


def validate_family(family: Family) -> None:
    """Render every level of every factor (others at their defaults) to catch missing variables."""
    family.render(family.defaults)
    for factor in family.factors.values():
        for level in factor.levels:
            family.render({**family.defaults, factor.name: level})
