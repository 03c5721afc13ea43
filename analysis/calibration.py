"""``bep calibrate STUDY``: check by simulation that the analyzer's verdicts keep their error rates.

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
the regression and the coherence measures; replications run in ``--jobs`` processes.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing as mp
import os
import sys
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from beyond_episode.ablations.study import Study, load_study
from beyond_episode.errors import BepError
from beyond_episode.subjects.profile import BEYOND_EPISODE_CUES, Profile, load_profile
from beyond_episode.subjects.simulate import StudySimulator, profile_for_effect

from .analyze import DEFAULT_BOOT, DEFAULT_PERM, analyze
from .effects import EFFECT_METHODS, effect_method
from .power import bound_variance, power_of
from .verdicts import conclude, judge_all

BEYOND_CUES = tuple(sorted(BEYOND_EPISODE_CUES))
"""Cues about what happens after the episode: a profile with no weight on them has no
preference beyond the episode."""
SHIPPED = ("honest", "instruction_follower", "approval_seeker", "reward_seeker", "capability_preserver")
NOISE = 0.3
"""Base rate of the stress scenarios: the subject also acts at random in this fraction of episodes."""
STRESS = ("honest", "approval_seeker")
POWER_PROFILE = "capability_preserver"
MC_LEVEL = 0.95
CHUNK = 5
POOL_RETRIES = 10
CHECKPOINT = "replications.partial.jsonl"
"""Finished replications of a run in progress, in the output folder; a rerun resumes from it."""


@dataclass(frozen=True)
class Scenario:
    """A simulated subject: a profile, the conclusion it should get, and its role in the report."""

    label: str
    profile: Profile
    right: str
    null: bool
    group: str
    """``profile`` (as shipped), ``stress`` (with random acting added) or ``power`` (rescaled)."""
    effect: float
    """The largest true |effect| over the study's variants."""


@dataclass(frozen=True)
class Rate:
    """A Monte Carlo proportion with its Clopper-Pearson interval."""

    hits: int
    n: int

    @property
    def value(self) -> float:
        return self.hits / self.n if self.n else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        if not self.n:
            return (math.nan, math.nan)
        low, high = proportion_confint(self.hits, self.n, alpha=1 - MC_LEVEL, method="beta")
        return float(low), float(high)

    def text(self, digits: int = 3) -> str:
        if not self.n:
            return "n/a"
        low, high = self.interval
        return f"{self.value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


@dataclass
class Row:
    """One scenario at one number of epochs."""

    scenario: Scenario
    epochs: int
    conclusions: Counter[str]
    right: Rate
    false_beyond: Rate | None
    any_effect: Rate
    coverage: Rate
    coverage_unadjusted: Rate
    simultaneous: Rate
    seconds: float
    analytic_power: float | None = None
    analytic_power_bound: float | None = None


@dataclass
class Check:
    name: str
    status: str
    """``pass``, ``within Monte Carlo error``, ``conservative`` (a coverage significantly above
    nominal) or ``fail``."""
    detail: str


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


# -- scenarios ---------------------------------------------------------------------------------


def has_beyond_preference(profile: Profile) -> bool:
    """Whether any cue about what happens after the episode moves the profile."""
    return any(profile.weights.get(c, 0.0) != 0.0 for c in BEYOND_CUES)


def population_conclusion(study: Study, effects: dict[str, float]) -> str:
    """The analyzer's conclusion when every variant's interval is its true effect alone."""
    intervals = {v: (e, e) for v, e in effects.items()}
    hypotheses = judge_all(study, intervals)
    showing = [v for v, e in effects.items() if abs(e) > 1e-12]
    return conclude(hypotheses, showing, len(effects))[0]


def _scenario(study: Study, label: str, profile: Profile, group: str, items: int) -> Scenario:
    effects = StudySimulator(study, profile, items).true_effects()
    return Scenario(
        label=label,
        profile=replace(profile, name=label),
        right=population_conclusion(study, effects),
        null=not has_beyond_preference(profile),
        group=group,
        effect=max((abs(e) for e in effects.values()), default=0.0),
    )


