"""The options of a run, as one typed value: what ``bep run`` parses and the library takes.

Every check of a user's value lives here and raises a one-line :class:`BepError` that names the
argument: counts must be positive, ``alpha`` must lie in (0, 0.5], a model needs a known provider.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beyond_episode.errors import BepError

SUBJECT_PREFIX = "subject/"

# Options handed to Inspect's eval_set unchanged when they are set.
EVAL_OPTIONS = (
    "max_connections", "max_samples", "max_tasks", "temperature", "max_tokens", "seed",
    "retry_attempts", "retry_on_error", "max_retries", "timeout", "message_limit",
    "token_limit", "time_limit", "model_cost_config", "display",
)


@dataclass(frozen=True)
class RunOptions:
    """Everything a run needs; the command line only fills this in."""

    studies: tuple[str, ...]
    models: tuple[str, ...] = ()
    """Inspect model names; empty means the reference subjects each study names (every shipped one where it names none)."""
    epochs: int | None = None
    full: bool = False
    items: int | None = None
    variants: tuple[str, ...] = ()
    limit: int | None = None
    log_dir: Path | None = None
    out: Path | None = None
    no_report: bool = False
    alpha: float | None = None
    jobs: int = 1
    sequential: bool = False
    """Run in looks and stop each variant once its verdicts are settled (``analysis/sequential.py``)."""
    looks: tuple[int, ...] = ()
    """Epochs of the looks; empty: doubling from 1 up to the run's epochs."""
    fixed: bool = False
    """Run every epoch of every variant (the studies' own epochs are sequential by default)."""
    # passed to Inspect
    max_connections: int | None = None
    max_samples: int | None = None
    max_tasks: int | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    retry_attempts: int | None = None
    """Eval-set attempts at a task whose log failed (Inspect's ``retry_attempts``)."""
    retry_on_error: int | None = None
    """Retries of an errored sample within one attempt (Inspect's ``retry_on_error``)."""
    fail_on_error: float | None = None
    """None: a log with any errored sample fails, so the next run retries those samples."""
    max_retries: int | None = None
    timeout: int | None = None
    message_limit: int | None = None
    token_limit: int | None = None
    time_limit: int | None = None
    batch: int | bool | None = None
    cache: str | bool | None = None
    """``True`` caches model generations with Inspect's default expiry, or an expiry like ``1W``."""
    model_cost_config: str | None = None
    display: str | None = None
    model_roles: Mapping[str, str] = field(default_factory=dict)
    model_args: Mapping[str, Any] = field(default_factory=dict)
    model_base_url: str | None = None
    # dry run
    pilot: tuple[Path, ...] = ()
    price: tuple[float, float] | None = None

    def check(self) -> None:
        """Raise a one-line error for the first value out of range."""
        for name in ("epochs", "items", "limit", "jobs", "max_connections", "max_samples",
                     "max_tasks", "max_tokens", "message_limit", "token_limit", "time_limit",
                     "timeout"):
            positive(name, getattr(self, name))
        for name in ("retry_attempts", "retry_on_error", "max_retries"):
            non_negative(name, getattr(self, name))
        if self.fixed and self.sequential:
            raise BepError("--fixed and --sequential exclude each other")
        if self.fixed and self.epochs is not None:
            raise BepError("--fixed applies to the studies' own epochs (a run with --epochs is fixed unless --sequential)")
        if self.looks and not self.is_sequential:
            raise BepError("--looks needs --sequential (a run with --epochs is fixed unless --sequential)")
        for look in self.looks:
            positive("looks", look)
        if any(b <= a for a, b in zip(self.looks, self.looks[1:], strict=False)):
            raise BepError(f"--looks must be strictly increasing epochs, got {','.join(map(str, self.looks))}")
        if self.looks and self.epochs is not None and self.looks[-1] != self.epochs:
            raise BepError(f"--looks must end at --epochs ({self.epochs}), got {','.join(map(str, self.looks))}")
        if self.alpha is not None and not (0 < self.alpha <= 0.5):
            raise BepError(f"--alpha must lie in (0, 0.5], got {self.alpha:g}")
        if self.fail_on_error is not None and not (self.fail_on_error >= 0 and math.isfinite(self.fail_on_error)):
            raise BepError(f"--fail-on-error must be a proportion in [0, 1] or a count, got {self.fail_on_error:g}")
        if self.temperature is not None and not (0 <= self.temperature <= 2):
            raise BepError(f"--temperature must lie in [0, 2], got {self.temperature:g}")
        if isinstance(self.batch, int) and not isinstance(self.batch, bool) and self.batch < 1:
            raise BepError(f"--batch must be a positive batch size, got {self.batch}")
        if self.price is not None and (min(self.price) < 0 or not all(map(math.isfinite, self.price))):
            raise BepError(f"--price must be two non-negative numbers, got {self.price}")
        for model in self.models:
            check_model_name(model, "--model")
        for role, model in self.model_roles.items():
            check_model_name(model, f"--model-role {role}")

    @property
    def is_sequential(self) -> bool:
        """Sequential when asked for, and by default on the studies' own epochs (``quick_epochs``,
        or ``epochs`` with ``full``) unless ``fixed``; a run with ``--epochs N`` is fixed."""
        return self.sequential or (self.epochs is None and not self.fixed)

    @property
    def model_names(self) -> list[str]:
        """The models to run: those given, or every shipped reference subject."""
        if self.models:
            return list(self.models)
        from beyond_episode.subjects.profile import profile_names

        return [f"{SUBJECT_PREFIX}{p}" for p in profile_names()]

    def eval_options(self) -> dict[str, Any]:
        """The keyword arguments of Inspect's ``eval_set`` this run sets."""
        options: dict[str, Any] = {k: getattr(self, k) for k in EVAL_OPTIONS if getattr(self, k) is not None}
        if self.fail_on_error is None:
            # Any errored sample fails the log once every sample has run; eval-set then retries
            # the errored samples (keeping the completed ones), now and on the next run.
            options["fail_on_error"] = True
            options["continue_on_fail"] = True
        else:
            options["fail_on_error"] = self.fail_on_error
        if self.batch is not None:
            options["batch"] = self.batch
        if self.cache is not None:
            from inspect_ai.model import CachePolicy

            options["cache"] = self.cache if isinstance(self.cache, bool) else CachePolicy(expiry=self.cache)
        if self.model_roles:
            options["model_roles"] = dict(self.model_roles)
        return options

    def model_kwargs(self) -> dict[str, Any]:
        """Arguments for constructing each model (``-M`` and ``--model-base-url``)."""
        kwargs = dict(self.model_args)
        if self.model_base_url:
            kwargs["base_url"] = self.model_base_url
        return kwargs


