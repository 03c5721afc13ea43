"""Sequential runs: Inspect's early-stopping protocol driven by the design's stopping rule.

One :class:`VariantStopping` is attached to each task of a sequential run
(``task_with(task, early_stopping=...)``), so one eval-set holds the run and resumes as usual.
Inspect schedules samples epoch by epoch and tells the manager of every finished sample
(resumed samples too). A look is decided as soon as its samples have all finished; a sample of
a later epoch that Inspect admits before that waits for the decision (bounded, see
:meth:`VariantStopping._await_look`), so no model call is spent past a look that stops its
variant. The manager applies, look by look,
:func:`~beyond_episode.analysis.stopping.decide`: once a variant is settled at a look (or no
open verdict of it can be settled by the last look), its later epochs are skipped with the
reason. A sample that went ahead after a bounded wait is kept in the log but not used by the
report, which replays the same rule on the data.

The log's early-stopping summary records the looks, the level, and every variant's stop.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio
import numpy as np

from beyond_episode.ablations.study import Study
from beyond_episode.analysis.effects import Paired
from beyond_episode.analysis.stopping import Stop, decide, look_level

if TYPE_CHECKING:
    from inspect_ai.dataset import Sample
    from inspect_ai.log import EvalSpec
    from inspect_ai.scorer import SampleScore
    from inspect_ai.util import EarlyStop

MANAGER = "bep-sequential"
WAIT_FLOOR = 60.0
"""Seconds without a finished sample of the task after which a waiting sample goes ahead."""


def outcome_of(scores: dict[str, SampleScore], outcome: str) -> float:
    """The study's outcome from a sample's scores (NaN when excluded or missing), as the
    analyzer reads it."""
    for sample_score in scores.values():
        value = sample_score.score.value
        if isinstance(value, dict) and outcome in value:
            try:
                out = float(value[outcome])
            except (TypeError, ValueError):
                return math.nan
            return out if math.isfinite(out) else math.nan
    if len(scores) == 1:
        value = next(iter(scores.values())).score.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return math.nan


class VariantStopping:
    """Stops each variant of one task (a study on one model) once its verdicts are settled."""

    def __init__(self, study: Study, looks: Sequence[int], alpha: float, variants: Sequence[str] | None = None) -> None:
        self.study = study
        self.looks = list(looks)
        self.alpha = alpha
        self.chosen = list(variants) if variants else list(study.variants)
        self.level = look_level(alpha, len(self.chosen), len(self.looks))
        self.cell_of: dict[str, tuple[str, str, str]] = {}
        self.cells: dict[str, int] = defaultdict(int)
        self.done: dict[str, dict[tuple[str, str, int], float]] = defaultdict(dict)
        self.next_look: dict[str, int] = defaultdict(int)
        self.stops: dict[str, Stop] = {}
        self.skipped = 0
        self.waited = 0
        self.stalled = 0
        self.finished = 0
        self.admitted: dict[tuple[str, int], float] = {}
        self.longest = 0.0
        self.looks_done: dict[tuple[str, int], anyio.Event] = {}

    async def start_task(self, task: EvalSpec, samples: list[Sample], epochs: int) -> str:
        for sample in samples:
            meta = sample.metadata or {}
            variant = str(meta.get("variant", ""))
            self.cell_of[str(sample.id)] = (variant, str(meta.get("role", "")), str(meta.get("item", "")))
            self.cells[variant] += 1
        return MANAGER

    async def schedule_sample(self, id: str | int, epoch: int) -> EarlyStop | None:
        from inspect_ai.util import EarlyStop

        cell = self.cell_of.get(str(id))
        if cell is None:
            return None
        variant = cell[0]
        self._advance(variant, epoch)
        await self._await_look(variant, epoch)
        stop = self.stops.get(variant)
        if stop is None or not stop.stopped or epoch <= stop.epoch:
            self.admitted[(str(id), epoch)] = time.monotonic()
            return None
        self.skipped += 1
        state = "settled" if stop.settled else "stopped unsettled"
        return EarlyStop(
            id=id,
            epoch=epoch,
            reason=f"variant {variant} {state} at look {stop.look} ({stop.epoch} epochs): {stop.reason}",
            metadata={"variant": variant, "look": stop.look, "look_epochs": stop.epoch},
        )

    async def complete_sample(self, id: str | int, epoch: int, scores: dict[str, SampleScore]) -> None:
        cell = self.cell_of.get(str(id))
        if cell is not None:
            variant, role, item = cell
            self.done[variant][(role, item, epoch)] = outcome_of(scores, self.study.outcome.name)
            self.finished += 1
            started = self.admitted.pop((str(id), epoch), None)
            if started is not None:
                self.longest = max(self.longest, time.monotonic() - started)
            self._advance(variant, self.looks[-1] + 1)
            self._release(variant)

    async def _await_look(self, variant: str, epoch: int) -> None:
        """Hold a sample of a later epoch until the variant's pending look is decided, so that no
        sample runs past a look that stops its variant. The samples of that look were admitted
        before this one (Inspect admits samples epoch by epoch), so they hold their own slots. The
        wait ends early only when no sample of the task has finished for :data:`WAIT_FLOOR`
        seconds or three times the longest sample so far: every slot is then held by a waiting
        sample while a sample of the look is queued (a sample that errored and waits for a
        retry), and the sample goes ahead."""
        held = False
        while True:
            j = self.next_look[variant]
            stopped = variant in self.stops and self.stops[variant].stopped
            if stopped or j >= len(self.looks) or self.looks[j] >= epoch:
                return
            event = self.looks_done.setdefault((variant, j), anyio.Event())
            self.waited += not held
            held = True
            finished = self.finished
            with anyio.move_on_after(max(WAIT_FLOOR, 3 * self.longest)):
                await event.wait()
            self._advance(variant, epoch)
            if not event.is_set() and self.finished == finished:
                self.stalled += 1
                return

    def _release(self, variant: str) -> None:
        """Wake the samples waiting for a look of the variant that is now decided (or, with
        progress, to wait again)."""
        stopped = variant in self.stops and self.stops[variant].stopped
        for (v, j), event in list(self.looks_done.items()):
            if v == variant and (stopped or j < self.next_look[variant]):
                event.set()
                del self.looks_done[(v, j)]

    async def complete_task(self) -> dict[str, Any]:
        return {
            "looks": self.looks,
            "alpha": self.alpha,
            "interval_level": 1 - self.level,
            "variants": len(self.chosen),
            "skipped_samples": self.skipped,
            "held_samples": self.waited,
            "went_ahead_after_stall": self.stalled,
            "stops": {
                v: {"look": s.look, "epochs": s.epoch, "settled": s.settled, "futile": s.futile, "reason": s.reason}
                for v, s in self.stops.items()
            },
        }

    def _advance(self, variant: str, epoch: int) -> None:
        """Decide every look of the variant before ``epoch`` whose samples have all finished."""
        while variant not in self.stops or not self.stops[variant].stopped:
            j = self.next_look[variant]
            if j >= len(self.looks) or self.looks[j] >= epoch:
                return
            look = self.looks[j]
            data = self.done[variant]
            if sum(1 for (_, _, e) in data if e <= look) < self.cells[variant] * look:
                return
            pair = self._pair(variant, look)
            if pair is None:
                return
            stop, ok, why = decide(
                self.study, variant, pair, self.level, look, self.looks[-1], seed=(self.study.id, variant, look)
            )
            self.stops[variant] = Stop(variant, look, j + 1, ok, why, futile=stop and not ok)
            self.next_look[variant] = j + 1

    def _pair(self, variant: str, look: int) -> Paired | None:
        rows = [(r, i, v) for (r, i, e), v in self.done[variant].items() if e <= look and v == v]
        a = [(i, v) for r, i, v in rows if r == "a"]
        b = [(i, v) for r, i, v in rows if r == "b"]
        if not a or not b:
            return None
        return Paired.build(
            np.array([v for _, v in a]), np.array([i for i, _ in a]),
            np.array([v for _, v in b]), np.array([i for i, _ in b]),
        )