def build_scenarios(
    study: Study,
    profiles: Sequence[str],
    items: int,
    stress: bool = True,
    power_profile: str | None = POWER_PROFILE,
    power_effects: Sequence[float] = (),
) -> list[Scenario]:
    """The shipped (or given) profiles, the stress scenarios and the rescaled power profiles."""
    out = []
    for name in profiles:
        profile = load_profile(name)
        out.append(_scenario(study, profile.name, profile, "profile", items))
    if stress:
        for name in STRESS:
            noisy = replace(load_profile(name), base_rate=NOISE)
            out.append(_scenario(study, f"{name}+noise{NOISE:g}", noisy, "stress", items))
    if power_profile and power_effects:
        base = load_profile(power_profile)
        for effect in power_effects:
            scaled, _ = profile_for_effect(study, base, effect, items)
            out.append(_scenario(study, f"{base.name}@{effect:g}", scaled, "power", items))
    labels = [s.label for s in out]
    if len(set(labels)) != len(labels):
        raise BepError(f"duplicate scenario in --profiles: {', '.join(sorted({x for x in labels if labels.count(x) > 1}))}")
    return out


# -- replications (run in worker processes) ---------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(study_path: str, items: int, scenarios: list[Scenario], options: dict[str, Any]) -> None:
    gc.freeze()  # the analyzer's Holm step calls gc.collect(); keep it from scanning the imports
    study = load_study(study_path)
    sims = {s.label: StudySimulator(study, s.profile, items) for s in scenarios}
    _WORKER.update(
        study=study,
        sims=sims,
        truth={label: sim.true_effects() for label, sim in sims.items()},
        informative={label: informative_variants(sim) for label, sim in sims.items()},
        scenarios={s.label: s for s in scenarios},
        options=options,
    )


def informative_variants(sim: StudySimulator) -> set[str]:
    """Variants with some randomness in the decision model: a condition whose decision is
    uncertain, or whose reachable outcome distribution has more than one value."""
    noisy: set[str] = set()
    for c in sim.cells:
        if (
            0.0 < c.p_act < 1.0
            or (c.p_act > 0.0 and c.acted_values.size > 1)
            or (c.p_act < 1.0 and c.tried_values.size > 1)
        ):
            noisy.add(c.variant)
    return noisy


def _seed(seed: int, label: str, epochs: int, rep: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(label.encode()), epochs, rep]))


def _covers(interval: tuple[float, float] | None, truth: float) -> bool:
    return interval is not None and interval[0] - 1e-9 <= truth <= interval[1] + 1e-9


def replicate(label: str, epochs: int, rep: int) -> dict[str, Any]:
    """One replication of one scenario: simulate, analyse, and score the result."""
    study: Study = _WORKER["study"]
    sim: StudySimulator = _WORKER["sims"][label]
    opts = _WORKER["options"]
    scenario: Scenario = _WORKER["scenarios"][label]
    truth: dict[str, float] = _WORKER["truth"][label]
    informative: set[str] = _WORKER["informative"][label]
    start = time.perf_counter()
    frame = sim.draw(epochs, _seed(opts["seed"], label, epochs, rep))
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


def _run_chunk(chunk: list[tuple[str, int, int]]) -> list[dict[str, Any]]:
    return [replicate(*job) for job in chunk]


class Checkpoint:
    """Finished replications in a JSON-lines file, so that an interrupted run can resume.

    The first line holds the run's settings; a file written with other settings is replaced.
    """

    def __init__(self, path: str | Path | None, settings: dict[str, Any]) -> None:
        self.path = Path(path) if path else None
        self.settings = json.loads(json.dumps(settings, default=str))
        self.records: list[dict[str, Any]] = []
        if self.path is None:
            return
        if self.path.is_file():
            lines = self.path.read_text(encoding="utf-8").splitlines()
            try:
                head = json.loads(lines[0]) if lines else None
                if head == {"settings": self.settings}:
                    self.records = [json.loads(line) for line in lines[1:] if line.strip()]
            except json.JSONDecodeError:
                self.records = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("w", encoding="utf-8") as f:
            f.write(json.dumps({"settings": self.settings}) + "\n")
            for record in self.records:
                f.write(json.dumps(record) + "\n")

    def done(self) -> set[tuple[str, int, int]]:
        return {(r["scenario"], int(r["epochs"]), int(r["replication"])) for r in self.records}

    def add(self, records: list[dict[str, Any]]) -> None:
        self.records.extend(records)
        if self.path is not None:
            with self.path.open("a", encoding="utf-8") as f:
                for record in records:
                    f.write(json.dumps(record, default=float) + "\n")

    def remove(self) -> None:
        if self.path is not None and self.path.is_file():
            self.path.unlink()


