"""Where the shipped families, studies and subject profiles live inside the installed package."""

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent


def prompts_dir() -> Path:
    """Folder of the shipped prompt-template families."""
    from beyond_episode import prompts

    return Path(prompts.__file__).resolve().parent


def ablations_dir() -> Path:
    """Folder of the shipped ablation studies."""
    from beyond_episode import ablations

    return Path(ablations.__file__).resolve().parent


def profiles_dir() -> Path:
    """Folder of the shipped reference-subject profiles."""
    from beyond_episode import subjects

    return Path(subjects.__file__).resolve().parent / "profiles"
