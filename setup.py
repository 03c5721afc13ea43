"""Package discovery: every folder below the package roots is a package of the wheel.

``pyproject.toml`` maps the top-level folders into the ``beyond_episode`` namespace
(``[tool.setuptools.package-dir]``); setuptools' static ``packages.find`` cannot add that
prefix, so the packages are found here: a new ``tasks/<family>`` or ``prompts/<family>`` folder
is in the wheel without editing any list, and data folders (item banks, templates, profiles)
are namespace packages, so their files ship as package data.
"""

from setuptools import find_namespace_packages, setup

ROOTS = {
    "beyond_episode": "beyond_episode",
    "beyond_episode.prompts": "prompts",
    "beyond_episode.ablations": "ablations",
    "beyond_episode.tasks": "tasks",
    "beyond_episode.subjects": "subjects",
    "beyond_episode.analysis": "analysis",
    "beyond_episode.methodology": "methodology",
}
SKIP = ["*__pycache__*", "*.ipynb_checkpoints*", "*.egg-info*"]

packages = [
    name
    for root, folder in ROOTS.items()
    for name in [root, *(f"{root}.{sub}" for sub in find_namespace_packages(folder, exclude=SKIP))]
    if not name.startswith("beyond_episode.beyond_episode")
]

setup(packages=packages, package_dir=ROOTS)
