"""Shared test helpers: scripted model outputs that always carry usage (no tokenizer download)."""

from __future__ import annotations

from typing import Any

import pytest
from inspect_ai.model import ModelOutput, ModelUsage


def _with_usage(output: ModelOutput) -> ModelOutput:
    output.usage = ModelUsage(input_tokens=10, output_tokens=5, total_tokens=15)
    return output


def tool_call(name: str, arguments: dict[str, Any], text: str = "", call_id: str | None = None) -> ModelOutput:
    """A scripted assistant turn calling one tool."""
    return _with_usage(
        ModelOutput.for_tool_call("mockllm/model", name, arguments, tool_call_id=call_id, content=text or None)
    )


def reply(text: str) -> ModelOutput:
    """A scripted assistant text answer."""
    return _with_usage(ModelOutput.from_content("mockllm/model", text))


@pytest.fixture
def scripted():
    """Build a mockllm model from scripted outputs."""
    from inspect_ai.model import get_model

    def make(outputs: list[ModelOutput]):
        return get_model("mockllm/model", custom_outputs=outputs, memoize=False)

    return make