MAX_COUNT = 10**7
"""No count of a run (epochs, items, samples, limits) is sensibly larger."""


def positive(name: str, value: int | float | None) -> None:
    if value is not None and (isinstance(value, bool) or value < 1):
        raise BepError(f"--{name.replace('_', '-')} must be a positive integer, got {value}")
    if value is not None and value > MAX_COUNT:
        raise BepError(f"--{name.replace('_', '-')} must be at most {MAX_COUNT:,}, got {value}")


def non_negative(name: str, value: int | None) -> None:
    if value is not None and value < 0:
        raise BepError(f"--{name.replace('_', '-')} must be zero or more, got {value}")
    if value is not None and value > MAX_COUNT:
        raise BepError(f"--{name.replace('_', '-')} must be at most {MAX_COUNT:,}, got {value}")


def check_model_name(model: str, flag: str = "--model") -> None:
    """A model name must be ``<provider>/<name>`` with a provider Inspect knows."""
    provider, _, name = model.partition("/")
    if not name or not provider:
        raise BepError(f"{flag} '{model}' names no provider: use <provider>/<model>, e.g. openai/gpt-4o")
    if provider not in model_providers():
        raise BepError(f"{flag} '{model}': unknown model provider '{provider}'")


def model_providers() -> set[str]:
    """Names of the model providers Inspect has registered (its own, the suite's, plugins')."""
    import inspect_ai.model._providers.providers  # noqa: F401  (registers the built-in providers)
    from inspect_ai._util.entrypoints import ensure_entry_points
    from inspect_ai._util.registry import registry_find, registry_unqualified_name

    import beyond_episode._registry  # noqa: F401  (registers the subject provider)

    ensure_entry_points()
    return {registry_unqualified_name(info) for info in registry_find(lambda i: i.type == "modelapi")}


def key_values(pairs: Sequence[str], flag: str) -> dict[str, Any]:
    """``KEY=VALUE`` arguments as a dict (values parsed as YAML scalars)."""
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BepError(f"{flag} takes KEY=VALUE, got '{pair}'")
        out[key.strip()] = yaml.safe_load(value)
    return out


TASK_ARG_OPTIONS = {"items": "items", "variant": "variants", "message_limit": "message_limit", "token_limit": "token_limit"}
"""The task arguments ``bep run -T`` takes, and the run option each one sets."""


def task_arg_options(pairs: Sequence[str]) -> dict[str, Any]:
    """``-T KEY=VALUE`` task arguments as run options, read strictly: a value YAML 1.1 would
    coerce (``010`` as 8, ``1:30``, ``0x10``, ``yes``) is a one-line error, as is a task
    argument ``bep run`` does not set this way."""
    from beyond_episode.tasks.environment.task_args import parse_pairs

    out: dict[str, Any] = {}
    for key, value in parse_pairs(pairs).items():
        if key not in TASK_ARG_OPTIONS:
            raise BepError(
                f"-T {key}: bep run sets only the task arguments {', '.join(TASK_ARG_OPTIONS)} "
                "(inspect eval takes the others)"
            )
        if key == "variant":
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) for v in values):
                raise BepError(f"-T variant: must name variant ids, got {value!r}")
            out["variants"] = tuple(s.strip() for v in values for s in v.split(",") if s.strip())
        elif isinstance(value, bool) or not isinstance(value, int):
            raise BepError(f"-T {key}: must be a positive integer, got {value!r}")
        else:
            out[TASK_ARG_OPTIONS[key]] = value
    return out


def parse_price(text: str | None) -> tuple[float, float] | None:
    """``--price IN,OUT`` (USD per million input and output tokens)."""
    if text is None:
        return None
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 2:
        raise BepError(f"--price takes IN,OUT in USD per million tokens (e.g. 2.5,10), got '{text}'")
    return (values[0], values[1])


def parse_looks(text: str) -> list[int]:
    """``--looks 2,4,8``: strictly increasing positive epochs."""
    try:
        looks = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        looks = []
    if not looks or any(e < 1 for e in looks) or any(b <= a for a, b in zip(looks, looks[1:], strict=False)):
        raise BepError(f"--looks takes strictly increasing positive epochs, e.g. 2,4,8 (got '{text}')")
    return looks
