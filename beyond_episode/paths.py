"""Where the shipped families, studies and subject profiles live inside the installed package."""

import importlib
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent


def _package_folder(name: str) -> Path:
    module = importlib.import_module(name)
    return Path(str(module.__file__)).resolve().parent


def prompts_dir() -> Path:
    """Folder of the shipped prompt-template families."""
    return _package_folder("beyond_episode.prompts")


def ablations_dir() -> Path:
    """Folder of the shipped ablation studies."""
    return _package_folder("beyond_episode.ablations")


def profiles_dir() -> Path:
    """Folder of the shipped reference-subject profiles."""
    return _package_folder("beyond_episode.subjects") / "profiles"
