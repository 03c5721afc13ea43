"""One replication of a calibration: draw a whole study from a scenario's decision model,
analyse it exactly as ``bep report`` does, and score the result against the truth; and all the
replications of a calibration, in the worker pool with a checkpoint."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from beyond_episode.ablations.study import Study, load_study
from beyond_episode.analysis.analyze import analyze
from beyond_episode.analysis.effects import rng_for
from beyond_episode.pool import Checkpoint, imap_resumable
from beyond_episode.subjects.simulate import StudySimulator

from .scenarios import Scenario, informative_variants

Job = tuple[str, int, int]
"""(scenario label, epochs, replication): the stable key of one replication."""


def job_of(record: dict[str, Any]) -> Job:
    """The job a replication's record answers."""
    return (str(record["scenario"]), int(record["epochs"]), int(record["replication"]))


def new_checkpoint(path: Any, settings: dict[str, Any]) -> Checkpoint:
    """A checkpoint of replications (``path`` None keeps them in memory only)."""
    return Checkpoint(path, settings, key=job_of)


@dataclass
class _State:
    """What a worker builds once per calibration: the study, the simulators and their truths."""

    study: Study
    sims: dict[str, StudySimulator]
    truth: dict[str, dict[str, float]]
    informative: dict[str, set[str]]
    scenarios: dict[str, Scenario]
    options: dict[str, Any] = field(default_factory=dict)


_STATE: dict[str, _State] = {}
"""The state of the calibration this process last worked on, by :meth:`Replicator.token`."""


@dataclass(frozen=True)
class Replicator:
    """The picklable worker function of a calibration: ``replicator(job)`` is one replication's
    record. Each process builds the simulators once and keeps them for the next jobs."""

    study_path: str
    items: int
    scenarios: tuple[Scenario, ...]
    options: tuple[tuple[str, Any], ...]

    def token(self) -> str:
        return repr((self.study_path, self.items, self.scenarios, self.options))

    def state(self) -> _State:
        token = self.token()
        if token not in _STATE:
            _STATE.clear()
            gc.freeze()  # the analyzer's Holm step calls gc.collect(); keep it from scanning the imports
            study = load_study(self.study_path)
            sims = {s.label: StudySimulator(study, s.profile, self.items) for s in self.scenarios}
            _STATE[token] = _State(
                study=study,
                sims=sims,
                truth={label: sim.true_effects() for label, sim in sims.items()},
                informative={label: informative_variants(sim) for label, sim in sims.items()},
                scenarios={s.label: s for s in self.scenarios},
                options=dict(self.options),
            )
        return _STATE[token]

    def __call__(self, job: Job) -> dict[str, Any]:
        return replicate(self.state(), *job)


def _covers(interval: tuple[float, float] | None, truth: float) -> bool:
    return interval is not None and interval[0] - 1e-9 <= truth <= interval[1] + 1e-9


def replicate(state: _State, label: str, epochs: int, rep: int) -> dict[str, Any]:
    """One replication of one scenario: simulate, analyse, and score the result."""
    study, opts = state.study, state.options
    scenario, truth, informative = state.scenarios[label], state.truth[label], state.informative[label]
    start = time.perf_counter()
    frame = state.sims[label].draw(epochs, rng_for(opts["seed"], label, epochs, rep))
    report = analyze(
        frame,
        studies=[study.path],
        alpha=opts["alpha"],
        n_boot=opts["bootstrap"],
        n_perm=opts["permutations"],
        seed=opts["seed"] * 1_000_003 + rep,
    )
    result = report.result(study.id)
    tested = [v for v in result.variants if v.interval is not None]
    covered = [_covers(v.interval, truth[v.id]) for v in tested if v.id in informative]
    covered_unadj = [_covers(v.interval_unadjusted, truth[v.id]) for v in tested if v.id in informative]
    return {
        "scenario": label,
        "group": scenario.group,
        "epochs": epochs,
        "replication": rep,
        "conclusion": result.conclusion,
        "right": result.conclusion == scenario.right,
        "false_beyond": scenario.null and result.conclusion == "beyond_episode",
        "any_effect": any(v.shows_effect for v in result.variants),
        "k": result.k,
        "informative": len(covered),
        "covered": sum(covered),
        "covered_unadjusted": sum(covered_unadj),
        "all_covered": all(_covers(v.interval, truth[v.id]) for v in tested),
        "seconds": time.perf_counter() - start,
    }


def run_replications(
    study: Study,
    scenarios: Sequence[Scenario],
    jobs_list: Sequence[Job],
    items: int,
    options: dict[str, Any],
    jobs: int | None,
    progress: bool = False,
    checkpoint: Checkpoint | None = None,
) -> pd.DataFrame:
    """Run the (scenario label, epochs, replication) jobs in ``jobs`` worker processes (see
    :mod:`beyond_episode.pool`); jobs already in ``checkpoint`` are not run again."""
    store = checkpoint or new_checkpoint(None, {})
    wanted = set(jobs_list)
    records = [r for r in store.records if job_of(r) in wanted]
    if progress and records:
        print(f"  resuming: {len(records)} of {len(jobs_list)} replications already done", file=sys.stderr, flush=True)
    worker = Replicator(str(study.path), items, tuple(scenarios), tuple(sorted(options.items())))

    def rerun(n: int) -> None:
        if progress:
            print(f"  a worker process died; rerunning {n} replication(s)", file=sys.stderr, flush=True)

    start, shown = time.perf_counter(), 0
    for record in imap_resumable(worker, jobs_list, store, lambda job: job, jobs=jobs, what="replications", on_rerun=rerun):
        records.append(record)
        shown = _progress(progress, len(records), len(jobs_list), start, shown)
    frame = pd.DataFrame(records)
    return frame.sort_values(["group", "scenario", "epochs", "replication"], kind="stable").reset_index(drop=True)


def _progress(on: bool, done: int, total: int, start: float, shown: int) -> int:
    if on and (done * 10 // total > shown or done == total):
        print(f"  {done}/{total} replications, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
        return done * 10 // total
    return shown
