"""The simulated working directory: path handling and its tools' errors."""

import pytest
from inspect_ai.tool import ToolError

from beyond_episode.tasks.environment.filesystem import normalize


@pytest.mark.parametrize("path,expected", [("a.txt", "a.txt"), ("./a.txt", "a.txt"), ("/home/agent/a.txt", "a.txt"), ("dir/../a.txt", None)])
def test_normalize(path, expected):
    if expected is None:
        with pytest.raises(ToolError):
            normalize(path)
    else:
        assert normalize(path) == expected


@pytest.mark.parametrize("path", ["/etc/passwd", "../secret", "", "."])
def test_paths_outside_or_empty_are_tool_errors(path):
    with pytest.raises(ToolError):
        normalize(path)
