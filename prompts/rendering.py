"""A loaded family and how it renders: its factors, levels and outcomes, and strict templates.

A family is one folder holding ``family.yaml`` and Jinja2 templates (read by
:mod:`beyond_episode.prompts.loading`). The spec names the templates by role (``system``,
``user``, ``followup``), the files of the simulated environment, and the factors: for each factor
its levels, and for each level the template variables it sets. A file may be repeated
(``notes/note_{i}.txt: {template: note.j2, count: notes}``): it is rendered once for each ``i``
from 1 to the variable ``notes`` a level sets, so a factor can set the episode's length.
Rendering uses Jinja2's sandboxed environment with ``StrictUndefined``; a missing variable or an
unknown level is a one-line :class:`BepError`, and so is a template the sandbox blocks or one
that fails while rendering. A loaded family renders from the template texts read at load time only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from beyond_episode.errors import BepError
from beyond_episode.prompts.meaning import Behaviour, Meaning, Push, pushes
from beyond_episode.prompts.task_spec import TaskSpec
from beyond_episode.yamlio import short

TEMPLATE_ROLES = ("system", "user", "followup")
OutcomeType = Literal["binary", "proportion", "mean"]
OUTCOME_TYPES: tuple[str, ...] = ("binary", "proportion", "mean")
MAX_TRIALS = 100_000
MAX_COPIES = 100
"""The most copies of a repeated file (``files: {name_{i}: {template, count}}``)."""


@dataclass(frozen=True)
class DeclaredOutcome:
    """An outcome a family's scorer emits: a key of its score value."""

    name: str
    type: OutcomeType
    trials: int | None = None
    """For ``proportion``: the 0/1 trials per sample (e.g. 10 questions); ``None`` otherwise."""
    description: str = ""
    direction: int | None = None
    """+1 if the family's behaviour raises this outcome, -1 if it lowers it, ``None`` if not stated."""


@dataclass(frozen=True)
class Level:
    """One level of a factor and the template variables it sets."""

    name: str
    description: str
    vars: Mapping[str, Any]
    changes: Meaning | None = None
    """What the level changes (:mod:`beyond_episode.prompts.meaning`); ``None`` if its factor does not say."""


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
    outcomes: Mapping[str, DeclaredOutcome] = field(default_factory=dict)
    """The outcomes the family's scorer emits, by name."""
    sources: Mapping[str, str] = field(default_factory=dict, repr=False)
    """The text of every template, by file name, as read when the family was loaded. Rendering
    uses these texts only, so a loaded family never mixes in later edits of its folder."""
    behaviour: Behaviour | None = None
    """The unwanted behaviour its levels' ``changes`` are relative to (``None``: they say nothing)."""
    repeated: Mapping[str, str] = field(default_factory=dict)
    """Files rendered several times: file name (with ``{i}``) -> the template variable holding
    how many (a level's ``vars`` set it; 0: none); each copy sees its number as ``i`` (1, 2, ...)."""
    task: TaskSpec | None = None
    """What the family's task needs (tools, limits, item bank); ``None`` for a prompt-only family."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_env", _environment(self.sources))

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
        if not isinstance(level, (str, int, float)) or isinstance(level, bool):
            raise BepError(
                f"{source}: level of factor '{factor}' must be a level name, got {short(level)}"
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
        self,
        levels: Mapping[str, str],
        context: Mapping[str, Any] | None = None,
        *,
        condition: str | None = None,
    ) -> Rendered:
        """Render every template for ``levels`` (defaults filled in) and per-sample ``context``.

        Any failure while rendering is a one-line :class:`BepError` naming the family, the
        template and ``condition`` (by default the levels that differ from the defaults).
        """
        resolved = self.resolve(levels)
        label = condition or self.describe(resolved)
        values = self.variables(resolved)
        values.update(self.preview if context is None else context)
        texts = {role: self._render(file, values, label) for role, file in self.templates.items()}
        files: dict[str, str] = {}
        for name, file in self.files.items():
            if name not in self.repeated:
                files[name] = self._render(file, values, label)
                continue
            for i in range(1, self._count(name, values, label) + 1):
                files[name.replace("{i}", str(i))] = self._render(file, {**values, "i": i}, label)
        return Rendered(
            system=texts.get("system", ""),
            user=texts.get("user", ""),
            followup=texts.get("followup", ""),
            files=files,
        )

    def _count(self, name: str, values: Mapping[str, Any], condition: str) -> int:
        """How many copies of the repeated file ``name`` to render."""
        variable = self.repeated[name]
        count = values.get(variable)
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COPIES:
            raise BepError(
                f"family '{self.name}', file {name} ({condition}): its count '{variable}' must be an integer "
                f"from 0 to {MAX_COPIES} set by a level's vars (got {count!r})"
            )
        return count

    def pushes(self, levels: Mapping[str, str]) -> dict[str, Push]:
        """Each channel's pressure toward the behaviour in a fully resolved condition."""
        if self.behaviour is None:
            raise BepError(f"family '{self.name}' does not say what its levels change (no 'behaviour')")
        meanings = [m for f, lv in levels.items() if (m := self.factors[f].levels[lv].changes) is not None]
        return pushes(meanings, self.behaviour)

    def describe(self, levels: Mapping[str, str]) -> str:
        """``factor=level`` for each level that differs from the defaults (``default levels`` if none)."""
        changed = [f"{f}={v}" for f, v in levels.items() if self.defaults.get(f) != v]
        return ", ".join(changed) if changed else "default levels"

    def _render(self, template_file: str, values: Mapping[str, Any], condition: str) -> str:
        env: SandboxedEnvironment = self._env  # type: ignore[attr-defined]
        at = f"family '{self.name}', template {template_file} ({condition})"
        try:
            template = env.get_template(template_file)
            return template.render(**values).strip() + "\n"
        except jinja2.UndefinedError as err:
            name = _undefined_name(str(err))
            raise BepError(f"{at}: undefined variable '{name}'") from None
        except jinja2.TemplateSyntaxError as err:
            source = err.name or template_file
            raise BepError(
                f"family '{self.name}', template {source}:{err.lineno} ({condition}): {err.message}"
            ) from None
        except jinja2.TemplateNotFound as err:
            raise BepError(f"{at}: template file {err.name or template_file} not found") from None
        except SecurityError as err:
            raise BepError(f"{at}: blocked by the template sandbox: {err}") from None
        except UnicodeDecodeError as err:
            raise BepError(f"{at}: a template is not UTF-8 text (byte offset {err.start})") from None
        except RecursionError:
            raise BepError(f"{at}: rendering failed: recursion too deep") from None
        except Exception as err:  # noqa: BLE001 - any failure of user template code is bad input
            raise BepError(f"{at}: rendering failed: {type(err).__name__}: {err}") from None


def _undefined_name(message: str) -> str:
    match = re.search(r"'([^']+)' is undefined", message) or re.search(
        r"has no attribute '([^']+)'", message
    )
    return match.group(1) if match else message


def _environment(sources: Mapping[str, str]) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.DictLoader(dict(sources)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
