"""The sequential design: its looks, its stopping rule, the manager Inspect calls, the betting
confidence sequence it was measured against, and its calibration on a shipped study."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import numpy as np
import pytest

from beyond_episode.ablations.study import load_study
from beyond_episode.analysis import sequential as sq
from beyond_episode.analysis import stopping as st
from beyond_episode.analysis.confseq import difference_cs, hedged_cs
from beyond_episode.analysis.effects import Paired, rng_for
from beyond_episode.errors import BepError
from beyond_episode.methodology import sequential_calibration as sc
from beyond_episode.sequential import VariantStopping
from beyond_episode.subjects.profile import load_profile
from beyond_episode.subjects.simulate import StudySimulator


def test_looks_double_from_one_and_end_at_the_maximum():
    assert st.look_schedule(144, 1) == [1, 2, 4, 8, 16, 32, 64, 144]
    assert st.look_schedule(4, 1) == [1, 2, 4]
    assert st.look_schedule(10, 4) == [4, 10]
    assert st.look_schedule(3, 5) == [3]
    with pytest.raises(BepError, match="positive epochs"):
        st.look_schedule(0, 1)


def test_every_interval_is_at_alpha_over_variants_times_looks():
    assert st.look_level(0.05, 19, 8) == pytest.approx(0.05 / 152)


def test_a_few_agreeing_samples_do_not_settle_a_variant():
    study = load_study("sandbagging_b6")
    level = st.look_level(study.alpha, 19, 8)
    zeros = np.zeros(5)
    items = np.arange(5).astype(str)
    few = st.variant_interval(Paired.build(zeros, items, zeros, items), study, level)
    assert few[0] < -0.3 and few[1] > 0.3  # not the exact [0, 0] of a fixed analysis
    assert not st.settled(study, "dont_sandbag", few)[0]
    many = np.zeros(320)
    many_items = np.tile(items, 64)
    wide_enough = st.variant_interval(Paired.build(many, many_items, many, many_items), study, level)
    ok, why = st.settled(study, "dont_sandbag", wide_enough)
    assert ok, why


def _simulated(study_name: str, profile: str, variants: list[str], epochs: int):
    study = load_study(study_name)
    draw = StudySimulator(study, load_profile(profile)).draw(epochs, rng_for("test", study_name, profile))
    return study, draw[draw["variant"].isin(variants)].reset_index(drop=True)


def test_a_variant_that_cannot_settle_by_the_last_look_stops_there_and_then():
    """Futility: 5 agreeing samples per condition cannot settle a verdict by 4 epochs (20
    samples), so the variant stops at look 1; with 144 epochs to go it carries on. A variant
    whose effect may still show goes on too."""
    study = load_study("sandbagging_b6")
    level = st.look_level(study.alpha, 19, 3)
    items = np.arange(5).astype(str)
    zeros = Paired.build(np.zeros(5), items, np.zeros(5), items)
    stop, done, why = st.decide(study, "dont_sandbag", zeros, level, epoch=1, maximum=4)
    assert stop and not done and "none of them can be settled by 4 epochs" in why
    stop, done, _ = st.decide(study, "dont_sandbag", zeros, st.look_level(study.alpha, 19, 8), epoch=1, maximum=144)
    assert not stop and not done
    some = Paired.build(np.array([1.0, 1, 0, 0, 0]), items, np.zeros(5), items)  # 0.4: an effect may show
    stop, _, why = st.decide(study, "dont_sandbag", some, level, epoch=1, maximum=4)
    assert not stop, why


def test_later_epochs_wait_for_the_look_so_no_call_is_spent_past_it(monkeypatch):
    """Inspect admits samples concurrently, epoch by epoch: a sample of epoch 2 admitted while
    look 1 is still running waits for the look's decision, and is skipped once its variant
    stops there. A look that never completes (a sample errored) lets the sample go ahead."""
    import beyond_episode.sequential as seq_module

    study = load_study("sandbagging_b6")
    variants = ["dont_sandbag", "no_goal"]
    manager = VariantStopping(study, [1, 2, 4], study.alpha, variants)
    cells = [(v, r, str(i)) for v in variants for r in ("a", "b") for i in range(5)]
    samples = [SimpleNamespace(id=f"{v}.{r}.{i}", metadata={"variant": v, "role": r, "item": i}) for v, r, i in cells]
    ran: list[tuple[str, int]] = []

    async def sample(sid: str, epoch: int, gate: asyncio.Semaphore) -> None:
        async with gate:
            if await manager.schedule_sample(sid, epoch) is not None:
                return
            ran.append((sid, epoch))
            await asyncio.sleep(0.01 * (hash((sid, epoch)) % 5))
            score = SimpleNamespace(score=SimpleNamespace(value={study.outcome.name: 0.0}))
            await manager.complete_sample(sid, epoch, {"s": score})  # type: ignore[dict-item]

    async def drive() -> None:
        await manager.start_task(None, samples, 4)  # type: ignore[arg-type]
        gate = asyncio.Semaphore(len(samples) + 5)  # more slots than a look: epoch 2 is admitted early
        await asyncio.gather(*(sample(s.id, e, gate) for e in range(1, 5) for s in samples))

    asyncio.run(drive())
    assert {v: (s.epoch, s.futile) for v, s in manager.stops.items()} == {"dont_sandbag": (1, True), "no_goal": (1, True)}
    assert len(ran) == len(samples) and all(e == 1 for _, e in ran)
    assert manager.waited > 0

    monkeypatch.setattr(seq_module, "WAIT_FLOOR", 0.2)
    stuck = VariantStopping(study, [1, 2, 4], study.alpha, variants)

    async def never_completes() -> bool:
        await stuck.start_task(None, samples, 4)  # type: ignore[arg-type]
        await stuck.schedule_sample(samples[0].id, 1)  # admitted, never finishes
        return await stuck.schedule_sample(samples[1].id, 2) is None

    assert asyncio.run(asyncio.wait_for(never_completes(), timeout=10))


def test_the_manager_inspect_calls_stops_where_the_report_replays():
    variants = ["baseline", "dont_sandbag", "no_goal", "control_ask_low"]
    study, draw = _simulated("sandbagging_b6", "capability_preserver", variants, 16)
    looks = [1, 2, 4, 8, 16]
    manager = VariantStopping(study, looks, study.alpha, variants)
    samples = [
        SimpleNamespace(id=f"{v}.{r}.{i}", metadata={"variant": v, "role": r, "item": i})
        for (v, r, i) in draw[["variant", "role", "item"]].drop_duplicates().itertuples(index=False)
    ]
    skipped = []

    async def drive() -> None:
        await manager.start_task(None, samples, 16)  # type: ignore[arg-type]
        for epoch in range(1, 17):  # as Inspect schedules: epoch by epoch
            rows = draw[draw["epoch"] == epoch]
            for row in rows.itertuples(index=False):
                sid = f"{row.variant}.{row.role}.{row.item}"
                stop = await manager.schedule_sample(sid, epoch)
                if stop is not None:
                    skipped.append((row.variant, epoch))
                    continue
                score = SimpleNamespace(score=SimpleNamespace(value={study.outcome.name: row.outcome}))
                await manager.complete_sample(sid, epoch, {"scorer": score})  # type: ignore[dict-item]

    asyncio.run(drive())
    summary = asyncio.run(manager.complete_task())
    replayed = sq.replay(draw, study, looks, study.alpha)
    assert {v: (s.epoch, s.settled) for v, s in manager.stops.items()} == {
        v: (s.epoch, s.settled) for v, s in replayed.items()
    }
    assert any(s.settled and s.epoch < 16 for s in replayed.values())
    assert summary["stops"]["baseline"]["epochs"] == replayed["baseline"].epoch
    assert summary["skipped_samples"] == len(skipped) > 0
    for variant, epoch in skipped:
        assert epoch > replayed[variant].epoch


def test_the_betting_sequence_covers_at_every_time():
    rng = np.random.default_rng(7)
    alpha, misses = 0.1, 0
    for _ in range(200):
        x = (rng.random(150) < 0.3).astype(float)
        low, high = hedged_cs(x, alpha)  # intersected over time: a miss at any time shows here
        misses += not (low <= 0.3 <= high)
    assert misses / 200 <= alpha
    low, high = difference_cs(np.ones(100), np.zeros(100), 0.05)
    assert low > 0.5 and high == pytest.approx(1.0, abs=0.01)


def test_calibration_of_a_shipped_study_keeps_its_error_rates():
    study = load_study("shutdown_precedence")
    tallies = sc.run(study, [1, 2, 4, 8, 16, 32], replications=3, stress=False)
    by = {t.scenario: t for t in tallies}
    for name in sc.NULL_PROFILES:
        assert by[name].false_beyond == 0
        assert by[name].right == 3
    assert all(t.covered == t.replications for t in tallies)
    assert by["capability_preserver"].fraction < 0.5
    text = sc.table(study, [1, 2, 4, 8, 16, 32], "bonferroni", tallies)
    assert "| honest | 3 | 0.000 [0.000, 0.708]" in text