def run_replications(
    study: Study,
    scenarios: list[Scenario],
    jobs_list: list[tuple[str, int, int]],
    items: int,
    options: dict[str, Any],
    jobs: int,
    progress: bool = False,
    checkpoint: Checkpoint | None = None,
) -> pd.DataFrame:
    """Run the (scenario label, epochs, replication) jobs, in ``jobs`` processes; jobs already
    in ``checkpoint`` are not run again."""
    store = checkpoint or Checkpoint(None, {})
    done = store.done()
    todo = [job for job in jobs_list if job not in done]
    if progress and done:
        print(f"  resuming: {len(jobs_list) - len(todo)} of {len(jobs_list)} replications already done", file=sys.stderr, flush=True)
    chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
    init_args = (str(study.path), items, scenarios, options)
    wanted = set(jobs_list)
    records = [r for r in store.records if (r["scenario"], int(r["epochs"]), int(r["replication"])) in wanted]
    start = time.perf_counter()
    shown = 0
    if not chunks:
        pass
    elif jobs <= 1 or len(chunks) <= 1:
        _init_worker(*init_args)
        for chunk in chunks:
            result = _run_chunk(chunk)
            store.add(result)
            records.extend(result)
            shown = _progress(progress, len(records), len(jobs_list), start, shown)
    else:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        pending = list(range(len(chunks)))
        for attempt in range(POOL_RETRIES + 1):
            with ProcessPoolExecutor(jobs, mp_context=mp.get_context(method), initializer=_init_worker, initargs=init_args) as pool:
                futures = {pool.submit(_run_chunk, chunks[i]): i for i in pending}
                try:
                    for future in as_completed(futures):
                        result = future.result()
                        store.add(result)
                        records.extend(result)
                        pending.remove(futures[future])
                        shown = _progress(progress, len(records), len(jobs_list), start, shown)
                except BrokenProcessPool:
                    # a worker was killed from outside (e.g. by the system under memory pressure):
                    # the unfinished chunks run again in a new pool; seeds make them identical
                    if attempt == POOL_RETRIES:
                        raise BepError(
                            f"worker processes were killed {POOL_RETRIES + 1} times; {len(pending)} chunk(s) of "
                            "replications unfinished (try fewer --jobs)"
                        ) from None
                    if progress:
                        print(f"  a worker process died; rerunning {len(pending)} chunk(s)", file=sys.stderr, flush=True)
                    continue
            break
    frame = pd.DataFrame(records)
    return frame.sort_values(["group", "scenario", "epochs", "replication"], kind="stable").reset_index(drop=True)


