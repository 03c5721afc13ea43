"""Chat Completions requests and responses as Inspect messages, tools and outputs.

The subject server speaks the OpenAI Chat Completions format; the subjects' policies speak
Inspect's. A malformed request raises :class:`RequestError`, which the server answers with an
OpenAI-style error body and its HTTP status.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageTool,
    ChatMessageUser,
    ModelOutput,
)
from inspect_ai.tool import ToolCall, ToolInfo, ToolParams


class RequestError(Exception):
    """A bad request: answered with an OpenAI-style error body and an HTTP status."""

    def __init__(self, status: int, message: str, code: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def _text(content: Any) -> str:
    """The text of an OpenAI message content (a string or a list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    raise RequestError(400, "message content must be a string or a list of parts")


def _arguments(raw: Any) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except (TypeError, json.JSONDecodeError):
        raise RequestError(400, "tool call arguments must be a JSON object") from None
    if not isinstance(value, dict):
        raise RequestError(400, "tool call arguments must be a JSON object")
    return value


def messages_from_openai(messages: Any) -> list[ChatMessage]:
    """Chat Completions messages as Inspect chat messages."""
    if not isinstance(messages, list) or not messages:
        raise RequestError(400, "'messages' must be a non-empty list")
    out: list[ChatMessage] = []
    functions: dict[str, str] = {}
    for message in messages:
        if not isinstance(message, Mapping):
            raise RequestError(400, "every message must be an object")
        role = message.get("role")
        text = _text(message.get("content"))
        if role in ("system", "developer"):
            out.append(ChatMessageSystem(content=text))
        elif role == "user":
            out.append(ChatMessageUser(content=text))
        elif role == "assistant":
            calls = []
            for call in message.get("tool_calls") or []:
                function = call.get("function") or {}
                name = str(function.get("name", ""))
                call_id = str(call.get("id") or f"call_{len(functions) + 1}")
                functions[call_id] = name
                calls.append(ToolCall(id=call_id, function=name, arguments=_arguments(function.get("arguments"))))
            out.append(ChatMessageAssistant(content=text, tool_calls=calls or None))
        elif role == "tool":
            call_id = str(message.get("tool_call_id", ""))
            out.append(ChatMessageTool(content=text, tool_call_id=call_id, function=functions.get(call_id)))
        else:
            raise RequestError(400, f"unsupported message role {role!r}")
    return out


def tools_from_openai(tools: Any) -> list[ToolInfo]:
    """Chat Completions function tools as Inspect tool definitions."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise RequestError(400, "'tools' must be a list")
    out = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(function, Mapping) or not function.get("name"):
            raise RequestError(400, "every tool must be a function with a name")
        try:
            params = ToolParams.model_validate(function.get("parameters") or {})
        except Exception:  # a schema Inspect cannot express: the subject needs only the names
            params = ToolParams()
        out.append(ToolInfo(name=str(function["name"]), description=str(function.get("description") or ""), parameters=params))
    return out


def completion_to_openai(output: ModelOutput, model: str) -> dict[str, Any]:
    """An Inspect model output as a Chat Completions response."""
    message = output.message
    calls = [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.function, "arguments": json.dumps(call.arguments)},
        }
        for call in message.tool_calls or []
    ]
    body: dict[str, Any] = {"role": "assistant", "content": message.text or (None if calls else "")}
    if calls:
        body["tool_calls"] = calls
    usage = output.usage
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": body, "finish_reason": "tool_calls" if calls else "stop", "logprobs": None}],
        "usage": {
            "prompt_tokens": usage.input_tokens if usage else 0,
            "completion_tokens": usage.output_tokens if usage else 0,
            "total_tokens": usage.total_tokens if usage else 0,
        },
    }


def completion_chunk(completion: dict[str, Any]) -> dict[str, Any]:
    """The whole completion as one streamed chunk (for clients that ask for ``stream``)."""
    choice = completion["choices"][0]
    delta = dict(choice["message"])
    if "tool_calls" in delta:
        delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(delta["tool_calls"])]
    return {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": completion["created"],
        "model": completion["model"],
        "choices": [{"index": 0, "delta": delta, "finish_reason": choice["finish_reason"]}],
        "usage": completion["usage"],
    }
