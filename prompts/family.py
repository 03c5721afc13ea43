"""Load a family spec (``family.yaml``) and render its templates strictly.

A family is one folder holding ``family.yaml`` and Jinja2 templates. The spec names the
templates by role (``system``, ``user``, ``followup``), the files of the simulated
environment, and the factors: for each factor its levels, and for each level the template
variables it sets. Rendering uses Jinja2's sandboxed environment with ``StrictUndefined``;
a missing variable or an unknown level is a one-line :class:`BepError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from beyond_episode.errors import BepError
from beyond_episode.paths import prompts_dir
from beyond_episode.yamlio import LineMap, load_yaml, where

TEMPLATE_ROLES = ("system", "user", "followup")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Level:
    """One level of a factor and the template variables it sets."""

    name: str
    description: str
    vars: Mapping[str, Any]


@dataclass(frozen=True)
class Factor:
    """A factor of a family: what varies, and its levels."""

    name: str
    description: str
    levels: Mapping[str, Level]


@dataclass(frozen=True)
class Rendered:
    """The exact texts a model sees in one condition."""

    system: str
    user: str
    followup: str
    files: Mapping[str, str] = field(default_factory=dict)

    def as_metadata(self) -> dict[str, str]:
        """Flat, scalar metadata (``prompt_system``, ``prompt_user``, ``file_<name>``, ...)."""
        meta = {
            "prompt_system": self.system,
            "prompt_user": self.user,
            "prompt_followup": self.followup,
        }
        for name, text in self.files.items():
            meta[f"file_{name}"] = text
        return meta

    def sections(self) -> dict[str, str]:
        """Named sections in a stable order, for diffs."""
        out = {"system": self.system, "user": self.user}
        out.update({f"file {name}": text for name, text in self.files.items()})
        out["followup"] = self.followup
        return out


@dataclass(frozen=True)
class Family:
    """A prompt-template family loaded from its folder."""

    name: str
    description: str
    path: Path
    factors: Mapping[str, Factor]
    defaults: Mapping[str, str]
    templates: Mapping[str, str]
    files: Mapping[str, str]
    preview: Mapping[str, Any]
    calls_per_sample: int = 5
    """Estimated model calls per sample (agent turns plus follow-up), for run plans."""

    def resolve(self, levels: Mapping[str, str], *, source: str = "levels") -> dict[str, str]:
        """Complete ``levels`` with the family defaults; unknown factors or levels are errors."""
        for factor, level in levels.items():
            self.check_level(factor, level, source=source)
        return {name: str(levels.get(name, self.defaults[name])) for name in self.factors}

    def check_level(self, factor: str, level: Any, *, source: str = "levels") -> None:
        """Raise a one-line error if ``factor`` or ``level`` is not part of this family."""
        if factor not in self.factors:
            raise BepError(
                f"{source}: family '{self.name}' has no factor '{factor}' "
                f"(factors: {', '.join(self.factors)})"
            )
        if str(level) not in self.factors[factor].levels:
            raise BepError(
                f"{source}: factor '{factor}' of family '{self.name}' has no level '{level}' "
                f"(levels: {', '.join(self.factors[factor].levels)})"
            )

    def variables(self, levels: Mapping[str, str]) -> dict[str, Any]:
        """Template variables of a fully resolved set of levels."""
        values: dict[str, Any] = {"levels": dict(levels)}
        for factor_name, level_name in levels.items():
            values.update(self.factors[factor_name].levels[level_name].vars)
        return values

    def render(
        self, levels: Mapping[str, str], context: Mapping[str, Any] | None = None
    ) -> Rendered:
        """Render every template for ``levels`` (defaults filled in) and per-sample ``context``."""
        resolved = self.resolve(levels)
        values = self.variables(resolved)
        values.update(self.preview if context is None else context)
        texts = {role: self._render(file, values) for role, file in self.templates.items()}
        files = {name: self._render(file, values) for name, file in self.files.items()}
        return Rendered(
            system=texts.get("system", ""),
            user=texts.get("user", ""),
            followup=texts.get("followup", ""),
            files=files,
        )

    def _render(self, template_file: str, values: Mapping[str, Any]) -> str:
        env = _environment(str(self.path))
        try:
            template = env.get_template(template_file)
            return template.render(**values).strip() + "\n"
        except jinja2.UndefinedError as err:
            name = _undefined_name(str(err))
            raise BepError(
                f"family '{self.name}', template {template_file}: undefined variable '{name}'"
            ) from None
        except jinja2.TemplateSyntaxError as err:
            raise BepError(
                f"family '{self.name}', template {template_file}:{err.lineno}: {err.message}"
            ) from None
        except jinja2.TemplateNotFound:
            raise BepError(f"family '{self.name}': template file {template_file} not found") from None


def _undefined_name(message: str) -> str:
    match = re.search(r"'([^']+)' is undefined", message) or re.search(
        r"has no attribute '([^']+)'", message
    )
    return match.group(1) if match else message


@cache
def _environment(folder: str) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def family_names() -> list[str]:
    """Names of the shipped families."""
    return sorted(p.parent.name for p in prompts_dir().glob("*/family.yaml"))


def load_family(name_or_path: str | Path) -> Family:
    """Load a family by shipped name, or from a folder (or its ``family.yaml``)."""
    return _load_family(str(name_or_path))


@lru_cache(maxsize=64)
def _load_family(name_or_path: str) -> Family:
    candidate = Path(name_or_path)
    if candidate.name == "family.yaml":
        candidate = candidate.parent
    if not (candidate / "family.yaml").is_file():
        shipped = prompts_dir() / name_or_path
        if (shipped / "family.yaml").is_file():
            candidate = shipped
        else:
            raise BepError(
                f"unknown family '{name_or_path}' (shipped families: {', '.join(family_names())})"
            )
    spec_path = candidate / "family.yaml"
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
    known = {"name", "description", "templates", "files", "factors", "preview", "calls_per_sample"}
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
        if not (path.parent / str(file)).is_file():
            raise BepError(f"{where(path, templates, role)}: template file '{file}' not found")
    for role in ("system", "user"):
        if role not in templates:
            raise BepError(f"{where(path, templates)}: templates must include '{role}'")
    files = spec.get("files") or {}
    for file_name, file in files.items():
        if not (path.parent / str(file)).is_file():
            raise BepError(f"{where(path, files, file_name)}: template file '{file}' not found")
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
            extra = set(level_spec) - {"description", "vars"}
            if extra:
                raise BepError(f"{lloc}: unknown field '{sorted(extra)[0]}' in level '{level_name}'")
            vars_ = level_spec.get("vars") or {}
            if not isinstance(vars_, dict):
                raise BepError(f"{lloc}: 'vars' of level '{level_name}' must be a mapping")
            levels[str(level_name)] = Level(
                str(level_name), str(level_spec.get("description", "")), dict(vars_)
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
    preview = spec.get("preview") or {}
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
    )


def validate_family(family: Family) -> None:
    """Render every level of every factor (others at their defaults) to catch missing variables."""
    family.render(family.defaults)
    for factor in family.factors.values():
        for level in factor.levels:
            family.render({**family.defaults, factor.name: level})
