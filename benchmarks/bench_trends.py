"""Calibration of the trend tests across model versions (default: oversight_goals, 200 replications).

Simulates three ordered versions of a binary study (every condition acting at 0.2) and runs the
analyzer's trend tests (:func:`beyond_episode.analysis.trend_versions.version_trends`, Bonferroni over
the study's variants) on each replication:

* ``rising``: one variant's ``a`` condition acts at 0.2, 0.5 and 0.8 in versions 1, 2 and 3 (its
  effect a - b grows); the power is the share of replications whose effect trend of that variant
  is found rising;
* ``identical``: the three versions are the same; a false trend is any variant's effect trend
  (and, separately, incoherence trend) found, so the rate is family-wise over the study.

Prints the numbers and exits 1 when the power is below 0.8 or a false-trend rate exceeds alpha
(with a binomial allowance: the upper 95% Clopper-Pearson bound may not reach 2 alpha).

    python benchmarks/bench_trends.py
    python benchmarks/bench_trends.py --replications 400 --items 12 --epochs 10
"""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd
from scipy.stats import beta

from beyond_episode.ablations.study import load_study
from beyond_episode.analysis.trend_sim import versions_table
from beyond_episode.analysis.trend_versions import version_trends

RISING = (0.2, 0.5, 0.8)


def replicate(study_id: str, variant: str, rates: tuple[float, ...], items: int, epochs: int, seed: int,
              alpha: float) -> tuple[bool, bool, bool]:
    """(effect trend of ``variant`` found rising, any effect trend found, any incoherence trend found)."""
    table = versions_table(study_id, [{f"{variant}.a": r} for r in rates], items=items, epochs=epochs, seed=seed)
    study = load_study(study_id)
    order = sorted(table["model"].unique())
    trends = version_trends(table, study, order, alpha, {}, {})
    target = next(t for t in trends if t.variant == variant)
    rising = target.effect is not None and target.effect.direction == "rising"
    any_effect = any(t.effect is not None and t.effect.significant for t in trends)
    any_incoherence = any(t.incoherence is not None and t.incoherence.significant for t in trends)
    return rising, any_effect, any_incoherence


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="oversight_goals")
    parser.add_argument("--variant", default="goal_in_user")
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--items", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    alpha = load_study(args.study).alpha
    start = time.perf_counter()
    rows = []
    for scenario, rates in (("rising", RISING), ("identical", (0.2, 0.2, 0.2))):
        for rep in range(args.replications):
            found, effect, incoherence = replicate(args.study, args.variant, rates, args.items, args.epochs,
                                                   args.seed * 100_003 + rep, alpha)
            rows.append({"scenario": scenario, "rep": rep, "rising": found, "any_effect": effect,
                         "any_incoherence": incoherence})
    frame = pd.DataFrame(rows)
    n = args.replications
    power = float(frame.loc[frame["scenario"] == "rising", "rising"].mean())
    null = frame[frame["scenario"] == "identical"]
    false_effect = int(null["any_effect"].sum())
    false_incoherence = int(null["any_incoherence"].sum())

    def upper(k: int) -> float:
        return 1.0 if k == n else float(beta.ppf(0.975, k + 1, n - k))

    print(f"study {args.study}, variant {args.variant}: three versions, {args.items} items x {args.epochs} epochs "
          f"per condition, {n} replications, alpha {alpha:g} (Bonferroni over the study's variants)")
    print(f"  rising propensity {RISING}: effect trend found in {power:.3f} of replications (power)")
    print(f"  identical versions: any false effect trend in {false_effect / n:.3f} (95% upper {upper(false_effect):.3f}), "
          f"any false incoherence trend in {false_incoherence / n:.3f} (95% upper {upper(false_incoherence):.3f})")
    print(f"  {time.perf_counter() - start:.1f} s")
    ok = power >= 0.8 and false_effect / n <= alpha and false_incoherence / n <= alpha
    print("checks pass" if ok else "a check fails")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
