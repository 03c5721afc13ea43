"""The judge: the model bound to the ``grader`` role (``--model-role grader=...``), when there is one.

Every classifier that asks the judge goes through :func:`judge_label`: one prompt, one word back,
one of a fixed set of labels. A judge that fails or answers outside the labels raises
:class:`GraderError`: a grader failure is an error, never a "no".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from inspect_ai.model import Model, get_model, model_roles

L = TypeVar("L", bound=str)


class GraderError(RuntimeError):
    """The judge model failed to give a valid label."""


def grader_model() -> Model | None:
    """The model bound to the ``grader`` role, if any."""
    return get_model(role="grader") if "grader" in model_roles() else None


async def judge_label(prompt: str, labels: Mapping[str, L]) -> L:
    """The bound grader's label: the first word of its answer to ``prompt`` (case and trailing
    punctuation ignored), which must be a key of ``labels`` (upper case)."""
    judge = grader_model()
    if judge is None:
        raise GraderError("no model is bound to the grader role")
    output = await judge.generate(prompt)
    completion = output.completion.strip()
    word = completion.split()[0].strip(".,!:").upper() if completion else ""
    if word not in labels:
        raise GraderError(f"grader gave no valid label: {output.completion[:80]!r}")
    return labels[word]
