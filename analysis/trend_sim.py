"""Simulated tidy tables for the trend tests: ordered model versions, and episodes of several lengths.

Used by the trend calibration (``benchmarks/bench_trends.py``) and the analyzer's tests. Every
draw is seeded from the seed, the model, the condition, the item and the epoch, so a table does
not change when another condition is added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from beyond_episode.ablations.study import load_study
from beyond_episode.analysis.effects import rng_for


def versions_table(
    study_id: str,
    rates: Sequence[Mapping[str, float]],
    *,
    base: float = 0.2,
    items: int = 8,
    epochs: int = 10,
    seed: int = 0,
    model: str = "sim/v{}",
) -> pd.DataFrame:
    """One row per sample of every condition of a binary study under ``len(rates)`` versions.

    ``rates[k]`` maps ``variant.role`` (e.g. ``goal_in_user.b``) to the acting rate of version
    ``k``; every other condition acts at ``base``. Version ``k`` is model ``model.format(k + 1)``
    and has ``version`` ``k + 1``.
    """
    study = load_study(study_id)
    rows = []
    for k, table in enumerate(rates):
        name = model.format(k + 1)
        for v in study.variants.values():
            for role in ("a", "b"):
                p = table.get(f"{v.id}.{role}", base)
                for item in range(items):
                    draws = rng_for(seed, name, v.id, role, item).random(epochs)
                    for epoch in range(epochs):
                        rows.append({"study": study_id, "variant": v.id, "role": role, "model": name,
                                     "item": f"item{item}", "epoch": epoch + 1, "outcome": float(draws[epoch] < p),
                                     "version": k + 1})
    return pd.DataFrame(rows)


def length_table(
    study_id: str,
    lengths: Sequence[int],
    *,
    rate: float = 0.1,
    lose_track: float = 0.0,
    items: int = 8,
    epochs: int = 10,
    seed: int = 0,
    model: str = "sim/model",
) -> pd.DataFrame:
    """One row per sample of every condition of a binary study, each item run at every length.

    A subject acts at ``rate``; with probability ``1 - (1 - lose_track) ** length`` it has lost
    track by the decision and acts at random (a fair coin), so its errors grow variance-dominated
    as episodes grow. ``actions`` is the episode's length.
    """
    study = load_study(study_id)
    rows = []
    for v in study.variants.values():
        for role in ("a", "b"):
            for item in range(items):
                for length in lengths:
                    rng = rng_for(seed, model, v.id, role, item, length)
                    lost = rng.random(epochs) < 1 - (1 - lose_track) ** length
                    coin = rng.random(epochs)
                    acts = np.where(lost, coin < 0.5, rng.random(epochs) < rate)
                    for epoch in range(epochs):
                        rows.append({"study": study_id, "variant": v.id, "role": role, "model": model,
                                     "item": f"item{item}L{length}", "epoch": epoch + 1,
                                     "outcome": float(acts[epoch]), "actions": float(length)})
    return pd.DataFrame(rows)
