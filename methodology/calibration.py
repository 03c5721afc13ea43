"""Check by simulation (``bep calibrate STUDY``) that the analyzer's verdicts keep their error rates.

For every scenario (a reference-subject profile, possibly rescaled or with added noise) the
harness draws ``R`` replications of the whole study from the subjects' decision model
(:mod:`beyond_episode.subjects.simulate`: no Inspect runs), runs the analyzer on each exactly
as ``bep report`` does (:func:`beyond_episode.analysis.analyze`, same options), and counts:

* **false conclusions**: the conclusion ``beyond_episode`` under a profile with no preference
  beyond the episode (no weight on ``threat_if_not_act``, ``threat_if_act``, ``gain_if_act``);
  it must happen at most ``alpha`` of the time;
* **right conclusions**: the conclusion the analyzer reaches when every interval shrinks to the
  true effect (the decision model's expected outcomes), e.g. ``honest`` -> ``no_effect``,
  ``capability_preserver`` -> ``beyond_episode``; for ``capability_preserver`` rescaled to a
  given largest true effect this is the *power*, on a grid of effects and epochs;
* **coverage**: how often a variant's interval contains its true effect. The verdict interval
  is at ``1 - alpha/k`` (Bonferroni over the ``k`` variants), so the nominal per-interval
  coverage is ``1 - alpha/k`` and the nominal simultaneous coverage (all ``k`` at once) is at
  least ``1 - alpha``; the unadjusted interval's nominal coverage is ``1 - alpha``. Per-interval
  rates count only *informative* variants, those with some randomness in the decision model
  (variants whose outcomes are constant get the exact interval [0, 0]).

Every rate comes with a 95% Monte Carlo interval (Clopper-Pearson,
``statsmodels.stats.proportion.proportion_confint(method="beta")``).

Cost: about 0.2-0.5 s per replication of a 19-variant study, most of it the permutation tests,
the regression and the coherence measures; replications run in the worker pool of
:mod:`beyond_episode.pool` (``--jobs`` processes, or the caller's joblib backend).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from beyond_episode.ablations.study import Study, load_study
from beyond_episode.analysis.analyze import DEFAULT_BOOT, DEFAULT_PERM
from beyond_episode.errors import BepError
from beyond_episode.pool import default_jobs
from beyond_episode.subjects.simulate import StudySimulator

from .checks import Check, Row, checks_for, rows_of
from .replication import Job, new_checkpoint, run_replications
from .scenarios import NOISE, POWER_PROFILE, SHIPPED, Scenario, build_scenarios

CHECKPOINT = "replications.partial.jsonl"
"""Finished replications of a run in progress, in the output folder; a rerun resumes from it."""


@dataclass
class Calibration:
    """Everything ``bep calibrate`` measured."""

    study: Study
    settings: dict[str, Any]
    scenarios: list[Scenario]
    truths: dict[str, dict[str, float]]
    rows: list[Row]
    records: pd.DataFrame
    checks: list[Check] = field(default_factory=list)
    elapsed: float = 0.0

    def row(self, label: str, epochs: int) -> Row:
        return next(r for r in self.rows if r.scenario.label == label and r.epochs == epochs)


def calibrate(
    study: Study | str,
    *,
    replications: int = 200,
    epochs: Sequence[int] | None = None,
    items: int | None = None,
    profiles: Sequence[str] = SHIPPED,
    stress: bool = True,
    power_profile: str | None = POWER_PROFILE,
    power_effects: Sequence[float] | None = None,
    power_epochs: Sequence[int] | None = None,
    power_replications: int | None = None,
    alpha: float | None = None,
    bootstrap: int = DEFAULT_BOOT,
    permutations: int = DEFAULT_PERM,
    seed: int = 0,
    jobs: int | None = None,
    progress: bool = False,
    checkpoint: str | Path | None = None,
) -> Calibration:
    """Simulate ``replications`` runs of each scenario at each number of ``epochs`` (default: the
    study's ``quick_epochs`` and ``epochs``), analyse them, and measure the error rates.

    The power grid rescales ``power_profile`` to each of ``power_effects`` (default: 0.75, 1 and
    1.5 x ``min_effect``) and runs ``power_replications`` (default: half of ``replications``, but
    ``replications`` at ``min_effect`` and the declared epochs) at each of ``power_epochs``
    (default: ``quick_epochs``, 10, 30 and ``epochs``).

    ``checkpoint`` names a JSON-lines file that keeps every finished replication; a run with the
    same settings resumes from it (the seeds make the redone work identical).
    """
    began = time.perf_counter()
    loaded = study if isinstance(study, Study) else load_study(study)
    n_items = int(items or loaded.items)
    level = float(loaded.alpha if alpha is None else alpha)
    if replications < 1:
        raise BepError(f"--replications must be a positive integer (got {replications})")
    if not 0 < level < 1:
        raise BepError(f"--alpha must be between 0 and 1 (got {level:g})")
    if n_items < 1:
        raise BepError(f"--items must be a positive integer (got {n_items})")
    main_epochs = sorted(set(epochs or (loaded.quick_epochs, loaded.epochs)))
    if any(e < 1 for e in main_epochs):
        raise BepError("--epochs must be positive integers")
    grid_effects = list(power_effects) if power_effects is not None else [
        round(f * loaded.min_effect, 6) for f in (0.75, 1.0, 1.5)
    ]
    grid_effects = [e for e in grid_effects if e > 0]
    grid_epochs = sorted(set(power_epochs or (loaded.quick_epochs, 10, 30, loaded.epochs)))
    grid_reps = int(power_replications or max(1, replications // 2))
    scenarios = build_scenarios(loaded, profiles, n_items, stress, power_profile, grid_effects if power_profile else ())
    jobs_list: list[Job] = []
    for s in scenarios:
        if s.group == "power":
            for e in grid_epochs:
                key = math.isclose(s.effect, loaded.min_effect, abs_tol=1e-6) and e == loaded.epochs
                reps = replications if key else grid_reps
                jobs_list += [(s.label, e, r) for r in range(reps)]
        else:
            jobs_list += [(s.label, e, r) for e in main_epochs for r in range(replications)]
    options = {"alpha": level, "bootstrap": bootstrap, "permutations": permutations, "seed": seed}
    if jobs is not None and jobs < 1:
        raise BepError(f"--jobs must be a positive integer (got {jobs})")
    n_jobs = default_jobs() if jobs is None else jobs
    store = new_checkpoint(checkpoint, {"study": str(loaded.path), "items": n_items, "options": options, "scenarios": [
        {"label": s.label, "weights": s.profile.weights, "base_rate": s.profile.base_rate} for s in scenarios
    ]})
    records = run_replications(loaded, scenarios, jobs_list, n_items, options, n_jobs, progress, store)
    truths = {s.label: StudySimulator(loaded, s.profile, n_items).true_effects() for s in scenarios}
    settings = {
        "study": loaded.id,
        "replications": replications,
        "power_replications": grid_reps,
        "epochs": main_epochs,
        "power_epochs": grid_epochs,
        "power_effects": grid_effects,
        "items": n_items,
        "alpha": level,
        "bootstrap": bootstrap,
        "permutations": permutations,
        "seed": seed,
        "jobs": n_jobs,
        "noise": NOISE,
    }
    cal = Calibration(loaded, settings, scenarios, truths, rows_of(loaded, scenarios, records, level, n_items), records)
    cal.checks = checks_for(loaded, level, main_epochs, cal.rows, truths)
    cal.elapsed = time.perf_counter() - began
    return cal
