"""Imports follow the flow prompts -> ablations -> tasks -> analysis: the analyzer imports no
task and no subject (it knows no model), and the prompt families import no study.

Every module is parsed, so imports inside functions and relative imports count too."""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import beyond_episode.analysis
import beyond_episode.prompts

RULES = {
    "analysis": (beyond_episode.analysis, ("beyond_episode.tasks", "beyond_episode.subjects")),
    "prompts": (beyond_episode.prompts, ("beyond_episode.ablations",)),
}


def _imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) of every import in a module's tree, wherever it is."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".") if is_package else module.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Name, ast.Attribute))
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def violations(folder: Path, package: str, forbidden: tuple[str, ...]) -> list[str]:
    """``file:line imports name`` for every import in ``folder`` (the package ``package``) of
    a module in ``forbidden`` or below it."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        relative = path.relative_to(folder).with_suffix("")
        parts = [p for p in relative.parts if p != "__init__"]
        module = ".".join([package, *parts])
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imported(tree, module, path.name == "__init__.py"):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path}:{line} imports {name}")
    return sorted(set(found))


def _folder(package: object) -> Path:
    return Path(next(iter(package.__path__)))  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(RULES))
def test_imports_follow_the_flow(name: str) -> None:
    package, forbidden = RULES[name]
    found = violations(_folder(package), package.__name__, forbidden)
    assert not found, f"{package.__name__} must not import {' or '.join(forbidden)}:\n" + "\n".join(found)


def test_a_planted_import_against_the_flow_is_named(tmp_path: Path) -> None:
    """A copy of the analyzer with three imports against the flow (absolute, relative, and lazy
    inside a function) and one from the package's parent: each is named with its file and line."""
    copy = tmp_path / "analysis"
    shutil.copytree(_folder(beyond_episode.analysis), copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "planted.py").write_text(
        "from beyond_episode.subjects.profile import load_profile\n"
        "from ..tasks import sandbagging_qa\n"
        "def later():\n"
        "    import beyond_episode.subjects.simulate\n"
        "    from beyond_episode import tasks\n"
    )
    found = violations(copy, "beyond_episode.analysis", RULES["analysis"][1])
    planted = [v for v in found if "planted.py" in v]
    assert planted == [
        f"{copy / 'planted.py'}:1 imports beyond_episode.subjects.profile",
        f"{copy / 'planted.py'}:1 imports beyond_episode.subjects.profile.load_profile",
        f"{copy / 'planted.py'}:2 imports beyond_episode.tasks",
        f"{copy / 'planted.py'}:2 imports beyond_episode.tasks.sandbagging_qa",
        f"{copy / 'planted.py'}:4 imports beyond_episode.subjects.simulate",
        f"{copy / 'planted.py'}:5 imports beyond_episode.tasks",
    ]
    assert found == planted  # the rest of the copy is clean
