"""What it takes: for each count target of the plan (e.g. 8 万亿级 clusters by 2035), the
cheapest clusters and the fixed growth rates that reach it with a given probability, on the
scenario planner's baseline (:mod:`clusteratlas.analysis.scenario`; method in
``docs/scenarios.md``). Growth rates are fractions per year; values in yuan."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from clusteratlas.analysis.scenario import (
    Baseline,
    ClusterBase,
    count_level,
    growth_weights,
    hits,
    level_counts,
    reached_count,
    run_one,
)
from clusteratlas.analysis.scenario_file import ClusterAdjustment, Scenario
from clusteratlas.model.plan import Target

#: Probability levels of "what it takes" (:func:`solve`).
CONFIDENCES = (0.5, 0.8)

#: Highest annual growth :func:`solve` calls feasible (fraction/year): above it a cluster would
#: have to more than grow by half every year — not a plan, a miracle.
PLAUSIBLE_GROWTH = 0.5

SOLVE_COLUMNS = [
    "target_id",
    "year",
    "level",
    "confidence",
    "needed",
    "already",
    "rank",
    "cluster",
    "latest_value",
    "latest_year",
    "trend_growth",
    "required_growth",
    "uplift",
    "probability",
    "feasible",
]


def required_growth(base: ClusterBase, threshold: float, year: int, confidence: float) -> float:
    """The fixed annual growth (fraction) at which ``base`` reaches ``threshold`` (yuan) by
    ``year`` with probability ``confidence``, under the fixed-growth model of :func:`cluster_paths`.

    Reaching needs ``ln(1+g) · Σ w_t ≥ ln(threshold / latest)``; the answer uses the
    ``(1 − confidence)`` quantile of ``Σ w_t`` over the paths. 0 when already there.

    Parameters
    ----------
    base : ClusterBase
        One cluster's baseline (latest value in yuan).
    threshold : float
        The size to reach (yuan).
    year : int
        The year to reach it by.
    confidence : float
        Probability wanted (0–1).

    Returns
    -------
    float
        Growth per year (fraction).
    """
    if base.last_value >= threshold:
        return 0.0
    h = year - base.last_year
    if h < 1:
        return math.inf
    weights = growth_weights(base)[:, :h].sum(axis=1)
    q = float(np.quantile(weights, 1.0 - confidence))
    if q <= 0:
        return math.inf
    return math.expm1(math.log(threshold / base.last_value) / q)


def solve(base: Baseline, confidences: Sequence[float] = CONFIDENCES) -> pd.DataFrame:
    """What it takes: for each count target (e.g. 8 万亿级 clusters by 2035) and confidence, the
    cheapest clusters — the smallest rise over their trend growth — and the fixed growth rates
    that reach the target with at least that probability (others follow the baseline).

    The per-cluster probability is raised together (bisection) until the joint probability of
    the count reaching the target's lower edge is at least ``confidence``; ``feasible`` is False
    when even 99.5 % per cluster or every candidate does not get there.

    Parameters
    ----------
    base : Baseline
        The shared baseline.
    confidences : sequence of float
        Probabilities wanted (0–1).

    Returns
    -------
    pandas.DataFrame
        One row per count target × confidence × chosen cluster (``rank`` 0 and no cluster
        when none is chosen): ``latest_value`` (yuan), growth rates (fractions),
        ``probability`` reached (0–1) and ``feasible``.
    """
    rows: list[dict[str, Any]] = []
    thresholds = dict(base.plan.levels_desc())
    members = base.top_level()
    for target in base.plan.targets:
        level = count_level(target)
        if level is None or target.year not in base.years or target.comparator == "<=":
            continue
        edge = target.low if target.comparator == "between" else target.value
        goal = int(edge or 0)
        threshold = thresholds[level]
        already = [c for c in members if base.clusters[c].last_value >= threshold]
        candidates = [c for c in members if c not in already]
        needed = max(goal - len(already), 0)
        for confidence in confidences:
            cost = {
                c: required_growth(base.clusters[c], threshold, target.year, confidence)
                - base.clusters[c].trend.growth
                for c in candidates
            }
            chosen = sorted(candidates, key=lambda c: (cost[c], c))[:needed]
            feasible = len(chosen) == needed and all(math.isfinite(cost[c]) for c in chosen)
            rates: dict[str, float] = {}
            probability = math.nan
            if feasible:
                rates, probability = _joint(base, target, level, chosen, threshold, confidence)
                feasible = probability >= confidence and all(
                    g <= PLAUSIBLE_GROWTH for g in rates.values()
                )
            base_row = {
                "target_id": target.id,
                "year": target.year,
                "level": level,
                "confidence": confidence,
                "needed": needed,
                "already": len(already),
                "probability": probability,
                "feasible": feasible,
            }
            if not chosen:
                rows.append({**base_row, "rank": 0, "cluster": None})
            for rank, cluster in enumerate(chosen, start=1):
                cb = base.clusters[cluster]
                rows.append(
                    {
                        **base_row,
                        "rank": rank,
                        "cluster": cluster,
                        "latest_value": cb.last_value,
                        "latest_year": cb.last_year,
                        "trend_growth": cb.trend.growth,
                        "required_growth": rates.get(cluster, math.nan),
                        "uplift": rates.get(cluster, math.nan) - cb.trend.growth,
                    }
                )
    return pd.DataFrame(rows, columns=SOLVE_COLUMNS)


def _joint(
    base: Baseline,
    target: Target,
    level: str,
    chosen: list[str],
    threshold: float,
    confidence: float,
) -> tuple[dict[str, float], float]:
    """Growth rates for ``chosen`` (one per-cluster probability for all, by bisection) giving
    a joint probability ≥ ``confidence`` of the count target; ``(rates, probability)``."""
    j = base.years.index(target.year)

    def attempt(q: float) -> tuple[dict[str, float], float]:
        rates = {c: required_growth(base.clusters[c], threshold, target.year, q) for c in chosen}
        scenario = Scenario(
            id="__solve__",
            clusters={c: ClusterAdjustment(growth=min(g, 2.0)) for c, g in rates.items()},
        )
        counts = level_counts(base, run_one(base, scenario))
        reached = reached_count(base, counts, level, threshold, j)
        return rates, float(np.mean(hits(target, reached, integer=True)))

    lo, hi = confidence, 0.995
    rates, p = attempt(lo)
    if p >= confidence:
        return rates, p
    best_rates, best_p = attempt(hi)
    if best_p < confidence:
        return best_rates, best_p
    for _ in range(12):
        mid = (lo + hi) / 2
        rates, p = attempt(mid)
        if p >= confidence:
            hi, best_rates, best_p = mid, rates, p
        else:
            lo = mid
    return best_rates, best_p