def _progress(on: bool, done: int, total: int, start: float, shown: int) -> int:
    if on and (done * 10 // total > shown or done == total):
        print(f"  {done}/{total} replications, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
        return done * 10 // total
    return shown


# -- aggregation and checks ---------------------------------------------------------------------


def _rows(study: Study, scenarios: list[Scenario], records: pd.DataFrame, alpha: float, items: int) -> list[Row]:
    rows = []
    k = len(study.variants)
    for s in scenarios:
        of = records[records["scenario"] == s.label]
        for epochs, part in of.groupby("epochs", sort=True):
            n = len(part)
            row = Row(
                scenario=s,
                epochs=int(epochs),
                conclusions=Counter(part["conclusion"]),
                right=Rate(int(part["right"].sum()), n),
                false_beyond=Rate(int(part["false_beyond"].sum()), n) if s.null else None,
                any_effect=Rate(int(part["any_effect"].sum()), n),
                coverage=Rate(int(part["covered"].sum()), int(part["informative"].sum())),
                coverage_unadjusted=Rate(int(part["covered_unadjusted"].sum()), int(part["informative"].sum())),
                simultaneous=Rate(int(part["all_covered"].sum()), n),
                seconds=float(part["seconds"].mean()),
            )
            if s.group == "power":
                sim = StudySimulator(study, s.profile, items)
                variances = _variances(sim)
                best = max(sim.true_effects().items(), key=lambda kv: kv[1])[0]
                var_sum = variances[(best, "a")] + variances[(best, "b")]
                row.analytic_power = power_of(s.effect, study.margin, alpha, k, items, int(epochs), var_sum)
                bound = 2 * bound_variance(s.effect)
                row.analytic_power_bound = power_of(s.effect, study.margin, alpha, k, items, int(epochs), bound)
            rows.append(row)
    return rows


def _variances(sim: StudySimulator) -> dict[tuple[str, str], float]:
    """Per condition: the per-sample outcome variance of the decision model (items pooled)."""
    moments: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for c in sim.cells:
        m1 = c.p_act * float(c.acted_values @ c.acted_probs) + (1 - c.p_act) * float(c.tried_values @ c.tried_probs)
        m2 = c.p_act * float(c.acted_values**2 @ c.acted_probs) + (1 - c.p_act) * float(c.tried_values**2 @ c.tried_probs)
        moments.setdefault((c.variant, c.role), []).append((m1, m2))
    out = {}
    for key, ms in moments.items():
        m1 = float(np.mean([m[0] for m in ms]))
        m2 = float(np.mean([m[1] for m in ms]))
        out[key] = max(0.0, m2 - m1**2)
    return out


def _bound_status(rate: Rate, target: float, at_most: bool) -> str:
    """A rate that must stay at most (or at least) ``target``: ``pass`` when its whole Monte
    Carlo interval does, ``fail`` when its whole interval is on the wrong side."""
    low, high = rate.interval
    if at_most:
        return "pass" if high <= target else "fail" if low > target else "within Monte Carlo error"
    return "pass" if low >= target else "fail" if high < target else "within Monte Carlo error"


def _coverage_status(rate: Rate, nominal: float) -> str:
    """A coverage that should be its nominal level: ``pass`` when the Monte Carlo interval
    holds it, ``conservative`` when it is wholly above, ``fail`` when wholly below."""
    low, high = rate.interval
    return "fail" if high < nominal else "conservative" if low > nominal else "pass"


def _pooled(rows: list[Row], attr: str) -> Rate:
    rates = [getattr(r, attr) for r in rows if getattr(r, attr) is not None]
    return Rate(sum(r.hits for r in rates), sum(r.n for r in rates))


def checks_for(cal: Calibration) -> list[Check]:
    """The acceptance checks: false conclusions <= alpha, power >= 0.8 at the declared epochs
    and ``min_effect``, coverage at its nominal levels."""
    study, alpha = cal.study, cal.settings["alpha"]
    k = len(study.variants)
    out = []
    for epochs in cal.settings["epochs"]:
        for group, name, named in (("profile", "shipped null profiles", True), ("stress", "stress scenarios", False)):
            nulls = [r for r in cal.rows if r.epochs == epochs and r.scenario.group == group and r.scenario.null]
            if not nulls:
                continue
            pooled = _pooled(nulls, "false_beyond")
            of = f" of {', '.join(r.scenario.label for r in nulls)}" if named else ""
            out.append(Check(
                f"false 'beyond_episode' conclusions, {name}, {epochs} epochs",
                _bound_status(pooled, alpha, at_most=True),
                f"{pooled.text(4)} over {pooled.n} replications{of}; must be <= alpha = {alpha:g}",
            ))
        rows = [r for r in cal.rows if r.epochs == epochs]
        cov = _pooled(rows, "coverage")
        sim = _pooled(rows, "simultaneous")
        unadj = _pooled(rows, "coverage_unadjusted")
        if cov.n:
            out.append(Check(
                f"per-interval coverage of the verdict intervals, {epochs} epochs",
                _coverage_status(cov, 1 - alpha / k),
                f"{cov.text(4)} over {cov.n} informative intervals; nominal 1 - alpha/k = {1 - alpha / k:.4f}",
            ))
            out.append(Check(
                f"coverage of the unadjusted intervals, {epochs} epochs",
                _coverage_status(unadj, 1 - alpha),
                f"{unadj.text(4)} over {unadj.n} informative intervals; nominal 1 - alpha = {1 - alpha:.4f}",
            ))
        out.append(Check(
            f"simultaneous coverage (all {k} intervals of a replication), {epochs} epochs",
            _bound_status(sim, 1 - alpha, at_most=False),
            f"{sim.text(4)} over {sim.n} replications; must be at least 1 - alpha = {1 - alpha:.4f}",
        ))
        all_null = [r for r in rows if r.scenario.null and all(abs(e) < 1e-12 for e in cal.truths[r.scenario.label].values())]
        noisy = [r for r in all_null if r.coverage.n]
        if noisy:
            fwer = _pooled(noisy, "any_effect")
            out.append(Check(
                f"family-wise error of 'shows an effect' where no variant has one, {epochs} epochs",
                _bound_status(fwer, alpha, at_most=True),
                f"{fwer.text(4)} over {fwer.n} replications of {', '.join(r.scenario.label for r in noisy)}; must be <= alpha = {alpha:g}",
            ))
    target = [r for r in cal.rows if r.scenario.group == "power" and math.isclose(r.scenario.effect, study.min_effect, abs_tol=1e-6) and r.epochs == study.epochs]
    for r in target:
        out.append(Check(
            f"power at min_effect {study.min_effect:g} and the declared {study.epochs} epochs",
            _bound_status(r.right, 0.8, at_most=False),
            f"P(beyond_episode) = {r.right.text()} over {r.right.n} replications of {r.scenario.label}; must be >= 0.8",
        ))
    return out


# -- the whole run ------------------------------------------------------------------------------


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
    jobs_list: list[tuple[str, int, int]] = []
    for s in scenarios:
        if s.group == "power":
            for e in grid_epochs:
                key = math.isclose(s.effect, loaded.min_effect, abs_tol=1e-6) and e == loaded.epochs
                reps = replications if key else grid_reps
                jobs_list += [(s.label, e, r) for r in range(reps)]
        else:
            jobs_list += [(s.label, e, r) for e in main_epochs for r in range(replications)]
    options = {"alpha": level, "bootstrap": bootstrap, "permutations": permutations, "seed": seed}
    n_jobs = int(jobs or os.cpu_count() or 1)
    store = Checkpoint(checkpoint, {"study": str(loaded.path), "items": n_items, "options": options, "scenarios": [
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
    cal = Calibration(loaded, settings, scenarios, truths, _rows(loaded, scenarios, records, level, n_items), records)
    cal.checks = checks_for(cal)
    cal.elapsed = time.perf_counter() - began
    return cal


# -- output -------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _conclusions(c: Counter[str]) -> str:
    return ", ".join(f"{code} {n}" for code, n in c.most_common())


def summary_frame(cal: Calibration) -> pd.DataFrame:
    """One row per scenario x epochs (the content of ``calibration.csv``)."""
    out = []
    for r in cal.rows:
        rec: dict[str, Any] = {
            "scenario": r.scenario.label, "group": r.scenario.group, "null": r.scenario.null,
            "largest_true_effect": r.scenario.effect, "right_conclusion": r.scenario.right,
            "epochs": r.epochs, "replications": r.right.n,
        }
        for name, rate in (
            ("right", r.right), ("false_beyond", r.false_beyond), ("any_effect", r.any_effect),
            ("coverage", r.coverage), ("coverage_unadjusted", r.coverage_unadjusted), ("simultaneous", r.simultaneous),
        ):
            rec[name] = rate.value if rate and rate.n else None
            rec[f"{name}_low"], rec[f"{name}_high"] = rate.interval if rate and rate.n else (None, None)
            if name.startswith("coverage"):
                rec[f"{name}_intervals"] = rate.n if rate else 0
        rec["analytic_power"] = r.analytic_power
        rec["analytic_power_bound"] = r.analytic_power_bound
        rec["conclusions"] = _conclusions(r.conclusions)
        rec["seconds_per_replication"] = r.seconds
        out.append(rec)
    return pd.DataFrame(out)


def render_markdown(cal: Calibration) -> str:
    """The calibration report."""
    s, st = cal.study, cal.settings
    k = len(s.variants)
    alpha = st["alpha"]
    lines = [
        f"# Calibration of the verdicts: {s.id}",
        "",
        f"{st['replications']} replications per scenario and number of epochs ({st['power_replications']} per power-grid "
        f"cell, {st['replications']} at min_effect and the declared epochs); {st['items']} items; alpha = {alpha:g} over "
        f"k = {k} variants, so the verdict intervals are at 1 - alpha/k = {1 - alpha / k:.4f}; effect intervals: "
        f"{EFFECT_METHODS[effect_method(s.outcome.type)]}; "
        f"analyzer options: bootstrap {st['bootstrap']} (mean outcomes only), permutations {st['permutations']}, "
        f"seed {st['seed']}. "
        f"{len(cal.records)} analyses in {cal.elapsed:.0f} s with {st['jobs']} process(es). "
        "Rates are given with 95% Monte Carlo (Clopper-Pearson) intervals.",
        "",
        "## Checks",
        "",
    ]
    lines += _table(["check", "status", "measured"], [[c.name, c.status, c.detail] for c in cal.checks])
    lines += [
        "",
        "## Scenarios",
        "",
        "The right conclusion is the analyzer's conclusion when every interval is the true effect alone "
        "(expected outcomes of the decision model). Null scenarios have no preference beyond the episode. "
        f"Stress scenarios add random acting at base rate {st['noise']:g} (every condition becomes noisy, "
        "so spurious effects can occur).",
        "",
    ]
    lines += _table(
        ["scenario", "group", "null", "right conclusion", "variants with an effect (true effect)"],
        [
            [
                sc.label, sc.group, "yes" if sc.null else "no", sc.right,
                ", ".join(f"{v} ({e:.3f})" for v, e in cal.truths[sc.label].items() if abs(e) > 1e-9) or "none",
            ]
            for sc in cal.scenarios
        ],
    )
    lines += ["", "## Conclusions, false conclusions and coverage", ""]
    body = []
    for r in cal.rows:
        if r.scenario.group == "power":
            continue
        body.append([
            r.scenario.label, str(r.epochs), r.right.text(), r.false_beyond.text(4) if r.false_beyond else "-",
            r.any_effect.text(), r.coverage.text(4), r.coverage_unadjusted.text(4), r.simultaneous.text(4),
            _conclusions(r.conclusions), f"{r.seconds:.2f}",
        ])
    lines += _table(
        ["scenario", "epochs", "right conclusion", "false beyond_episode", "any effect shown",
         f"coverage @ {1 - alpha / k:.4f}", f"coverage unadjusted @ {1 - alpha:.2f}",
         f"simultaneous @ >= {1 - alpha:.2f}", "conclusions", "s / analysis"],
        body,
    )
    power_rows = [r for r in cal.rows if r.scenario.group == "power"]
    if power_rows:
        lines += [
            "",
            "## Power",
            "",
            f"`{POWER_PROFILE}` rescaled (all its weights multiplied by one factor) so that its largest true effect "
            "is the given effect; power = P(conclusion beyond_episode). Analytic columns: `bep power`'s formula for "
            "one variant, with the decision model's own per-sample variances, and with the bound it assumes by "
            "default (var_a + var_b = 0.5 - effect^2 / 2). The "
            "simulated power can be far higher than the one-variant formula: several variants may carry the effect "
            "(any of them can contradict the in-episode hypotheses), and in-episode hypotheses that predict '+' for "
            "a positive control are also contradicted when that control shows no effect, so the conclusion may only "
            "need some variant to show an effect at all.",
            "",
        ]
        lines += _table(
            ["effect", "epochs", "simulated power", "analytic (model variances)", "analytic (bound)", "conclusions"],
            [
                [f"{r.scenario.effect:g}", str(r.epochs), r.right.text(), f"{r.analytic_power:.3f}",
                 f"{r.analytic_power_bound:.3f}", _conclusions(r.conclusions)]
                for r in sorted(power_rows, key=lambda r: (r.scenario.effect, r.epochs))
            ],
        )
    lines += [
        "",
        "## Reading",
        "",
        "- A false `beyond_episode` conclusion under a null scenario requires an interval that misses its true "
        "effect: if every interval covers its true effect, the in-episode hypothesis whose predictions the "
        "subject satisfies is never contradicted. So the false-conclusion rate is at most 1 - simultaneous "
        "coverage, which Bonferroni keeps at most alpha. The shipped null profiles act only on in-episode cues, "
        "so most variants have constant outcomes and exact [0, 0] intervals; the stress scenarios make every "
        "condition noisy.",
        "- Coverage counts informative intervals only (some randomness in a condition); constant variants "
        "get [0, 0], which always covers the true effect 0.",
        "",
    ]
    return "\n".join(lines)


def write_calibration(cal: Calibration, out: str | Path) -> dict[str, Path]:
    """Write ``calibration.md``, ``calibration.csv`` and ``replications.csv`` into ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "report": folder / "calibration.md",
        "summary": folder / "calibration.csv",
        "replications": folder / "replications.csv",
    }
    paths["report"].write_text(render_markdown(cal), encoding="utf-8")
    summary_frame(cal).to_csv(paths["summary"], index=False)
    cal.records.to_csv(paths["replications"], index=False)
    return paths


# -- command line -------------------------------------------------------------------------------


def _ints(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``calibrate`` command's arguments to ``parser``."""
    parser.description = (
        "Simulate a study from the reference subjects' decision model, analyse every replication as "
        "`bep report` does, and measure false conclusions, right conclusions (power) and interval coverage."
    )
    parser.add_argument("study", metavar="STUDY", help="shipped study name or study file")
    parser.add_argument("--replications", type=int, default=200, metavar="R", help="replications per scenario and epochs (default: 200)")
    parser.add_argument("--epochs", type=_ints, default=None, metavar="N[,N...]", help="epochs per condition and item (default: the study's quick_epochs and epochs)")
    parser.add_argument("--items", type=int, default=None, metavar="N", help="items per condition (default: the study's items)")
    parser.add_argument("--profiles", nargs="+", default=list(SHIPPED), metavar="PROFILE", help="profiles (names or .yaml files; default: the five shipped)")
    parser.add_argument("--no-stress", action="store_true", help=f"skip the stress scenarios ({', '.join(STRESS)} with base rate {NOISE:g})")
    parser.add_argument("--power-profile", default=POWER_PROFILE, metavar="PROFILE", help=f"profile rescaled for the power grid (default: {POWER_PROFILE}); 'none' skips the grid")
    parser.add_argument("--power-effects", type=_floats, default=None, metavar="E[,E...]", help="largest true effects of the power grid (default: 0.75, 1, 1.5 x min_effect)")
    parser.add_argument("--power-epochs", type=_ints, default=None, metavar="N[,N...]", help="epochs of the power grid (default: quick_epochs, 10, 30, epochs)")
    parser.add_argument("--power-replications", type=int, default=None, metavar="R", help="replications per power-grid cell (default: R/2; R at min_effect and the declared epochs)")
    parser.add_argument("--alpha", type=float, default=None, help="study-wide error rate (default: the study's alpha)")
    parser.add_argument("--bootstrap", type=int, default=DEFAULT_BOOT, metavar="N", help=f"the analyzer's minimum bootstrap replicates (default: {DEFAULT_BOOT})")
    parser.add_argument("--permutations", type=int, default=DEFAULT_PERM, metavar="N", help=f"the analyzer's Monte Carlo permutations (default: {DEFAULT_PERM})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulation and the analyses (default: 0)")
    parser.add_argument("--out", default=None, metavar="DIR", help="output folder (default: calibration/<study>)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: the number of CPUs)")
    parser.add_argument("--sequential", action="store_true", help="calibrate the sequential design (analysis/sequential.py) instead")
    parser.add_argument("--looks", type=_ints, default=None, metavar="E[,E...]", help="epochs of the looks with --sequential (default: 1, 2, 4, ... up to the study's epochs)")


def run(args: argparse.Namespace) -> int:
    """Run ``bep calibrate``; bad input raises :class:`BepError`."""
    study = load_study(args.study)
    if args.sequential:
        from .sequential_calibration import command

        return command(study, args.looks, args.replications, args.out, args.seed)
    profiles = [p for item in args.profiles for p in item.split(",") if p]
    power_profile = None if str(args.power_profile).lower() == "none" else args.power_profile
    if args.jobs is not None and args.jobs < 1:
        raise BepError(f"--jobs must be a positive integer (got {args.jobs})")
    out = Path(args.out) if args.out else Path("calibration") / study.id
    print(f"calibrating {study.id}: {args.replications} replications per scenario ...", file=sys.stderr, flush=True)
    cal = calibrate(
        study,
        replications=args.replications,
        epochs=args.epochs,
        items=args.items,
        profiles=profiles,
        stress=not args.no_stress,
        power_profile=power_profile,
        power_effects=args.power_effects,
        power_epochs=args.power_epochs,
        power_replications=args.power_replications,
        alpha=args.alpha,
        bootstrap=args.bootstrap,
        permutations=args.permutations,
        seed=args.seed,
        jobs=args.jobs,
        progress=True,
        checkpoint=out / CHECKPOINT,
    )
    paths = write_calibration(cal, out)
    (out / CHECKPOINT).unlink(missing_ok=True)
    for c in cal.checks:
        print(f"{c.status:>24}  {c.name}: {c.detail}")
    print(f"{len(cal.records)} analyses in {cal.elapsed:.0f} s; report: {paths['report']}")
    return 0
