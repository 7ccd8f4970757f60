"""Cluster crossings: the year a cluster's size crosses a plan level such as 1万亿元.

Observed crossings come from the series itself (first year at or above after being below; "in
or before" the first year when the series starts above); otherwise the year is projected with
the tracker's Monte Carlo paths (:mod:`clusteratlas.analysis.projection`). The plan's published
``reached`` facts and its hierarchy (a parent or aggregate never crosses after a cluster it
contains) are applied last (:func:`consistent_crossings`). Sizes are in yuan.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clusteratlas.analysis._tabular import Tabular, to_pandas
from clusteratlas.analysis.actuals import observation_actuals, series_for
from clusteratlas.analysis.projection import (
    MIN_VOLATILITY,
    Anchor,
    Transform,
    as_series,
    at_least,
    fit_trend,
    item_seed,
    project,
    simulate_paths,
)
from clusteratlas.errors import AnalysisError
from clusteratlas.model.plan import Plan

CROSSING_COLUMNS = [
    "cluster",
    "threshold",
    "crossing_year",
    "crossing_p10",
    "crossing_p90",
    "p_within",
    "already",
    "last_year",
    "last_value",
    "synthetic",
    "crossing_before",
    "crossing_source",
]


@dataclass(frozen=True)
class Crossing:
    """When a series crosses ``threshold``: median ``year`` and the ``p10``–``p90`` interval of the
    simulated crossing years; ``already`` if an observation already reached it. Then ``year``
    is the first observed year at or above the threshold after one below it (``p10`` the year
    after that last observation below, ``p90`` = ``year``), or — when the very first
    observation is already above — the first observed year with ``before`` set: the crossing
    happened *in or before* that year. Percentiles beyond the horizon are ``None``;
    ``p_within`` is the share of paths crossing within the horizon."""

    threshold: float
    year: int | None
    p10: int | None
    p90: int | None
    p_within: float
    already: bool
    horizon_end: int
    before: bool = False


def observed_crossing(series: Any, threshold: float) -> Crossing | None:
    """The crossing seen in the observations themselves.

    Parameters
    ----------
    series : Series, DataFrame or Mapping
        Year → value (see :func:`~clusteratlas.analysis.projection.as_series`).
    threshold : float
        Level in the series' unit (e.g. 1e12 yuan).

    Returns
    -------
    Crossing or None
        The observed crossing (see :class:`Crossing`), or ``None`` when no observation reaches
        ``threshold``.
    """
    s = as_series(series)
    above = (s >= threshold).to_numpy()
    if not above.any():
        return None
    years = [int(y) for y in s.index]
    last = years[-1]
    if above[0]:
        return Crossing(threshold, years[0], None, years[0], 1.0, True, last, before=True)
    k = int(np.argmax(above))
    return Crossing(threshold, years[k], years[k - 1] + 1, years[k], 1.0, True, last)


def crossing_year(
    series: Any,
    threshold: float,
    *,
    n_sim: int = 2000,
    seed: int | Iterable[int] = 0,
    horizon: int = 30,
    transform: Transform = "log",
    anchor: Anchor = "last",
    min_volatility: float = MIN_VOLATILITY,
) -> Crossing:
    """Projected year a series first reaches a threshold.

    When an observation already reached it, the observed crossing (:func:`observed_crossing`:
    first year at or above after being below; "in or before" the first year when the series
    starts above). Otherwise simulates ``n_sim`` annual paths ``horizon`` years past the last
    observation; a path's crossing year is its first year at or above ``threshold``.

    Parameters
    ----------
    series : Series, DataFrame or Mapping
        Year → value, e.g. a cluster's revenue in yuan.
    threshold : float
        Level in the series' unit (e.g. 1e12 yuan).
    n_sim, seed, transform, anchor, min_volatility
        As in :func:`~clusteratlas.analysis.projection.project`.
    horizon : int
        Years simulated past the last observation.

    Returns
    -------
    Crossing
        Median year and 10th/90th percentiles over paths (paths that never cross count as
        later than any year; percentiles beyond the horizon are ``None``).
    """
    s = as_series(series)
    seen = observed_crossing(s, threshold)
    if seen is not None:
        return seen
    trend = fit_trend(s, transform=transform, min_volatility=min_volatility)
    paths = simulate_paths(trend, horizon=horizon, n_sim=n_sim, seed=seed, anchor=anchor)
    above = at_least(paths, threshold)
    crossed = above.any(axis=1)
    first_k = np.where(crossed, above.argmax(axis=1) + 1, np.iinfo(np.int64).max)
    years = np.where(crossed, trend.last_year + first_k, np.inf)

    def pct(q: float) -> int | None:
        v = float(np.percentile(years, q, method="inverted_cdf"))
        return None if math.isinf(v) else int(v)

    return Crossing(
        threshold,
        pct(50),
        pct(10),
        pct(90),
        float(crossed.mean()),
        False,
        trend.last_year + horizon,
    )


def cluster_crossings(
    plan: Plan,
    sizes: pd.DataFrame,
    *,
    level: str | None = None,
    n_sim: int = 2000,
    seed: int = 0,
    horizon: int = 30,
    anchor: Anchor = "last",
    facts: bool = True,
) -> pd.DataFrame:
    """Projected year each cluster crosses a plan level.

    Parameters
    ----------
    plan : Plan
        The plan (levels, clusters, ``reached`` facts).
    sizes : pandas.DataFrame
        ``cluster, year, value, synthetic`` in yuan — one series per cluster (e.g. the
        monitor's revenue at the plan region, or real observed series, see
        :func:`cluster_series`).
    level : str, optional
        Level id (default: the plan's top level, 1万亿元).
    n_sim, seed, horizon, anchor
        As in :func:`crossing_year`; each cluster draws its own stream.
    facts : bool
        Apply the plan's ``reached`` facts; ``False`` for series of another region than the
        plan's, which those facts do not describe.

    Returns
    -------
    pandas.DataFrame
        :data:`CROSSING_COLUMNS`: ``cluster``, ``threshold`` (yuan), ``crossing_year,
        crossing_p10, crossing_p90`` (years), ``p_within`` (fraction), ``already``,
        ``last_year``, ``last_value`` (yuan), ``synthetic``, ``crossing_before`` ("in or before
        ``crossing_year``") and ``crossing_source`` (the plan fact or contained cluster that set
        it; see :func:`consistent_crossings`).
    """
    level_id, threshold = (
        plan.levels_desc()[0]
        if level is None
        else next(((lv.id, lv.threshold) for lv in plan.levels if lv.id == level), (None, math.nan))
    )
    if level_id is None:
        raise AnalysisError(f"plan {plan.id}: no level {level!r}")
    rows = []
    for cluster, group in sizes.groupby("cluster", sort=True):
        series = group.set_index("year")["value"].astype(float)
        series = series[series > 0]
        base = {
            "cluster": cluster,
            "threshold": threshold,
            "synthetic": bool(group["synthetic"].astype(bool).any())
            if "synthetic" in group
            else False,
            "last_year": int(series.index.max()) if len(series) else None,
            "last_value": float(series.iloc[-1]) if len(series) else math.nan,
        }
        try:
            c = crossing_year(
                series,
                threshold,
                n_sim=n_sim,
                seed=item_seed(seed, str(cluster)),
                horizon=horizon,
                anchor=anchor,
            )
        except AnalysisError:
            rows.append(
                {
                    **base,
                    "crossing_year": None,
                    "crossing_p10": None,
                    "crossing_p90": None,
                    "p_within": math.nan,
                    "already": False,
                }
            )
            continue
        rows.append(
            {
                **base,
                "crossing_year": c.year,
                "crossing_p10": c.p10,
                "crossing_p90": c.p90,
                "p_within": c.p_within,
                "already": c.already,
                "crossing_before": c.before,
            }
        )
    out = pd.DataFrame(rows, columns=CROSSING_COLUMNS[:-1])
    out["crossing_before"] = out["crossing_before"].fillna(False).astype(bool)
    out["crossing_source"] = ""
    out = consistent_crossings(plan, out, level_id, facts=facts)
    for column in ("crossing_year", "crossing_p10", "crossing_p90", "last_year"):
        out[column] = out[column].astype("Int64")
    return out


def _containers(plan: Plan) -> dict[str, list[str]]:
    """cluster id → the clusters that contain it by construction: its ``parent`` and every
    aggregate that includes it."""
    plain = [c.id for c in plan.clusters if not c.includes]
    out: dict[str, list[str]] = {c.id: [] for c in plan.clusters}
    for cluster in plan.clusters:
        if cluster.parent:
            out[cluster.id].append(cluster.parent)
        if cluster.includes:
            for member in plain if "*" in cluster.includes else cluster.includes:
                if member != cluster.id:
                    out[member].append(cluster.id)
    return out


def consistent_crossings(
    plan: Plan, crossings: pd.DataFrame, level: str, *, facts: bool = True
) -> pd.DataFrame:
    """Apply the plan's published ``reached`` facts and the hierarchy to crossing years.

    * A fact ``first`` (the source says the cluster got to ``level`` that year) sets the
      crossing year. A fact "at the level by YEAR" turns a later or merely projected crossing
      into "in or before YEAR" (``crossing_before``); ``crossing_source`` names the fact.
    * A cluster that contains another (its parent, an aggregate) is at least as large, so it
      cannot cross later: its crossing becomes the contained cluster's when that is earlier
      (an observed one as "in or before" that year).

    Parameters
    ----------
    plan : Plan
        The plan (clusters, parents, aggregates, ``reached`` facts).
    crossings : pandas.DataFrame
        :data:`CROSSING_COLUMNS` rows, one per cluster.
    level : str
        Level id the crossings are for.
    facts : bool
        Apply the ``reached`` facts (the hierarchy always applies).

    Returns
    -------
    pandas.DataFrame
        The same columns, years adjusted.
    """
    rows: dict[str, dict[str, Any]] = {
        str(r["cluster"]): {str(k): v for k, v in r.items()}
        for r in crossings.to_dict(orient="records")
    }

    def year_of(row: dict[str, Any]) -> int | None:
        value = row.get("crossing_year")
        return None if value is None or pd.isna(value) else int(value)

    for cluster in plan.clusters:
        row = rows.get(cluster.id)
        if row is None:
            continue
        for fact in (f for f in cluster.reached if f.level == level and facts):
            year = year_of(row)
            if fact.first:
                row.update(crossing_year=fact.year, crossing_p10=fact.year, crossing_before=False)
            elif bool(row["already"]) and year is not None and year <= fact.year:
                continue
            else:
                row.update(crossing_year=fact.year, crossing_p10=None, crossing_before=True)
            row.update(
                crossing_p90=fact.year, already=True, p_within=1.0, crossing_source=fact.source
            )
    containers = _containers(plan)
    for _ in range(len(plan.clusters)):  # children before parents: repeat to a fixed point
        changed = False
        for child, parents in containers.items():
            inner = rows.get(child)
            c_year = None if inner is None else year_of(inner)
            if inner is None or c_year is None:
                continue
            for parent in parents:
                outer = rows.get(parent)
                if outer is None:
                    continue
                p_year = year_of(outer)
                if p_year is not None and p_year <= c_year:
                    continue
                observed = bool(inner["already"])
                outer.update(
                    crossing_year=c_year,
                    crossing_p10=None if observed else inner["crossing_p10"],
                    crossing_p90=inner["crossing_p90"],
                    already=observed,
                    p_within=float(np.nanmax([inner["p_within"], outer["p_within"], 0.0])),
                    crossing_before=observed or bool(inner["crossing_before"]),
                    crossing_source=f"contains {child}",
                )
                changed = True
        if not changed:
            break
    return pd.DataFrame(list(rows.values()), columns=list(crossings.columns))


def cluster_series(
    plan: Plan,
    *,
    monitor: Tabular | None = None,
    observations: Tabular | None = None,
    measure: str | None = None,
    synthetic_monitor: bool = True,
    region: str | None = None,
) -> pd.DataFrame:
    """One size series per cluster.

    A cluster whose ``observed`` maps the measure to a real observation indicator (e.g.
    医药健康 → ``medicine_health_industry_scale``) uses the real series when ``observations``
    has at least two values for it, or one value already at the plan's top level
    (``basis = 'observed'``); otherwise the monitor's size at the plan region
    (``basis = 'monitor'``, flagged ``synthetic_monitor``). A single real value below the top
    level gives no trend, so the monitor is preferred then.

    Parameters
    ----------
    plan : Plan
        The plan (clusters with their ``observed`` indicators, levels, region).
    monitor : Tabular, optional
        Cluster monitor output (``cluster, region, year, <measure>``).
    observations : Tabular, optional
        Observation rows (workspace ``observation`` table or ``refdata.beijing_facts()``).
    measure : str, optional
        Size measure (default: the plan's, e.g. ``revenue``).
    synthetic_monitor : bool
        Flags the monitor series synthetic.
    region : str, optional
        The monitor rows to use (default: the plan region).

    Returns
    -------
    pandas.DataFrame
        ``cluster, year, value`` (yuan), ``synthetic, basis``.
    """
    measure = measure or plan.measure
    top = plan.levels_desc()[0][1]
    parts = []
    observed_ids: set[str] = set()
    if observations is not None:
        obs = observation_actuals(observations, plan.region)
        for cluster in plan.clusters:
            indicator = cluster.observed.get(measure)
            if not indicator:
                continue
            rows = series_for(obs, indicator, plan.region, None)
            if len(rows) < 2 and not (len(rows) == 1 and float(rows["value"].iloc[0]) >= top):
                continue
            observed_ids.add(cluster.id)
            parts.append(
                pd.DataFrame(
                    {
                        "cluster": cluster.id,
                        "year": rows["year"],
                        "value": rows["value"],
                        "synthetic": False,
                        "basis": "observed",
                    }
                )
            )
    if monitor is not None:
        mon = to_pandas(monitor)
        mon = mon[
            (mon["region"].astype(str) == (region or plan.region))
            & ~mon["cluster"].isin(list(observed_ids))
        ]
        if measure in mon.columns and len(mon):
            parts.append(
                pd.DataFrame(
                    {
                        "cluster": mon["cluster"].astype(str),
                        "year": mon["year"].astype("int64"),
                        "value": mon[measure].astype(float),
                        "synthetic": synthetic_monitor,
                        "basis": "monitor",
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=["cluster", "year", "value", "synthetic", "basis"])
    return pd.concat(parts, ignore_index=True)


def crossing_probabilities(
    sizes: pd.DataFrame,
    threshold: float,
    *,
    by_year: int,
    fit_until: int,
    n_sim: int = 2000,
    seed: int = 0,
    anchor: Anchor = "last",
    min_volatility: float = MIN_VOLATILITY,
) -> pd.DataFrame:
    """For each cluster, the probability of being at or above a threshold in a year.

    Uses only observations up to ``fit_until`` (a backtest of level counts such as 万亿级
    clusters). The expected number of clusters at the level in ``by_year`` is the sum of the
    probabilities (NaN rows aside).

    Parameters
    ----------
    sizes : pandas.DataFrame
        ``cluster, year, value`` (yuan).
    threshold : float
        Level, yuan (e.g. 1e12).
    by_year : int
        Year the probability is for.
    fit_until : int
        Last year of observations used.
    n_sim, seed, anchor, min_volatility
        As in :func:`~clusteratlas.analysis.projection.project`.

    Returns
    -------
    pandas.DataFrame
        ``cluster, n_fit, last_year, last_value`` (yuan), ``already`` (an observation ≤
        ``fit_until`` already reached the threshold) and ``probability`` (fraction; 1 if
        already; NaN with fewer than two observations).
    """
    rows = []
    for cluster, group in sizes.groupby("cluster", sort=True):
        series = as_series(group[["year", "value"]])
        series = series[series.index <= fit_until]
        if series.empty:
            continue
        already = bool((series >= threshold).any())
        probability = math.nan
        if already:
            probability = 1.0
        elif len(series) >= 2 and by_year > int(series.index[-1]):
            proj = project(
                series,
                to_year=by_year,
                n_sim=n_sim,
                seed=item_seed(seed, str(cluster)),
                anchor=anchor,
                min_volatility=min_volatility,
            )
            probability = proj.probability(">=", threshold)
        rows.append(
            {
                "cluster": cluster,
                "n_fit": len(series),
                "last_year": int(series.index[-1]),
                "last_value": float(series.iloc[-1]),
                "already": already,
                "probability": probability,
            }
        )
    return pd.DataFrame(
        rows, columns=["cluster", "n_fit", "last_year", "last_value", "already", "probability"]
    )
