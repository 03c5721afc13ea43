"""Strict task arguments: a ``-T KEY=VALUE`` that YAML 1.1 would silently coerce is an error.

Inspect parses each ``-T`` value with PyYAML (YAML 1.1), so ``-T items=010`` reaches a task as
the octal number 8, ``1:30`` as 90, ``0x10`` as 16 and ``yes`` as ``True``. :func:`strict_value`
reads a raw value the same way but refuses every such YAML-1.1-only reading with a one-line
:class:`BepError` (``-T items=010: ambiguous number (leading zero); write 10``).

``bep run -T`` parses its values with it. A task built by ``inspect eval ... -T`` receives only
the parsed values: Inspect keeps no raw text (a log's ``task_args`` and ``task_args_passed`` both
hold the parsed ones). So :func:`check_raw_task_args` reads the raw ``-T`` texts of the command
line that started the process (``sys.argv``, and ``INSPECT_EVAL_TASK_ARGS``, the environment
variable Inspect's CLI also reads them from) and checks those naming one of the task's
parameters. Values from ``--task-config`` files are not
seen there; write them as plain decimal numbers.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

from beyond_episode.errors import BepError

_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_LEADING_ZERO = re.compile(r"([-+]?)0+([0-9]+)")
_BOOL_WORDS = {"true", "false"}
_ENV_VARS = ("INSPECT_EVAL_TASK_ARGS",)


def ambiguity(text: str, value: Any, *, bool_argument: bool = False) -> str | None:
    """Why YAML 1.1's reading ``value`` of the raw ``text`` is ambiguous, or ``None`` if it is not."""
    if isinstance(value, bool):
        if text.lower() in _BOOL_WORDS or bool_argument:
            return None
        return f"ambiguous value (YAML 1.1 reads it as {str(value).lower()}); quote it, or write true or false"
    if isinstance(value, int):
        if _DECIMAL.fullmatch(text):
            return None
        zero = _LEADING_ZERO.fullmatch(text)
        if zero:
            return f"ambiguous number (leading zero); write {zero.group(1)}{int(zero.group(2))}"
        lowered = text.lower().lstrip("+-")
        kind = (
            "hexadecimal" if lowered.startswith("0x")
            else "binary" if lowered.startswith("0b")
            else "octal" if lowered.startswith("0o")
            else "sexagesimal" if ":" in text
            else "underscores" if "_" in text
            else "not plain decimal"
        )
        return f"ambiguous number ({kind}, YAML 1.1 reads it as {value}); write {value}, or quote it for text"
    if isinstance(value, float):
        if _FLOAT.fullmatch(text):
            return None
        kind = "sexagesimal" if ":" in text else "underscores" if "_" in text else "not plain decimal"
        return f"ambiguous number ({kind}, YAML 1.1 reads it as {value:g}); write {value:g}, or quote it for text"
    return None


def strict_value(key: str, raw: str, *, bool_argument: bool = False) -> Any:
    """The value of ``-T key=raw`` as Inspect reads it, or a one-line error if that reading is
    a YAML-1.1-only coercion (or not YAML at all)."""
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        problem = getattr(err, "problem", None) or type(err).__name__
        raise BepError(f"-T {key}={raw}: not a valid value ({problem})") from None
    reason = ambiguity(raw.strip(), value, bool_argument=bool_argument)
    if reason:
        raise BepError(f"-T {key}={raw}: {reason}")
    return value


def parse_pairs(pairs: Iterable[str]) -> dict[str, Any]:
    """``KEY=VALUE`` texts (``-T`` arguments) as a dict of strict values; ``-`` in a key is ``_``
    and a plain comma-separated value is a list, as Inspect reads them."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise BepError(f"-T takes KEY=VALUE, got '{pair}'")
        value = strict_value(key, raw)
        if isinstance(value, str) and "," in value:
            value = [v for v in value.split(",")]
        out[key] = value
    return out


def raw_task_args(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> list[str]:
    """The raw ``KEY=VALUE`` texts of every ``-T`` on the command line and in Inspect's
    environment variables for them."""
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "-T" and i + 1 < len(args):
            out.append(args[i + 1])
        elif arg.startswith("-T") and len(arg) > 2 and "=" in arg:
            out.append(arg[2:])
    for name in _ENV_VARS:
        if env.get(name):
            out.extend(shlex.split(env[name]))
    return out


def check_raw_task_args(
    parameters: Iterable[str],
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Refuse a raw ``-T`` value of one of ``parameters`` that Inspect has coerced (see module doc)."""
    names = set(parameters)
    for pair in raw_task_args(argv, environ):
        key, sep, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        if sep and key in names:
            strict_value(key, raw)
