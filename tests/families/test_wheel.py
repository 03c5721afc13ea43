"""The built wheel: it holds every family (a new one too, with no list to edit), the build gives
no setuptools deprecation warnings, and a family runs from it in a fresh virtual environment.

Offline: the wheel is built with the installed setuptools (``--no-build-isolation``, it needs
setuptools >= 77), and the fresh environment reuses this one's installed dependencies.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log

from tests.families.copied_family import copy_family, write_study

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("beyond_episode", "prompts", "ablations", "tasks", "subjects", "analysis", "methodology", "pyproject.toml", "setup.py", "README.md", "LICENSE")
NAME = "copied_sandbagging"
SKIP = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "*.pyc")


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A fresh virtual environment with the wheel installed; returns it, the work folder and
    the build's output."""
    import setuptools

    if tuple(int(p) for p in setuptools.__version__.split(".")[:2]) < (77, 0):
        pytest.skip(f"building the wheel offline needs setuptools >= 77 (installed: {setuptools.__version__})")
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    for name in SOURCES:
        (shutil.copytree(ROOT / name, src / name, ignore=SKIP) if (ROOT / name).is_dir() else shutil.copy2(ROOT / name, src / name))
    copy_family(NAME, src / "prompts", src / "tasks")
    build = _run(sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "--no-index", "-w", work / "dist", src, cwd=work)
    env = work / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", env, cwd=work)
    python = env / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).stdout.strip())
    (site / "reuse_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    [wheel] = (work / "dist").glob("beyond_episode-*.whl")
    _run(python, "-m", "pip", "install", "--no-deps", "--no-index", wheel, cwd=work)
    return env, work, build.stdout + build.stderr


def test_the_wheel_holds_every_family_and_builds_without_warnings(venv: tuple[Path, Path, str]) -> None:
    env, work, output = venv
    assert "Successfully built beyond-episode" in output
    assert "deprecat" not in output.lower() and "absent from the `packages`" not in output
    [wheel] = (work / "dist").glob("beyond_episode-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for family in ("sandbagging_qa", "shutdown", "goal_guarding", "oversight", NAME):
        assert f"beyond_episode/tasks/{family}/task.py" in names
        assert f"beyond_episode/prompts/{family}/family.yaml" in names
    assert "beyond_episode/tasks/sandbagging_qa/banks/physics.jsonl" in names
    assert "beyond_episode/subjects/profiles/honest.yaml" in names


def test_a_family_runs_from_the_installed_wheel(venv: tuple[Path, Path, str]) -> None:
    env, work, _ = venv
    python = env / "bin" / "python"
    where = _run(python, "-c", "import beyond_episode.tasks as t; print(t.__file__)", cwd=work).stdout.strip()
    assert where.startswith(str(env)), where
    study = write_study(work / "copied_study.yaml", NAME, NAME)
    task_file = Path(where).parent / NAME / "task.py"
    runs = {
        "sandbagging_qa": ["beyond_episode/sandbagging_qa"],
        NAME: [f"{task_file}@{NAME}", "-T", f"study={study}"],
    }
    for label, target in runs.items():
        logs = work / f"logs_{label}"
        _run(python, "-m", "inspect_ai", "eval", *target, "--model", "subject/honest", "--limit", "2",
             "--log-dir", logs, "--display", "none", cwd=work)
        [path] = logs.glob("*.eval")
        log = read_eval_log(str(path))
        assert log.status == "success" and len(log.samples or []) == 2, (label, log.error)
        assert all("exclusion" not in (next(iter(s.scores.values())).metadata or {}) for s in log.samples or [])  # type: ignore[union-attr]
