"""Find the study definition behind a study id seen in the data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from beyond_episode.ablations.study import Study, load_study
from beyond_episode.errors import BepError


class StudyCatalog:
    """Study ids mapped to their definitions: explicit files first, then the shipped studies."""

    def __init__(self, files: Iterable[str | Path] | Mapping[str, str | Path] | None = None) -> None:
        self._by_id: dict[str, Study] = {}
        if files is None:
            return
        paths = files.values() if isinstance(files, Mapping) else files
        for path in paths:
            study = load_study(Path(path))
            if isinstance(files, Mapping):
                named = [k for k, v in files.items() if v == path]
                if named and named[0] != study.id:
                    raise BepError(f"study file '{path}' defines study '{study.id}', not '{named[0]}'")
            self._by_id[study.id] = study

    def get(self, study_id: str) -> Study:
        """The study with this id; an unknown id is a :class:`BepError`."""
        if study_id not in self._by_id:
            try:
                self._by_id[study_id] = load_study(study_id)
            except BepError as err:
                raise BepError(
                    f"the data names study '{study_id}', which is not shipped and was not given "
                    f"with --study PATH ({err})"
                ) from None
        return self._by_id[study_id]


def as_catalog(studies: StudyCatalog | Iterable[str | Path] | Mapping[str, str | Path] | None) -> StudyCatalog:
    """Accept a catalog, a list of study files, or a mapping of id to file."""
    if isinstance(studies, StudyCatalog):
        return studies
    return StudyCatalog(studies)
